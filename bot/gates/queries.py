"""Reading gates back: one gate with its approvers and votes, a project's gates, the open ones.

`GateView` is everything a card, a status answer or a reminder shows, computed once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import and_, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound
from bot.gates import snapshot
from bot.gates.approvers import role_text
from bot.gates.rules import Approver, Ballot, needed
from bot.lifecycle import Lifecycle
from bot.models import Gate, GateApprover, GateDecision, GateRule, GateStatus, GateVote, Project, utcnow
from bot.people.time_off import TimeOffBook


@dataclass(frozen=True)
class ApproverLine:
    user_id: str
    roles: str  # "Privacy, PM"
    signoff: bool
    vote: GateVote | None  # their standing vote
    back_on: date | None = None  # on time off (bot.people.time_off) and back then, if they have not voted


@dataclass(frozen=True)
class GateView:
    gate: Gate
    project: Project
    from_name: str
    to_name: str
    pivot_name: str | None
    criteria: list[dict[str, Any]]
    snapshot: dict[str, Any]
    approvers: list[ApproverLine]
    votes: list[GateVote]  # every vote and change, oldest first
    needed: int

    @property
    def is_open(self) -> bool:
        return self.gate.status == GateStatus.OPEN

    @property
    def unmet(self) -> list[dict[str, Any]]:
        return [c for c in self.criteria if c.get("status") == "not_met"]

    @property
    def met_count(self) -> int:
        return sum(1 for c in self.criteria if c.get("status") == "met")

    @property
    def waiting(self) -> list[str]:
        return [a.user_id for a in self.approvers if a.vote is None]

    @property
    def history(self) -> list[tuple[GateVote, bool]]:
        """Every vote with whether it changed an earlier vote of the same person."""
        seen: set[str] = set()
        rows = []
        for vote in self.votes:
            rows.append((vote, vote.user_id in seen))
            seen.add(vote.user_id)
        return rows

    @property
    def conditions_open(self) -> bool:
        return self.gate.outcome == GateDecision.GO_CONDITIONS and self.gate.conditions_met_at is None


def stage_name(lifecycle: Lifecycle, key: str | None) -> str:
    if not key:
        return ""
    try:
        return lifecycle.stage(key).name
    except KeyError:  # the lifecycle file changed under an old gate: show the key
        return key


def ballots(votes: list[GateVote]) -> list[Ballot]:
    return [Ballot(v.user_id, GateDecision(v.decision), v.id or 0) for v in votes]


def approvers_for_rule(rows: Iterable[GateApprover | ApproverLine]) -> list[Approver]:
    return [Approver(a.user_id, a.signoff) for a in rows]


async def find_gate(session: AsyncSession, team_id: str, gate_id: int) -> Gate:
    gate = await session.get(Gate, gate_id)
    if gate is None or gate.team_id != team_id:
        raise NotFound(f"There is no gate #{gate_id}. `/gate status` lists the open ones.")
    return gate


async def reload(session: AsyncSession, gate_id: int) -> Gate:
    """The row as the database has it now (not a copy the session remembered)."""
    return (await session.exec(select(Gate).where(Gate.id == gate_id).execution_options(populate_existing=True))
            ).one()


async def approvers_of(session: AsyncSession, gate_id: int) -> list[GateApprover]:
    return list((await session.exec(select(GateApprover).where(GateApprover.gate_id == gate_id)
                                    .order_by(GateApprover.id))).all())


async def votes_of(session: AsyncSession, gate_id: int) -> list[GateVote]:
    return list((await session.exec(select(GateVote).where(GateVote.gate_id == gate_id)
                                    .order_by(GateVote.id))).all())


async def load_view(session: AsyncSession, gate: Gate, lifecycle: Lifecycle, today: date | None = None) -> GateView:
    """`today` (default: the UTC date) decides which approvers who have not voted are shown as away."""
    project = await session.get(Project, gate.project_id)
    assert project is not None
    approvers = await approvers_of(session, gate.id)  # type: ignore[arg-type]
    votes = await votes_of(session, gate.id)  # type: ignore[arg-type]
    latest = {v.user_id: v for v in votes}
    waiting = [a.user_id for a in approvers if a.user_id not in latest]
    book = (await TimeOffBook.load(session, gate.team_id, waiting)
            if waiting and gate.status == GateStatus.OPEN else None)
    on = today or utcnow().date()
    lines = [ApproverLine(a.user_id, role_text(a.roles), a.signoff, latest.get(a.user_id),
                          book.back_on(a.user_id, on) if book and a.user_id in waiting else None) for a in approvers]
    try:
        criteria = [c for c in json.loads(gate.criteria or "[]") if isinstance(c, dict)]
    except ValueError:
        criteria = []
    return GateView(
        gate=gate, project=project, from_name=stage_name(lifecycle, gate.from_stage),
        to_name=stage_name(lifecycle, gate.to_stage), pivot_name=stage_name(lifecycle, gate.pivot_stage) or None,
        criteria=criteria, snapshot=snapshot.loads(gate.snapshot), approvers=lines, votes=votes,
        needed=needed(GateRule(gate.rule), len(approvers)),
    )


async def load_views(session: AsyncSession, gates: Iterable[Gate], lifecycles: Callable[[str], Lifecycle]
                     ) -> list[GateView]:
    views = []
    for gate in gates:
        project = await session.get(Project, gate.project_id)
        views.append(await load_view(session, gate, lifecycles(project.lifecycle if project else "default")))
    return views


async def open_gate_of(session: AsyncSession, project_id: int) -> Gate | None:
    return (await session.exec(select(Gate).where(Gate.project_id == project_id, Gate.status == GateStatus.OPEN)
                               .order_by(Gate.id.desc()))).first()  # type: ignore[union-attr]


async def gates_of(session: AsyncSession, project_id: int) -> list[Gate]:
    return list((await session.exec(select(Gate).where(Gate.project_id == project_id).order_by(Gate.id))).all())


async def awaiting(session: AsyncSession, team_id: str) -> list[Gate]:
    """What `/gate status` lists: the workspace's open gates (soonest deadline first), then the closed gates whose
    Go came with conditions nobody has marked as met yet (oldest first) — read in one query, not two: each
    statement is a round trip (on SQLite a hop to its thread and back) on the loop that also acks."""
    rows = (await session.exec(select(Gate).where(Gate.team_id == team_id, or_(
        Gate.status == GateStatus.OPEN,
        and_(Gate.outcome == GateDecision.GO_CONDITIONS, Gate.conditions_met_at.is_(None)))))).all()  # type: ignore[union-attr]
    open_ = sorted((g for g in rows if g.status == GateStatus.OPEN), key=lambda g: (g.deadline_at, g.id))
    return [*open_, *sorted((g for g in rows if g.status != GateStatus.OPEN), key=lambda g: g.id)]  # type: ignore[arg-type]


@dataclass(frozen=True)
class Pending:
    """An open gate waiting for one approver's vote (for digests and the App Home)."""

    gate_id: int
    project_id: int
    title: str
    deadline: date


async def pending_for(session: AsyncSession, team_id: str, user_id: str) -> list[Pending]:
    """Open gates where `user_id` is an approver and has not voted yet, soonest deadline first."""
    gates = (await session.exec(
        select(Gate, Project).join(GateApprover, GateApprover.gate_id == Gate.id)
        .join(Project, Project.id == Gate.project_id)
        .where(Gate.team_id == team_id, Gate.status == GateStatus.OPEN, GateApprover.user_id == user_id)
        .order_by(Gate.deadline_at, Gate.id)
    )).all()
    voted = set((await session.exec(select(GateVote.gate_id).where(
        GateVote.user_id == user_id, GateVote.gate_id.in_([g.id for g, _ in gates])))).all())  # type: ignore[union-attr]
    return [Pending(g.id, p.id, f"{p.key}: gate #{g.id}", g.deadline) for g, p in gates  # type: ignore[arg-type]
            if g.id not in voted]
