"""The outbox: every scheduled or outgoing Slack message is a row first, sent at most once by key."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text
from sqlmodel import Field, SQLModel

from bot.models.core import _team_fk
from bot.models.types import UTCDateTime, utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    HELD = "held"  # Slack refused it for a reason a person can fix: waits for their Retry (bot.delivery.held)
    DEAD = "dead"
    CANCELLED = "cancelled"


class OutboxMethod(StrEnum):
    POST = "chat.postMessage"
    UPDATE = "chat.update"
    EPHEMERAL = "chat.postEphemeral"
    PUBLISH_HOME = "views.publish"
    UPLOAD = "files.completeUploadExternal"  # payload["files"]: shared in `channel` with the text as its comment
    CANVAS_CREATE = "canvases.create"  # payload["canvas"]: bot.canvases
    CANVAS_EDIT = "canvases.edit"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_result", "result_ts"),  # the replies one bundled message holds (bot.delivery.bundles)
        Index("ix_outbox_target", "target_key"),  # the updates of one message (superseded, or an edit's latest)
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    key: str = Field(sa_column=Column(String(255), nullable=False, unique=True))
    kind: str = Field(max_length=40)
    method: str = Field(max_length=40)
    channel: str = Field(max_length=32)
    thread_key: str | None = Field(default=None, max_length=255)  # post into the thread of that message
    target_key: str | None = Field(default=None, max_length=255)  # chat.update: the message to replace
    payload: str = Field(sa_column=Column(Text, nullable=False))  # JSON: text, blocks, user (ephemeral)
    status: str = Field(default=OutboxStatus.PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claim: str | None = Field(default=None, max_length=32, index=True)  # which sender took it
    attempted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # set just before calling Slack
    last_error: str | None = Field(default=None, max_length=500)
    result_channel: str | None = Field(default=None, max_length=32)
    result_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
