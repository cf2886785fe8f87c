"""Who receives which digest, where and when."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.core import _team_fk
from bot.models.types import UTCDateTime, utcnow


class DigestKind(StrEnum):
    EXEC = "exec"
    TEAM = "team"


class DigestSubscription(SQLModel, table=True):
    """A person's digest: to their DM (channel_id None) or a channel, weekly at a local time.

    `active` False keeps an explicit unsubscribe, so execs' default subscription is not re-created.
    """

    __tablename__ = "digest_subscriptions"
    __table_args__ = (UniqueConstraint("team_id", "user_id", "kind", name="uq_digest_subscriptions_user_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    user_id: str = Field(max_length=32)
    kind: str = Field(default=DigestKind.EXEC, max_length=8)
    channel_id: str | None = Field(default=None, max_length=32)
    weekday: int = 0  # Monday
    local_time: str = Field(default="08:30", max_length=5)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SlackEvent(SQLModel, table=True):
    """Events already handled, by Slack's event_id: a retried delivery (X-Slack-Retry-Num) is acked, not redone."""

    __tablename__ = "slack_events"

    event_id: str = Field(primary_key=True, max_length=64)
    team_id: str = Field(default="", max_length=32)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
