"""In-memory workspace state: who exists, what was posted, which views are open.

Method handlers mutate this; tests read it. Nothing here does I/O, so every
operation is a plain synchronous call that is safe to run on the server's loop.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from .auth import Token
from .config import EmulatorChannel, EmulatorConfig, EmulatorUser

# Real workspaces list Slackbot in users.list, with is_bot=False; apps must cope.
SLACKBOT = EmulatorUser(id="USLACKBOT", name="slackbot", real_name="Slackbot", tz="America/Los_Angeles")


@dataclass
class RecordedCall:
    """One Web API request as the emulator saw and answered it."""

    method: str
    params: dict[str, Any]
    status: int
    response: dict[str, Any]
    at: float
    fault: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        return None if self.ok else str(self.response.get("error", f"http_{self.status}"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "params": self.params,
            "status": self.status,
            "response": self.response,
            "at": self.at,
            "fault": self.fault,
        }


@dataclass
class Trigger:
    """A trigger_id handed to the app inside an interaction payload."""

    id: str
    user_id: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    """A response_url the app may post to (Slack allows 5 uses)."""

    id: str
    channel_id: str | None
    user_id: str | None
    message_ts: str | None = None
    is_ephemeral: bool = False
    posts: list[dict[str, Any]] = field(default_factory=list)


class WorkspaceState:
    """All mutable data of one emulated workspace."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.users: dict[str, EmulatorUser] = {}
        self.channels: dict[str, EmulatorChannel] = {}
        self.dm_channels: dict[str, list[str]] = {}
        for user in config.users:  # copies: a status set in one emulator must not show in another built from it
            self.users[user.id] = replace(user)
        if config.bot_user_id not in self.users:
            self.users[config.bot_user_id] = EmulatorUser(
                id=config.bot_user_id, name=config.bot_name, real_name=config.bot_name.title(), is_bot=True
            )
        if config.include_slackbot and SLACKBOT.id not in self.users:
            self.users[SLACKBOT.id] = replace(SLACKBOT)
        for channel in config.channels:  # copies: one config may seed several emulators
            self.channels[channel.id] = copy.deepcopy(channel)
        self._counter = itertools.count(1)
        self._last_ts = (0, 0)
        self.tokens: dict[str, Token] = {}
        for value in (config.bot_token, *config.extra_tokens):
            self.tokens[value] = Token(value, "bot", tuple(config.scopes))
        self.tokens[config.app_token] = Token(config.app_token, "app", ("connections:write",))
        self.installed = True
        self.org_installed = False  # installed org-wide (Enterprise Grid) rather than in this workspace alone
        self.clock_offset = 0.0  # seconds Slack's clock is ahead (token expiry; SlackEmulator.advance_clock)
        self.socket_tickets: dict[str, float] = {}
        self.clear()

    def clear(self) -> None:
        """Forget everything that happened; keep users and channels."""
        self.calls: list[RecordedCall] = []
        self.messages_by_channel: dict[str, dict[str, dict[str, Any]]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.view_owner: dict[str, str] = {}
        self.view_state: dict[str, dict[str, dict[str, Any]]] = {}
        self.modal_stacks: dict[str, list[str]] = {}
        self.home_views: dict[str, str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.canvases: dict[str, dict[str, Any]] = {}  # canvas id -> title, markdown, channel_id, access
        self.channel_canvases: dict[str, str] = {}  # channel id -> its channel canvas
        self.response_urls: dict[str, ResponseUrl] = {}
        self.responses: list[dict[str, Any]] = []
        self.app_deliveries: list[dict[str, Any]] = []  # events Slack sent to the app (HTTP or Socket Mode)

    def now(self) -> float:
        return time.time() + self.clock_offset

    # ---------------------------------------------------------------- ids
    def new_id(self, prefix: str, length: int = 10) -> str:
        return prefix + uuid.uuid4().hex[: length - 1].upper()

    def next_ts(self) -> str:
        """Strictly increasing Slack-style timestamps ("1712345678.000123")."""
        sec, seq = int(time.time()), next(self._counter) % 1_000_000
        if (sec, seq) <= self._last_ts:
            sec, seq = self._last_ts[0], self._last_ts[1] + 1
        self._last_ts = (sec, seq)
        return f"{sec}.{seq:06d}"

    # ----------------------------------------------------------- channels
    @staticmethod
    def dm_id_for(user_ids: list[str]) -> str:
        """Stable conversation id per set of users: D… for one user, G… for a group."""
        members = sorted(set(user_ids))
        if len(members) == 1:
            return "D" + members[0][1:]
        return "G" + hashlib.sha1(",".join(members).encode()).hexdigest()[:10].upper()

    def dm_channel_for(self, user_ids: list[str]) -> str:
        """Open (or reuse) the DM / group DM with these users."""
        channel_id = self.dm_id_for(user_ids)
        self.dm_channels.setdefault(channel_id, sorted(set(user_ids)))
        return channel_id

    def resolve_channel(self, ref: str | None) -> str | None:
        """Map a channel id, user id (→ DM) or channel name to a conversation id."""
        if not ref:
            return None
        if ref in self.channels or ref in self.dm_channels:
            return ref
        if ref in self.users:
            return self.dm_channel_for([ref])
        name = ref.lstrip("#")
        for channel in self.channels.values():
            if channel.name == name:
                return channel.id
        return None

    def is_member(self, channel_id: str, user_id: str) -> bool:
        if channel_id in self.dm_channels:
            return user_id in self.dm_channels[channel_id] or user_id == self.config.bot_user_id
        channel = self.channels.get(channel_id)
        if channel is None:
            return False
        if user_id == self.config.bot_user_id:
            return channel.bot_member or user_id in (channel.members or [])
        return channel.members is None or user_id in channel.members

    def set_bot_member(self, channel_id: str, member: bool) -> None:
        """`/invite @app` in the channel (or removing the app from it)."""
        channel = self.channels[channel_id]
        channel.bot_member = member
        if not member and channel.members is not None and self.config.bot_user_id in channel.members:
            channel.members.remove(self.config.bot_user_id)

    def bot_token(self) -> Token:
        return self.tokens[self.config.bot_token]

    def channel_name(self, channel_id: str) -> str:
        if channel_id in self.channels:
            return self.channels[channel_id].name
        return "directmessage" if channel_id.startswith("D") else "mpdm"

    # ----------------------------------------------------------- messages
    def store_message(self, channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
        self.messages_by_channel.setdefault(channel_id, {})[message["ts"]] = message
        parent_ts = message.get("thread_ts")
        if parent_ts and parent_ts != message["ts"]:
            parent = self.get_message(channel_id, parent_ts)
            if parent is not None:
                parent["thread_ts"] = parent_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = message["ts"]
        return message

    def get_message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        return self.messages_by_channel.get(channel_id, {}).get(ts)

    def delete_message(self, channel_id: str, ts: str) -> None:
        self.messages_by_channel.get(channel_id, {}).pop(ts, None)

    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        stored = self.messages_by_channel.get(channel_id, {})
        return [copy.deepcopy(stored[ts]) for ts in sorted(stored, key=float)]

    def user_message(
        self, channel_id: str, user_id: str, text: str, thread_ts: str | None = None, blocks: list | None = None
    ) -> dict[str, Any]:
        """Seed a message written by a person (the bot cannot edit or delete it)."""
        message: dict[str, Any] = {
            "type": "message",
            "user": user_id,
            "text": text,
            "ts": self.next_ts(),
            "team": self.config.team_id,
        }
        if blocks:
            message["blocks"] = blocks
        if thread_ts:
            message["thread_ts"] = thread_ts
        return self.store_message(channel_id, message)

    # -------------------------------------------------------------- views
    def drop_view(self, view_id: str) -> None:
        self.views.pop(view_id, None)
        self.view_state.pop(view_id, None)
        user_id = self.view_owner.pop(view_id, None)
        if user_id is not None and view_id in self.modal_stacks.get(user_id, []):
            self.modal_stacks[user_id].remove(view_id)

    def close_stack(self, user_id: str) -> None:
        for view_id in list(self.modal_stacks.get(user_id, [])):
            self.drop_view(view_id)
        self.modal_stacks.pop(user_id, None)

    def view_by_external_id(self, external_id: str) -> dict[str, Any] | None:
        for view in self.views.values():
            if external_id and view.get("external_id") == external_id:
                return view
        return None

    # ----------------------------------------------------------- triggers
    def issue_trigger(self, user_id: str) -> str:
        trigger_id = f"{next(self._counter)}.{int(time.time())}.{uuid.uuid4().hex[:12]}"
        self.triggers[trigger_id] = Trigger(id=trigger_id, user_id=user_id, issued_at=time.monotonic())
        return trigger_id

    def check_trigger(self, trigger_id: str | None) -> tuple[Trigger | None, str | None]:
        """Return the trigger or the Slack error that using it would produce."""
        trigger = self.triggers.get(trigger_id or "")
        if trigger is None:
            return None, "invalid_trigger_id"
        if trigger.used:
            return None, "exchanged_trigger_id"
        if time.monotonic() - trigger.issued_at > self.config.trigger_ttl_seconds:
            return None, "expired_trigger_id"
        return trigger, None
