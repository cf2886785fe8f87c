"""Sending paused per workspace while Slack says the token no longer works, and the probe that resumes it.

Why a probe and a restart: a reinstall that keeps the token, or a restored account, makes auth.test succeed again
(the probe notices within `probe_seconds`); a reinstall that issues a new token reaches Headway as a new
SLACK_BOT_TOKEN and a restart, and a fresh process starts unpaused (its first send or probe decides).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.delivery.tokens import acting_for

log = logging.getLogger(__name__)

AUTH_ERRORS = frozenset({"token_revoked", "account_inactive", "invalid_auth", "not_authed", "token_expired",
                         "app_uninstalled"})
# Slack said the app was removed (from the workspace, or an org-wide app from this one workspace): the reason
# stays what /healthz shows until Headway is installed again, whatever a later refusal or probe says
UNINSTALLED = frozenset({"app_uninstalled", "app_uninstalled_team", "team_access_revoked"})


class Pause:
    def __init__(self, probe_seconds: float = 30.0) -> None:
        self.why: dict[str, str] = {}  # team_id -> why sending stopped (token_revoked, app_uninstalled…)
        self.probe_seconds = probe_seconds
        self._probed_at = 0.0
        self.resumed = 0  # how many times sending resumed: whoever cached "Slack refuses us" must ask again

    def __contains__(self, team_id: object) -> bool:
        return team_id in self.why

    def __bool__(self) -> bool:
        return bool(self.why)

    def pause(self, team_id: str, why: str) -> None:
        if team_id not in self.why:
            log.error("sending paused for %s: %s; messages wait until the token works again", team_id, why)
        if self.why.get(team_id) not in UNINSTALLED:  # Slack sends tokens_revoked too, in either order
            self.why[team_id] = why
        self._probed_at = asyncio.get_running_loop().time()

    def resume(self, team_id: str) -> bool:
        """The workspace installed the app again (a new token): send its held messages now."""
        if self.why.pop(team_id, None) is None:
            return False
        log.warning("sending resumes for %s: installed again", team_id)
        self.resumed += 1
        return True

    async def probe(self, auth_ok: Callable[[], Awaitable[str | None]]) -> bool:
        """While paused, ask now and then whether each paused workspace's token works again (auth.test acting
        for that workspace); True when sending resumes for any."""
        now = asyncio.get_running_loop().time()
        if not self.why or now - self._probed_at < self.probe_seconds:
            return False
        self._probed_at = now
        resumed = []
        for team_id in list(self.why):
            with acting_for(team_id):
                why = await auth_ok()
            if why is None:
                self.why.pop(team_id, None)
                resumed.append(team_id)
            elif why in AUTH_ERRORS and self.why[team_id] not in UNINSTALLED:
                self.why[team_id] = why
        if resumed:
            log.warning("the Slack token works again: sending resumes for %s", ", ".join(sorted(resumed)))
            self.resumed += 1
        return bool(resumed)
