"""What /healthz reports about Slack: does our bot token still work?

One source of truth: the outbox's `Pause` (bot/delivery/pause.py). While sending is paused (a send was refused,
tokens_revoked/app_uninstalled arrived, or this probe was refused) health reports the pause's reason and asks Slack
nothing: the pause's own probe asks and resumes sending, and health is ok again as soon as it does. While not
paused, auth.test is asked at most once a `ttl`; a refusal pauses the workspace the token belongs to.
"""

from __future__ import annotations

import asyncio
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.pause import AUTH_ERRORS, Pause

REFUSED_TTL = 60.0  # a refused token stays refused until someone fixes it; no need to ask more often


class SlackAuthProbe:
    """`ok` is False when Slack refuses the token (invalid_auth, token_revoked…): the replica cannot work.
    Slack unreachable is reported too, but is not this replica's fault, so it does not fail the health check."""

    def __init__(self, client: AsyncWebClient, pause: Pause, *, ttl: float = REFUSED_TTL) -> None:
        self._client = client
        self._pause = pause
        self._ttl = ttl
        self._checked_at = float("-inf")
        self._checked_resumed = pause.resumed
        self._result: tuple[bool, str | None] = (True, None)
        self._team_id: str | None = None  # the token's workspace, from the last auth.test that succeeded
        self._lock = asyncio.Lock()

    async def status(self) -> tuple[bool, str | None]:
        """(token accepted or not known to be refused, the problem if any)."""
        async with self._lock:
            if self._pause:
                return False, ", ".join(sorted(set(self._pause.why.values())))
            fresh = time.monotonic() - self._checked_at < self._ttl and self._checked_resumed == self._pause.resumed
            if fresh:
                return self._result
            try:
                answer = await self._client.auth_test()
                self._team_id = str(answer.get("team_id") or "") or self._team_id
                self._result = (True, None)
            except SlackApiError as error:
                why = str(error.response.get("error") or "error")
                self._result = (False, why)
                if why in AUTH_ERRORS and self._team_id:
                    self._pause.pause(self._team_id, why)  # sending stops too; the pause's probe resumes it
            except Exception:
                self._result = (True, "unreachable")
            self._checked_at, self._checked_resumed = time.monotonic(), self._pause.resumed
            return self._result
