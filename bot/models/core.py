"""Workspace, people, projects and their stage history: the rows every feature stands on."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from bot.models.types import UTCDateTime, utcnow


class Role(StrEnum):
    PM = "pm"
    EXEC = "exec"
    MEMBER = "member"
    ADMIN = "admin"


class ProjectState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    SHIPPED = "shipped"
    STOPPED = "stopped"


class MetricDirection(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


class ProjectRole(StrEnum):
    PM = "pm"
    MEMBER = "member"


def _team_fk() -> Column:
    return Column(String(32), ForeignKey("workspaces.team_id", ondelete="CASCADE"), nullable=False, index=True)


class Workspace(SQLModel, table=True):
    __tablename__ = "workspaces"

    team_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=200)
    lifecycle: str = Field(default="default", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Person(SQLModel, table=True):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_people_team_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    user_id: str = Field(max_length=32)
    name: str = Field(default="", max_length=200)
    real_name: str = Field(default="", max_length=200)
    tz: str = Field(default="UTC", max_length=64)
    is_bot: bool = False
    deleted: bool = False
    profile_refreshed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PersonRole(SQLModel, table=True):
    """Headway roles beyond plain membership (pm, exec, admin); everyone is a member."""

    __tablename__ = "person_roles"

    person_id: int = Field(
        sa_column=Column(Integer, ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    )
    role: str = Field(primary_key=True, max_length=16)
    team_id: str = Field(sa_column=_team_fk())
    granted_by: str | None = Field(default=None, max_length=32)
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Project(SQLModel, table=True):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("team_id", "key", name="uq_projects_team_key"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    key: str = Field(max_length=12)
    name: str = Field(max_length=120)
    problem_statement: str = Field(default="", max_length=3000)
    business_owner_id: str | None = Field(default=None, max_length=32)
    success_criteria: str = Field(default="", max_length=3000)
    metric_name: str = Field(max_length=80)
    metric_direction: str = Field(default=MetricDirection.HIGHER, max_length=8)
    metric_unit: str = Field(default="", max_length=32)
    baseline: float | None = None
    target: float | None = None
    start_date: date
    expected_date: date | None = None
    kill_date: date | None = None
    lens: str | None = Field(default=None, max_length=64)  # None: chosen from the metric name
    lens_subject: str = Field(default="", max_length=80)  # "fraud cases", "deliveries"
    monthly_volume: float | None = None
    value_per_catch: float | None = None
    cost_per_false_alarm: float | None = None
    currency: str = Field(default="$", max_length=8)
    lifecycle: str = Field(default="default", max_length=64)
    stage: str = Field(max_length=64)
    state: str = Field(default=ProjectState.ACTIVE, max_length=16)
    channel_id: str | None = Field(default=None, max_length=32)
    created_by: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProjectMember(SQLModel, table=True):
    __tablename__ = "project_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id", name="uq_project_members_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    user_id: str = Field(max_length=32)
    role: str = Field(default=ProjectRole.MEMBER, max_length=16)


class StageTransition(SQLModel, table=True):
    """Append-only history of stage and state changes: who moved a project, when and why."""

    __tablename__ = "stage_transitions"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    from_stage: str | None = Field(default=None, max_length=64)
    to_stage: str = Field(max_length=64)
    from_state: str | None = Field(default=None, max_length=16)
    to_state: str = Field(max_length=16)
    actor_id: str | None = Field(default=None, max_length=32)
    reason: str = Field(default="", max_length=3000)
    # An admin moved the stage or state directly in the form, bypassing the go/no-go gate that should decide it.
    without_gate: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class GoalpostChange(SQLModel, table=True):
    """Append-only record of a moved goalpost (metric, direction, baseline, target, expected or stop date):
    who moved it, when, from what to what, and why — so a moving target is never a silent one."""

    __tablename__ = "goalpost_changes"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    field: str = Field(max_length=32)
    old_value: str = Field(default="", max_length=200)
    new_value: str = Field(default="", max_length=200)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    actor_id: str | None = Field(default=None, max_length=32)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
