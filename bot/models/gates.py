"""Go/no-go gates: a request to leave a stage, its named approvers, and every vote ever cast on it.

Votes are append-only: changing a vote adds a row, the latest row per approver is their standing vote,
and nothing is ever deleted, so a gate's history can always be replayed for an audit.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.models.core import _team_fk
from bot.models.types import UTCDateTime, utcnow


class GateStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class GateRule(StrEnum):
    ALL = "all"
    MAJORITY = "majority"
    ANY = "any"


class GateDecision(StrEnum):
    """What an approver votes, and (plus NO_DECISION) what a gate ends with."""

    GO = "go"
    GO_CONDITIONS = "go_conditions"
    PIVOT = "pivot"
    HOLD = "hold"
    NO_GO = "no_go"
    NO_DECISION = "no_decision"  # closed as is without enough votes: the project stays where it is


def _text(default: str = "") -> Column:
    return Column(Text, nullable=False, server_default=default)


def _gate_fk() -> Column:
    return Column(Integer, ForeignKey("gates.id", ondelete="CASCADE"), nullable=False, index=True)


class Gate(SQLModel, table=True):
    """One go/no-go review of a project at a stage boundary, from request to outcome."""

    __tablename__ = "gates"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    project_id: int = Field(
        sa_column=Column(Integer, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    from_stage: str = Field(max_length=64)
    to_stage: str = Field(max_length=64)
    status: str = Field(default=GateStatus.OPEN, max_length=16, index=True)
    rule: str = Field(default=GateRule.MAJORITY, max_length=16)
    summary: str = Field(default="", sa_column=_text())
    criteria: str = Field(default="[]", sa_column=_text("[]"))  # JSON: [{key, text, required, status, evidence}]
    snapshot: str = Field(default="{}", sa_column=_text("{}"))  # JSON: metric and judgement frozen at request
    channel_id: str | None = Field(default=None, max_length=32)  # where the card was posted, if anywhere
    requested_by: str = Field(max_length=32)
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deadline: date
    deadline_at: datetime = Field(sa_type=UTCDateTime, index=True)  # end of the deadline day, requester's time
    version: int = 0  # bumped under the row lock on every change; names the card updates in the outbox
    outcome: str | None = Field(default=None, max_length=16)
    outcome_basis: str | None = Field(default=None, max_length=16)  # rule, deadline, as_is, cancelled
    outcome_reason: str = Field(default="", sa_column=_text())
    conditions: str = Field(default="", sa_column=_text())
    conditions_met_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    conditions_met_by: str | None = Field(default=None, max_length=32)
    pivot_stage: str | None = Field(default=None, max_length=64)
    reframed_problem: str = Field(default="", sa_column=_text())
    hold_until: date | None = None
    resumed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: str | None = Field(default=None, max_length=32)  # None: closed by the deadline job


class GateApprover(SQLModel, table=True):
    """A person who may vote on a gate; `signoff` marks a required sign-off (privacy, legal, validation)."""

    __tablename__ = "gate_approvers"
    __table_args__ = (UniqueConstraint("gate_id", "user_id", name="uq_gate_approvers_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    gate_id: int = Field(sa_column=_gate_fk())
    user_id: str = Field(max_length=32)
    roles: str = Field(default="", max_length=200)  # comma-separated approver roles this person fills
    signoff: bool = False


class GateVote(SQLModel, table=True):
    """One vote or change of vote; never updated or deleted."""

    __tablename__ = "gate_votes"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_column=_team_fk())
    gate_id: int = Field(sa_column=_gate_fk())
    user_id: str = Field(max_length=32)
    decision: str = Field(max_length=16)
    rationale: str = Field(default="", sa_column=_text())
    conditions: str = Field(default="", sa_column=_text())
    pivot_stage: str | None = Field(default=None, max_length=64)
    problem_statement: str = Field(default="", sa_column=_text())
    hold_until: date | None = None
    cast_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
