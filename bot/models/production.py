"""After launch and follow-through: live health of shipped models, alerts, the decisions taken on them,
blockers that age and the conditions a "Go with conditions" left to meet."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.core import _team_fk
from bot.models.types import UTCDateTime, utcnow


class HealthLabel(StrEnum):
    HEALTHY = "Healthy"
    DEGRADING = "Degrading"
    DEGRADED = "Degraded"


class ProductionChoice(StrEnum):
    KEEP = "keep"
    RETRAIN = "retrain"
    ROLL_BACK = "roll_back"
    RETIRE = "retire"


def _project_fk(*, unique: bool = False) -> Column:
    return Column(Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=not unique,
                  unique=unique)


def _text() -> Column:
    return Column(Text, nullable=False, server_default="")


class ProductionHealth(SQLModel, table=True):
    """One per launched project: the value frozen at launch, the PM's tolerance and the current episode.

    An episode opens when the live metric leaves the tolerance or an alert fires, and closes when both are over;
    its number names the alert messages in the outbox, so each episode is announced once.
    """

    __tablename__ = "production_health"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(sa_column=_project_fk(unique=True))
    metric: str = Field(max_length=80)  # the live metric; by default the project's evaluation metric
    launch_value: float | None = None
    launched_at: datetime = Field(sa_type=UTCDateTime)
    gate_id: int | None = None  # the gate whose Go froze the launch value
    tolerance: float = 0.05
    tolerance_relative: bool = True  # 0.05 relative: 5% of the launch value; absolute: ±0.05
    outside_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    episode: int = 0
    episode_open: bool = False
    episode_opened_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProductionReading(SQLModel, table=True):
    """A live value of the production metric (measurements API with "kind": "production")."""

    __tablename__ = "production_readings"
    __table_args__ = (UniqueConstraint("project_id", "source_ref", name="uq_production_readings_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(sa_column=_project_fk())
    value: float
    measured_at: datetime = Field(sa_type=UTCDateTime, index=True)
    source_ref: str = Field(max_length=255)
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProductionAlert(SQLModel, table=True):
    """An Alertmanager alert about a project, updated in place from firing to resolved."""

    __tablename__ = "production_alerts"
    __table_args__ = (UniqueConstraint("project_id", "fingerprint", "starts_at", name="uq_production_alerts_start"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(sa_column=_project_fk())
    fingerprint: str = Field(max_length=64)
    name: str = Field(default="", max_length=200)
    status: str = Field(max_length=16)  # firing, resolved
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    summary: str = Field(default="", max_length=500)
    description: str = Field(default="", sa_column=_text())
    annotations: str = Field(default="{}", sa_column=_text())  # JSON, as Alertmanager sent them
    labels: str = Field(default="{}", sa_column=_text())
    generator_url: str = Field(default="", max_length=500)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProductionDecision(SQLModel, table=True):
    """Keep, retrain, roll back or retire: a PM's answer to a degradation, append-only like a gate vote."""

    __tablename__ = "production_decisions"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(sa_column=_project_fk())
    episode: int = 0
    user_id: str = Field(max_length=32)
    choice: str = Field(max_length=16)
    rationale: str = Field(default="", sa_column=_text())
    label: str = Field(default="", max_length=16)  # the health label when the choice was made
    cast_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Blocker(SQLModel, table=True):
    """A blocker someone reported in a standup, kept until they say it is resolved."""

    __tablename__ = "blockers"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("projects.id",
                                                                                        ondelete="SET NULL")))
    user_id: str = Field(max_length=32, index=True)
    text: str = Field(max_length=1000)
    answer_id: int | None = None  # the standup answer that first reported it
    reported_at: datetime = Field(sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # last "still blocked"
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, max_length=32)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class GateCondition(SQLModel, table=True):
    """One condition of a "Go with conditions": who meets it, by when, and when it was met."""

    __tablename__ = "gate_conditions"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    gate_id: int = Field(sa_column=Column(Integer, ForeignKey("gates.id", ondelete="CASCADE"), nullable=False,
                                          index=True))
    project_id: int = Field(sa_column=_project_fk())
    vote_id: int | None = None  # the vote that stated it; only the deciding votes' conditions stay when it closes
    text: str = Field(max_length=500)
    owner_id: str = Field(max_length=32)
    due_date: date
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    overdue_notified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    met_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    met_by: str | None = Field(default=None, max_length=32)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
