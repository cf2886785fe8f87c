"""The workspace admin's side: invite or remove the app, archive channels, grant scopes, uninstall, reinstall.

Each operation changes what the Web API answers afterwards, as in Slack:
- removed from / never invited to a channel → `not_in_channel` / `channel_not_found` (methods_chat.resolve_channel);
- archived → `is_archived`;
- scopes changed → `missing_scope` (auth.py);
- uninstalled → every old token answers `token_revoked`, and Slack sends the app `tokens_revoked` and
  `app_uninstalled` (https://docs.slack.dev/reference/events/app_uninstalled,
  https://docs.slack.dev/reference/events/tokens_revoked; shapes from ../shared/slack/events-api.asyncapi.v1.json,
  GenericEventWrapper), signed like every request (https://docs.slack.dev/authentication/verifying-requests-from-slack),
  only when the app subscribed to them;
- reinstalled → a new bot token (the old one stays revoked);
- an org-wide (Enterprise Grid) app removed from one workspace of its organization, the org install staying →
  the org token answers `token_revoked` for that workspace alone, and Slack sends the app `app_uninstalled_team`
  (https://docs.slack.dev/reference/events/app_uninstalled_team: `app_id`, `app_name`, `app_owner_id`, `user_id`
  "(if available)", `team_id` "the team that the app was uninstalled from", `team_domain`, `event_ts`; "only
  organization-wide apps can subscribe"). The page's example puts an E… id in `team_id` against its own field
  description; the emulator sends the workspace's T… id, which is what the description says.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import aiohttp

from .auth import Token
from .config import EmulatorConfig
from .result import slack_signature
from .socket_mode import SocketHub
from .state import WorkspaceState


class InstallControl:
    """Mixin for SlackEmulator (also reachable over POST /_emulator/rpc)."""

    config: EmulatorConfig
    state: WorkspaceState
    hub: SocketHub
    _event_tasks: set[asyncio.Task[None]]

    # ------------------------------------------------------------ channels
    def _channel(self, channel: str) -> str:
        channel_id = self.state.resolve_channel(channel)
        if channel_id is None or channel_id not in self.state.channels:
            raise KeyError(f"no channel {channel!r}")
        return channel_id

    def invite_bot(self, channel: str, inviter: str | None = None) -> None:
        """Someone typed `/invite @app` in the channel: the app hears `member_joined_channel` (when subscribed;
        https://docs.slack.dev/reference/events/member_joined_channel: user, channel, channel_type C or G, team,
        inviter)."""
        channel_id = self._channel(channel)
        self.state.set_bot_member(channel_id, True)
        event = {"type": "member_joined_channel", "user": self.config.bot_user_id, "channel": channel_id,
                 "channel_type": self._channel_type(channel_id), "team": self.config.team_id}
        if inviter:
            event["inviter"] = inviter
        self._send_app_event(event)

    def remove_bot(self, channel: str) -> None:
        """Someone removed the app from the channel (`/kick @app`): `member_left_channel`
        (https://docs.slack.dev/reference/events/member_left_channel: user, channel, channel_type, team)."""
        channel_id = self._channel(channel)
        self.state.set_bot_member(channel_id, False)
        self._send_app_event({"type": "member_left_channel", "user": self.config.bot_user_id, "channel": channel_id,
                              "channel_type": self._channel_type(channel_id), "team": self.config.team_id})

    def archive_channel(self, channel: str, archived: bool = True, user: str | None = None) -> None:
        """Archive (or unarchive) a channel: `channel_archive` for a public one, `group_archive` for a private one
        (https://docs.slack.dev/reference/events/channel_archive, …/group_archive; the app hears them when
        subscribed and a member)."""
        channel_id = self._channel(channel)
        record = self.state.channels[channel_id]
        was_member = self.state.is_member(channel_id, self.config.bot_user_id)
        record.is_archived = archived
        if archived and was_member:
            kind = "group_archive" if record.is_private else "channel_archive"
            event = {"type": kind, "channel": channel_id}
            if user:
                event["user"] = user
            self._send_app_event(event)

    def _channel_type(self, channel_id: str) -> str:
        return "G" if self.state.channels[channel_id].is_private else "C"

    # -------------------------------------------------------------- tokens
    @property
    def bot_token(self) -> str:
        return self.config.bot_token

    def granted_scopes(self) -> list[str]:
        return list(self.state.bot_token().scopes)

    def set_scopes(self, scopes: list[str] | tuple[str, ...], token: str | None = None) -> None:
        """Change what a token (default: the current bot token) was granted."""
        self.state.tokens[token or self.config.bot_token].scopes = tuple(scopes)

    def disable_token(self, error: str = "account_inactive", token: str | None = None) -> None:
        """Make a token answer `error` from now on (account_inactive, invalid_auth, token_revoked…)."""
        self.state.tokens[token or self.config.bot_token].dead = error

    def revoke_token(self, token: str | None = None) -> None:
        """An admin revoked the bot token (the app stays installed): `token_revoked`, then the event."""
        self.disable_token("token_revoked", token)
        self._send_app_event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [self.config.bot_user_id]}})

    def uninstall(self) -> None:
        """The app is removed from the workspace: its bot tokens are revoked; the app hears it if subscribed.
        App-level (xapp-) tokens belong to the app across workspaces (docs.slack.dev/authentication/tokens), so
        they keep working."""
        for token in self.state.tokens.values():
            if token.kind == "bot":
                token.dead = token.dead or "token_revoked"
        self.state.installed = False
        self._send_app_event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [self.config.bot_user_id]}})
        self._send_app_event({"type": "app_uninstalled"})

    def uninstall_from_workspace(self, user: str | None = None) -> None:
        """An org admin removes the org-wide app from this one workspace; the organization's other workspaces keep
        it. Its org token stops working here only (this workspace holds a revoked copy of it), and the app hears
        `app_uninstalled_team` (sent before the change, so its authorizations still name the org install)."""
        if not (self.config.enterprise_id and self.state.org_installed):
            raise ValueError(f"{self.config.team_id} has no org-wide installation to remove it from")
        event: dict[str, Any] = {"type": "app_uninstalled_team", "app_id": self.config.app_id, "app_name": "Headway",
                                 "app_owner_id": self.config.bot_user_id, "team_id": self.config.team_id,
                                 "team_domain": self.config.team_name.lower().replace(" ", "-")}
        if user:
            event["user_id"] = user
        self._send_app_event(event)
        for value, token in list(self.state.tokens.items()):
            if token.kind == "bot":
                self.state.tokens[value] = Token(value, "bot", token.scopes, dead="token_revoked",
                                                 expires_at=token.expires_at)
        self.state.installed = self.state.org_installed = False

    def not_installed(self) -> None:
        """A workspace that has not installed the app yet: no bot token until an install (OAuth) issues one, so
        a call with another workspace's token cannot act here."""
        self.state.tokens = {value: token for value, token in self.state.tokens.items() if token.kind != "bot"}
        self.config.bot_token = ""
        self.state.installed = False

    def reinstall(self, scopes: list[str] | tuple[str, ...] | None = None) -> str:
        """Install again (OAuth or "Reinstall to workspace"): returns the new bot token; old tokens stay revoked."""
        old = self.state.tokens.get(self.config.bot_token)
        granted = tuple(scopes) if scopes is not None else (old.scopes if old else tuple(self.config.scopes))
        value = f"xoxb-emulator-{uuid.uuid4().hex[:12]}"
        self.state.tokens[value] = Token(value, "bot", granted)
        self.config.bot_token = value
        self.state.installed = True
        return value

    async def socket_disconnect(self, reason: str = "refresh_requested") -> int:
        """Ask connected Socket Mode apps to reconnect (returns how many connections were closed)."""
        return await self.hub.disconnect(reason)

    # -------------------------------------------------------------- events
    def set_app_endpoint(self, events_url: str | None, signing_secret: str | None = None) -> None:
        """Where Slack sends events over HTTP, and the signing secret it signs them with."""
        self.config.events_url = events_url
        self.config.signing_secret = signing_secret

    def _app_config(self) -> EmulatorConfig:
        root = getattr(self, "root", self)
        return self.config if self.config.events_url else root.config

    def app_events(self) -> list[dict[str, Any]]:
        return list(self.state.app_deliveries)

    async def flush_app_events(self) -> None:
        """Wait until every event sent so far was delivered (or failed)."""
        while self._event_tasks:
            await asyncio.gather(*list(self._event_tasks), return_exceptions=True)

    def _send_app_event(self, event: dict[str, Any]) -> None:
        if event["type"] not in self.config.bot_events:
            self.state.app_deliveries.append({"type": event["type"], "via": None, "status": "not_subscribed"})
            return
        now = time.time()
        enterprise_id = self.config.enterprise_id
        org_wide = bool(enterprise_id and self.state.org_installed)
        body = {
            "token": "emulator-verification-token",
            "team_id": self.config.team_id,
            "enterprise_id": enterprise_id,
            "api_app_id": self.config.app_id,
            "event": {**event, "event_ts": f"{now:.6f}"},
            "type": "event_callback",
            "event_id": "Ev" + uuid.uuid4().hex[:10].upper(),
            "event_time": int(now),
            "authorizations": [{"enterprise_id": enterprise_id, "team_id": None if org_wide else self.config.team_id,
                                "user_id": self.config.bot_user_id, "is_bot": True,
                                "is_enterprise_install": org_wide}],
            "is_enterprise_install": org_wide,
        }
        task = asyncio.get_running_loop().create_task(self._deliver(body))
        self._event_tasks.add(task)
        task.add_done_callback(self._event_tasks.discard)

    async def _deliver(self, body: dict[str, Any]) -> None:
        record: dict[str, Any] = {"type": body["event"]["type"], "event_id": body["event_id"], "body": body}
        if self.hub.connected:
            outcome = await self.hub.deliver("event_callback", body)
            record.update(via="socket", status="acked" if outcome["acked"] else outcome.get("error"))
        elif self._app_config().events_url:
            app = self._app_config()  # one app, one Request URL, whichever workspace the event comes from
            raw = json.dumps(body)
            stamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                       "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
            if app.signing_secret:
                headers["X-Slack-Signature"] = slack_signature(app.signing_secret, stamp, raw)
            try:
                async with (
                    aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session,
                    session.post(str(app.events_url), data=raw.encode(), headers=headers) as answer,
                ):
                    record.update(via="http", status=answer.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                record.update(via="http", status=type(exc).__name__)
        else:
            record.update(via=None, status="no_endpoint")
        self.state.app_deliveries.append(record)
