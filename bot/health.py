"""What /healthz reports about Slack: does our bot token still work? Asked at most once a minute (auth.test)."""

from __future__ import annotations

import asyncio
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

REFUSED_TTL = 60.0  # a refused token stays refused until someone fixes it; no need to ask more often


class SlackAuthProbe:
    """`ok` is False when Slack refuses the token (invalid_auth, token_revoked…): the replica cannot work.
    Slack unreachable is reported too, but is not this replica's fault, so it does not fail the health check."""

    def __init__(self, client: AsyncWebClient, *, ttl: float = REFUSED_TTL) -> None:
        self._client = client
        self._ttl = ttl
        self._checked_at = float("-inf")
        self._result: tuple[bool, str | None] = (True, None)
        self._lock = asyncio.Lock()

    async def status(self) -> tuple[bool, str | None]:
        """(token accepted or not known to be refused, the problem if any)."""
        async with self._lock:
            if time.monotonic() - self._checked_at < self._ttl:
                return self._result
            try:
                await self._client.auth_test()
                self._result = (True, None)
            except SlackApiError as error:
                self._result = (False, str(error.response.get("error") or "error"))
            except Exception:
                self._result = (True, "unreachable")
            self._checked_at = time.monotonic()
            return self._result
