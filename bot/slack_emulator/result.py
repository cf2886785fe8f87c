"""What the driver hands back after Slack-style requests to the app."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any

from .link import EmulatorLink
from .payloads import DriverError

ACK_DEADLINE_SECONDS = 3.0


def slack_signature(signing_secret: str, timestamp: int | str, body: str) -> str:
    """`v0=hex(hmac_sha256(secret, "v0:{ts}:{body}"))`, as Slack signs requests."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class DriverResult:
    """The app's HTTP answer plus handles on what it did through response_url/views."""

    kind: str
    status: int
    text: str
    body: Any
    headers: dict[str, str]
    elapsed: float
    payload: Any
    trigger_id: str | None = None
    response_url: str | None = None
    response_id: str | None = None
    view_outcome: dict[str, Any] | None = None
    timed_out: bool = False
    sent: bool = True
    link: EmulatorLink | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def json(self) -> dict[str, Any] | None:
        return self.body if isinstance(self.body, dict) else None

    @property
    def within_ack_deadline(self) -> bool:
        """Slack shows an error to the user if the app takes longer than 3 s to answer."""
        return not self.timed_out and self.elapsed <= ACK_DEADLINE_SECONDS

    @property
    def response_action(self) -> str | None:
        return self.json.get("response_action") if self.json else None

    @property
    def errors(self) -> dict[str, str]:
        return dict(self.json.get("errors") or {}) if self.json else {}

    @property
    def responses(self) -> list[dict[str, Any]]:
        """Posts the app made to this interaction's response_url so far."""
        if not self.response_id or self.link is None:
            return []
        return list(self.link.peek("responses_for", response_id=self.response_id) or [])

    async def wait_for_response(self, timeout: float = 10.0, count: int = 1) -> dict[str, Any]:
        """Wait until the app posted `count` times to the response_url; return that post."""
        if not self.response_id or self.link is None:
            raise DriverError(f"{self.kind} has no response_url")
        deadline = time.monotonic() + timeout
        while True:
            found = await self.link.call("responses_for", response_id=self.response_id)
            if len(found) >= count:
                return found[count - 1]
            if time.monotonic() > deadline:
                raise TimeoutError(f"no response_url post #{count} within {timeout}s")
            await asyncio.sleep(0.02)
