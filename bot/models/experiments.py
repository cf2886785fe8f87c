"""Experiments, weekly goals, pipeline API tokens and MLflow links: where progress comes from."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.core import _team_fk
from bot.models.types import UTCDateTime, utcnow


class ExperimentStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    CONCLUDED = "concluded"


def _project_fk(*, unique: bool = False) -> Column:
    return Column(Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=not unique,
                  unique=unique)


class Experiment(SQLModel, table=True):
    """A timeboxed bet: a hypothesis, an owner, a window, and what came of it."""

    __tablename__ = "experiments"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(sa_column=_project_fk())
    hypothesis: str = Field(max_length=500)
    owner_id: str | None = Field(default=None, max_length=32)
    start_date: date
    end_date: date
    status: str = Field(default=ExperimentStatus.RUNNING, max_length=16)
    outcome: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    concluded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WeeklyGoal(SQLModel, table=True):
    """What the team expects to learn or reach in a week, compared later with what happened."""

    __tablename__ = "weekly_goals"
    __table_args__ = (UniqueConstraint("project_id", "week_start", name="uq_weekly_goals_week"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(sa_column=_project_fk())
    week_start: date  # the Monday
    goal: str = Field(max_length=500)
    target_value: float | None = None
    set_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A per-project bearer token for training pipelines; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(sa_column=_project_fk())
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    prefix: str = Field(max_length=16)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MlflowLink(SQLModel, table=True):
    """One MLflow experiment and metric feeding a project's measurements."""

    __tablename__ = "mlflow_links"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(sa_column=_project_fk(unique=True))
    tracking_url: str = Field(max_length=500)
    experiment_name: str = Field(max_length=255)
    metric_key: str = Field(max_length=255)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_synced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
