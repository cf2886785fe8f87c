"""The rest of a project's record: events that have no table of their own (timebox prompts and their answers,
lifecycle switches, evidence confirmations, held and retried sends), and each project's canvas in Slack."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.core import _team_fk
from bot.models.types import UTCDateTime, utcnow


class EventKind(StrEnum):
    TIMEBOX_PROMPT = "timebox_prompt"  # "past the stage's timebox: stop or continue?", "good enough to ship?"
    TIMEBOX_ANSWER = "timebox_answer"  # an experiment's timebox extended or concluded
    LIFECYCLE = "lifecycle"  # the project moved onto another lifecycle
    EVIDENCE = "evidence"  # a low-confidence result confirmed
    HELD = "held"  # a message about the project held (Slack refused it for a fixable reason)
    RETRIED = "retried"  # held messages sent again after someone pressed Retry


class ProjectEvent(SQLModel, table=True):
    """Append-only: one thing that happened to a project, for its history and reports. `key` makes recording
    the same event twice (a retried job) a no-op."""

    __tablename__ = "project_events"
    __table_args__ = (UniqueConstraint("key", name="uq_project_events_key"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(sa_column=Column(Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False,
                                             index=True))
    kind: str = Field(max_length=32)
    key: str = Field(max_length=255)
    actor_id: str | None = Field(default=None, max_length=32)
    title: str = Field(max_length=500)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ProjectCanvas(SQLModel, table=True):
    """A project's dossier in Slack: the canvas Headway created and keeps rewriting (`version` names the edits
    in the outbox, so each content change is sent once)."""

    __tablename__ = "project_canvases"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(sa_column=Column(Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False,
                                             unique=True))
    channel_id: str | None = Field(default=None, max_length=32)
    canvas_id: str | None = Field(default=None, max_length=32)  # set once Slack created it
    digest: str = Field(default="", max_length=64)  # sha256 of the content last queued
    version: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
