"""Whose token a Slack call uses: the workspace it acts for.

Every call Headway makes acts for one workspace: a request's (set by a Bolt middleware), an outbox row's, a
scheduled job's item's. That workspace rides in a context variable (`acting_for`), and the one Web API client
(bot.delivery.client) asks a `TokenSource` for its token at each call:

- `EnvTokens`: one workspace, the token in SLACK_BOT_TOKEN (single-workspace mode, unchanged);
- `InstalledTokens`: "Add to Slack": each workspace's bot token from slack_sdk's installation store (an
  Enterprise Grid workspace may use its organization's org-wide installation), refreshed with slack_sdk's
  AsyncTokenRotator `minutes_before_expiration` before it expires (Slack's token rotation, 12-hour tokens), so
  the outbox sender and scheduled jobs refresh too, not only requests.

Why not Bolt's AsyncInstallationStoreAuthorize for requests and this for the rest: two rotators racing on one
refresh token would spend it twice (Slack revokes a refresh token once used), so Bolt's authorize asks this
source too (bot.oauth.HeadwayAuthorize).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator

log = logging.getLogger(__name__)

_TEAM: ContextVar[str | None] = ContextVar("headway_slack_team", default=None)
CACHE_SECONDS = 30.0  # an installation read is reused this long (a fan-out reads the store once, not per message)


def current_team() -> str | None:
    """The workspace the code running now acts for (None: not known, e.g. a process-wide check)."""
    return _TEAM.get()


@contextlib.contextmanager
def acting_for(team_id: str | None) -> Iterator[None]:
    """Slack calls inside this block use `team_id`'s token and pacing budget."""
    token = _TEAM.set(team_id or None)
    try:
        yield
    finally:
        _TEAM.reset(token)


def act_for(team_id: str | None) -> None:
    """For the rest of the current task (a request's task): its Slack calls act for `team_id`."""
    _TEAM.set(team_id or None)


class TokenUnavailable(Exception):
    """No working token for the workspace; `error` is the Slack-style reason (token_revoked, token_expired…),
    so a send that meets it pauses the workspace like a refusal from Slack would."""

    def __init__(self, team_id: str | None, error: str, detail: str = "") -> None:
        super().__init__(f"{team_id}: {error} {detail}".strip())
        self.team_id, self.error = team_id, error


@dataclass
class Resolved:
    token: str
    expires_at: float | None  # epoch seconds (rotating tokens)
    read_at: float  # monotonic
    installation: Installation | None = None
    refreshed: bool = False  # just rotated: used as is until the cache ends, however soon it expires


class EnvTokens:
    """Single-workspace mode: the one token from the environment, whatever the workspace."""

    rotating = False

    def __init__(self, token: str | None) -> None:
        self._token = token

    async def token(self, team_id: str | None) -> str | None:
        return self._token

    async def refresh(self, team_id: str | None, expired: str | None = None) -> str | None:
        return None  # a static token does not refresh: token_expired is a refusal like any other

    def forget(self, team_id: str | None = None) -> None:
        return None


RotationFailed = Callable[[str, str], Awaitable[None]]  # (team_id, why): tell the workspace's admins


class InstalledTokens:
    """Each workspace's bot token from the installation store, refreshed before it expires."""

    rotating = True

    def __init__(self, store: AsyncInstallationStore, rotator: AsyncTokenRotator | None, *,
                 enterprise_of: Callable[[str], Awaitable[str | None]],
                 minutes_before_expiration: int = 120) -> None:
        self.store, self.rotator = store, rotator
        self._enterprise_of = enterprise_of
        self.minutes = minutes_before_expiration
        self._cache: dict[str, Resolved] = {}
        self.cache_seconds = CACHE_SECONDS
        self._locks: dict[str, asyncio.Lock] = {}
        self.on_rotation_failed: RotationFailed | None = None
        self.rotation_failures: dict[str, str] = {}  # team_id -> why the last refresh failed (for /healthz)

    def forget(self, team_id: str | None = None) -> None:
        """After an install, uninstall or refresh elsewhere: read the store again."""
        if team_id is None:
            self._cache.clear()
        else:
            self._cache.pop(team_id, None)

    async def token(self, team_id: str | None) -> str | None:
        if not team_id:
            return None  # nothing to act for: the call goes without a token and Slack says not_authed
        if (cached := self._usable(team_id)) is not None:
            return cached.token
        async with self._locks.setdefault(team_id, asyncio.Lock()):
            return (await self._resolve(team_id, force=False)).token

    def _usable(self, team_id: str) -> Resolved | None:
        """The cached token while the cache lasts, unless it expires soon (then it is refreshed first, but not
        again within the cache period: a lifetime shorter than the refresh margin must not refresh every call)."""
        cached = self._cache.get(team_id)
        if cached is None or time.monotonic() - cached.read_at >= self.cache_seconds:
            return None
        if self._expiring(cached) and not cached.refreshed:
            return None
        return cached

    async def refresh(self, team_id: str | None, expired: str | None = None) -> str | None:
        """Slack said `expired` is expired although the store thought otherwise: refresh now (once: calls that
        met the same expired token while another refreshed it get the new one)."""
        if not team_id or self.rotator is None:
            return None
        async with self._locks.setdefault(team_id, asyncio.Lock()):
            cached = self._cache.get(team_id)
            if cached is not None and expired is not None and cached.token != expired:
                return cached.token
            return (await self._resolve(team_id, force=True)).token

    async def installation(self, enterprise_id: str | None, team_id: str | None,
                           is_enterprise_install: bool = False) -> Installation | None:
        """The installation serving this workspace: its own, else its organization's org-wide one."""
        found = None
        if team_id and not is_enterprise_install:
            found = await self.store.async_find_installation(enterprise_id=enterprise_id, team_id=team_id)
        if found is None and enterprise_id:
            found = await self.store.async_find_installation(enterprise_id=enterprise_id, team_id=None,
                                                             is_enterprise_install=True)
        return found if found is not None and found.bot_token else None

    def _expiring(self, resolved: Resolved) -> bool:
        return resolved.expires_at is not None and resolved.expires_at <= time.time() + self.minutes * 60

    async def _resolve(self, team_id: str, *, force: bool) -> Resolved:
        if not force and (cached := self._usable(team_id)) is not None:
            return cached  # another task refreshed it while this one waited for the lock
        installation = await self.installation(await self._enterprise_of(team_id), team_id)
        if installation is None:
            self._cache.pop(team_id, None)
            raise TokenUnavailable(team_id, "token_revoked", "no installation (uninstalled, or never installed)")
        rotated = await self._rotate(team_id, installation, force=force)
        expires = rotated.bot_token_expires_at
        # refreshed (or a refresh just failed): not tried again until the cache ends
        resolved = Resolved(str(rotated.bot_token), float(expires) if expires else None, time.monotonic(),
                            rotated, refreshed=rotated is not installation or team_id in self.rotation_failures)
        self._cache[team_id] = resolved
        return resolved

    async def _rotate(self, team_id: str, installation: Installation, *, force: bool) -> Installation:
        if self.rotator is None or not installation.bot_refresh_token:
            return installation
        minutes = 10 ** 6 if force else self.minutes
        try:
            rotated = await self.rotator.perform_token_rotation(installation=installation,
                                                                minutes_before_expiration=minutes)
        except (SlackTokenRotationError, SlackApiError, OSError, TimeoutError) as error:
            why = str(getattr(getattr(error, "api_error", None), "response", {}).get("error", "") or error)[:200]
            log.error("refreshing the token of %s failed: %s", team_id, why)
            self.rotation_failures[team_id] = why
            expires = installation.bot_token_expires_at
            if expires and expires > time.time() and not force:
                if self.on_rotation_failed is not None:  # the current token still works: tell the admins (once a
                    await self.on_rotation_failed(team_id, why)  # day: the outbox key)
                return installation
            raise TokenUnavailable(team_id, "token_expired", f"refresh failed: {why}") from error
        self.rotation_failures.pop(team_id, None)
        if rotated is None:
            return installation
        await self.store.async_save(rotated)
        log.info("refreshed the token of %s", team_id)
        return rotated
