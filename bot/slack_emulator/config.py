"""Configuration objects for the Slack emulator.

Kept free of server code so tests, the CLI demo and the standalone process can
build a workspace description (users, channels, limits) without starting anything.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from bot.manifest import BOT_EVENTS, BOT_SCOPES


@dataclass
class EmulatorUser:
    """A workspace member as `users.info` describes it."""

    id: str
    name: str
    real_name: str = ""
    tz: str = "UTC"
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    email: str | None = None
    display_name: str = ""
    # The custom status (users.profile.set; profile fields per web-api.openapi.v2.json objs_user_profile):
    # status_expiration is a Unix time, 0 when the status does not expire.
    status_text: str = ""
    status_emoji: str = ""
    status_expiration: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmulatorUser:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class EmulatorChannel:
    """A public or private channel.

    `members=None` means every person is a member. The app's bot user is a member only when invited
    (`bot_member=True`, or its id listed in `members`), as in Slack, where apps join no channel by themselves.
    """

    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False
    members: list[str] | None = None
    topic: str = ""
    bot_member: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmulatorChannel:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RateLimitConfig:
    """Token-bucket settings.

    `overrides` maps a method name to `(rate_per_second, burst)`; `scale`
    multiplies every refill rate (10 = ten times more permissive).
    """

    enabled: bool = True
    scale: float = 1.0
    overrides: dict[str, tuple[float, float]] = field(default_factory=dict)
    # Workspace-wide chat.postMessage budget, messages per minute (None = off). Slack: "chat.postMessage ...
    # maintaining a workspace-wide limit" of "several hundred messages per minute"
    # (https://docs.slack.dev/apis/web-api/rate-limits, "Posting messages"); 300 is the low end of "several hundred".
    post_message_budget_per_minute: float | None = 300.0


@dataclass
class EmulatorConfig:
    """Everything needed to describe one emulated workspace."""

    team_id: str = "T0HEADWAY"
    team_name: str = "Headway"
    # Enterprise Grid: the organization this workspace belongs to (None: a standalone workspace). User and
    # channel ids are unique across an organization (https://docs.slack.dev/enterprise-grid/).
    enterprise_id: str | None = None
    enterprise_name: str = ""
    bot_token: str = "xoxb-emulator"
    extra_tokens: list[str] = field(default_factory=list)
    # The scopes the installation granted (default: what the manifest asks for) and the app-level token for
    # Socket Mode (apps.connections.open needs an `xapp-` token with connections:write).
    scopes: tuple[str, ...] = BOT_SCOPES
    app_token: str = "xapp-emulator"
    # Bot events the app subscribed to (the manifest's); only these are delivered to the app.
    bot_events: tuple[str, ...] = BOT_EVENTS
    # Where Slack sends events over HTTP (the app's Request URL) and the secret it signs them with.
    events_url: str | None = None
    signing_secret: str | None = None
    bot_user_id: str = "U0HEADBOT"
    bot_id: str = "B0HEADBOT"
    app_id: str = "A0HEADWAY"
    bot_name: str = "headway"
    include_slackbot: bool = True
    users: list[EmulatorUser] = field(default_factory=list)
    channels: list[EmulatorChannel] = field(default_factory=lambda: [EmulatorChannel(id="C0GENERAL", name="general")])
    rate_limits: RateLimitConfig = field(default_factory=RateLimitConfig)
    trigger_ttl_seconds: float = 3.0
    fault_timeout_seconds: float = 10.0
    host: str = "127.0.0.1"
    port: int = 0

    @property
    def team_domain(self) -> str:
        return "".join(ch for ch in self.team_name.lower() if ch.isalnum()) or "workspace"

    @classmethod
    def from_file(cls, path: str | Path, **overrides: Any) -> EmulatorConfig:
        """Load users (and optionally channels/team) from JSON: a list of users or an object."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls.from_dict({"users": data} if isinstance(data, list) else data, **overrides)

    @classmethod
    def from_dict(cls, data: dict[str, Any], **overrides: Any) -> EmulatorConfig:
        """One workspace from a JSON object (`workspaces`, the other workspaces of a file, are read by
        `more_workspaces`)."""
        kwargs: dict[str, Any] = {k: v for k, v in data.items()
                                  if k not in {"users", "channels", "rate_limits", "workspaces"}}
        kwargs["users"] = [EmulatorUser.from_dict(u) for u in data.get("users", [])]
        if "channels" in data:
            kwargs["channels"] = [EmulatorChannel.from_dict(c) for c in data["channels"]]
        kwargs.update(overrides)
        return cls(**kwargs)

    @classmethod
    def more_workspaces(cls, path: str | Path) -> list[EmulatorConfig]:
        """The file's other workspaces (its `workspaces` list of objects like the file itself): each with rate
        limits of its own, as Slack limits each workspace separately."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return [cls.from_dict(item) for item in data.get("workspaces", [])] if isinstance(data, dict) else []
