"""Standups, their runs and prompts, people's answers, absences, and the measurements answers feed."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.core import _team_fk
from bot.models.types import UTCDateTime, utcnow


class PromptStatus(StrEnum):
    PROMPTED = "prompted"
    ANSWERED = "answered"
    SKIPPED = "skipped"
    MISSED = "missed"


class AbsenceKind(StrEnum):
    SKIP = "skip"
    AWAY = "away"


class MeasurementSource(StrEnum):
    STANDUP = "standup"
    SLACK = "slack"
    API = "api"
    MLFLOW = "mlflow"


def _fk(target: str, *, nullable: bool = False) -> Column:
    return Column(Integer, ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=True)


class Standup(SQLModel, table=True):
    __tablename__ = "standups"
    __table_args__ = (UniqueConstraint("team_id", "name", name="uq_standups_team_name"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    name: str = Field(max_length=60)
    channel_id: str = Field(max_length=32)
    weekdays: str = Field(default="mon,tue,wed,thu,fri", max_length=40)
    local_time: str = Field(default="09:30", max_length=5)  # HH:MM in each participant's own time zone
    tz: str | None = Field(default=None, max_length=64)  # dates a run and its report; None: its creator's zone
    reminder_minutes: int = 60
    cutoff_minutes: int = 240
    questions: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of strings
    holidays: str = Field(default="[]", sa_column=Column(Text, nullable=False, server_default="[]"))
    holiday_region: str | None = Field(default=None, max_length=16)  # public holidays: "US", "DE-BY"; None: none
    paused: bool = False
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StandupParticipant(SQLModel, table=True):
    __tablename__ = "standup_participants"
    __table_args__ = (UniqueConstraint("standup_id", "user_id", name="uq_standup_participants_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    standup_id: int = Field(sa_column=_fk("standups.id"))
    user_id: str = Field(max_length=32)


class StandupRun(SQLModel, table=True):
    """One standup on one date: one parent message in the report channel, closed at the last cutoff."""

    __tablename__ = "standup_runs"
    __table_args__ = (UniqueConstraint("standup_id", "run_date", name="uq_standup_runs_date"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    standup_id: int = Field(sa_column=_fk("standups.id"))
    run_date: date
    closes_at: datetime = Field(sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StandupPrompt(SQLModel, table=True):
    __tablename__ = "standup_prompts"
    __table_args__ = (UniqueConstraint("run_id", "user_id", name="uq_standup_prompts_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    run_id: int = Field(sa_column=_fk("standup_runs.id"))
    standup_id: int = Field(sa_column=_fk("standups.id"))
    user_id: str = Field(max_length=32)
    tz: str = Field(max_length=64)
    prompt_at: datetime = Field(sa_type=UTCDateTime)
    remind_at: datetime = Field(sa_type=UTCDateTime)
    cutoff_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=PromptStatus.PROMPTED, max_length=16)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StandupAnswer(SQLModel, table=True):
    __tablename__ = "standup_answers"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    prompt_id: int = Field(sa_column=Column(Integer, ForeignKey("standup_prompts.id", ondelete="CASCADE"),
                                            nullable=False, unique=True))
    run_id: int = Field(sa_column=_fk("standup_runs.id"))
    user_id: str = Field(max_length=32)
    answers: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of {question, answer}
    project_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("projects.id",
                                                                                        ondelete="SET NULL")))
    experiment: str = Field(default="", max_length=500)
    metric_value: float | None = None
    confidence: str | None = Field(default=None, max_length=8)
    blocked: bool = False
    blocker: str = Field(default="", max_length=1000)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Absence(SQLModel, table=True):
    """Skipping (one standup or all) or away: no prompts between the dates, inclusive."""

    __tablename__ = "absences"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    user_id: str = Field(max_length=32, index=True)
    standup_id: int | None = Field(default=None, sa_column=_fk("standups.id", nullable=True))
    kind: str = Field(max_length=8)
    start_date: date
    end_date: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Measurement(SQLModel, table=True):
    """A metric value a project reached, wherever it came from; the source reference makes imports idempotent."""

    __tablename__ = "measurements"
    __table_args__ = (UniqueConstraint("project_id", "source", "source_ref", name="uq_measurements_source"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(sa_column=_fk("projects.id"))
    experiment_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("experiments.id", ondelete="SET NULL", name="fk_measurements_experiment"), nullable=True))
    metric: str = Field(max_length=80)
    value: float
    measured_at: datetime = Field(sa_type=UTCDateTime, index=True)
    source: str = Field(max_length=16)
    source_ref: str = Field(max_length=255)
    user_id: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", max_length=500)
    confidence: str | None = Field(default=None, max_length=8)  # low / medium / high, as its author said
    confirmed_by: str | None = Field(default=None, max_length=32)  # who confirmed a low-confidence result
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
