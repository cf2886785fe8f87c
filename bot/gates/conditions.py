"""Conditions that come due: each condition of a "Go with conditions" has an owner and a due date.

Stated with the vote (one row per condition, naming the vote); when the gate closes only the deciding votes'
conditions stay. Owners are reminded a few days before the date, once (the outbox key and `reminded_at`);
an overdue condition is told to its owner and the PMs once, and shows on the project card, the App Home and the
exec digest until its owner or a PM marks it met.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.outbox import enqueue
from bot.errors import HeadwayError, NotAllowed, NotFound
from bot.ids import ActionId
from bot.models import Gate, GateCondition, GateDecision, GateStatus, GateVote, Project, ProjectMember, ProjectRole
from bot.people.service import Actor
from bot.render import Renderer
from bot.render.formatting import truncate_words

REMIND_DAYS_BEFORE = 2


async def record_for_vote(session: AsyncSession, gate: Gate, vote: GateVote, items: tuple[tuple[str, str, date], ...],
                          actor_id: str) -> None:
    for what, owner, due in items:
        session.add(GateCondition(team_id=gate.team_id, gate_id=gate.id, project_id=gate.project_id, vote_id=vote.id,
                                  text=truncate_words(what, 500), owner_id=owner, due_date=due, created_by=actor_id))
    await session.flush()


async def settle(session: AsyncSession, gate: Gate, outcome: GateDecision, deciding_votes: tuple[int, ...]) -> None:
    """Keep the deciding votes' conditions of a Go with conditions; drop every other stated condition."""
    keep = list(deciding_votes) if outcome == GateDecision.GO_CONDITIONS else []
    await session.exec(delete(GateCondition).where(  # type: ignore[call-overload]
        GateCondition.gate_id == gate.id, GateCondition.vote_id.not_in(keep)))  # type: ignore[union-attr]


@dataclass(frozen=True)
class OpenCondition:
    condition: GateCondition
    project_key: str
    project_name: str
    overdue_days: int  # 0 when not overdue


def _live(query: Any) -> Any:
    """Of a select of (GateCondition, Project): the conditions of closed Go-with-conditions gates, not met yet."""
    joined = query.join(Gate, Gate.id == GateCondition.gate_id).join(Project, Project.id == GateCondition.project_id)
    return joined.where(
        Gate.status == GateStatus.CLOSED, Gate.outcome == GateDecision.GO_CONDITIONS,
        GateCondition.met_at.is_(None))  # type: ignore[union-attr]


async def overdue(session: AsyncSession, team_id: str, today: date, project_id: int | None = None,
                  owner_id: str | None = None) -> list[OpenCondition]:
    """Conditions past their due date and not met, oldest first (one query)."""
    query = _live(select(GateCondition, Project)).where(GateCondition.team_id == team_id,
                                                        GateCondition.due_date < today)
    if project_id is not None:
        query = query.where(GateCondition.project_id == project_id)
    if owner_id is not None:
        query = query.where(GateCondition.owner_id == owner_id)
    rows = (await session.exec(query.order_by(GateCondition.due_date, GateCondition.id))).all()
    return [OpenCondition(c, p.key, p.name, (today - c.due_date).days) for c, p in rows]


async def _pms(session: AsyncSession, project_id: int) -> list[str]:
    return list((await session.exec(select(ProjectMember.user_id).where(
        ProjectMember.project_id == project_id, ProjectMember.role == ProjectRole.PM))).all())


async def due_notices(session: AsyncSession, now: datetime) -> list[tuple[int, bool]]:
    """(condition id, overdue) of every reminder and overdue notice not sent yet."""
    today = now.date()
    soon = (await session.exec(_live(select(GateCondition.id, Project.id)).where(
        GateCondition.reminded_at.is_(None),  # type: ignore[union-attr]
        GateCondition.due_date <= today + timedelta(days=REMIND_DAYS_BEFORE), GateCondition.due_date >= today))).all()
    late = (await session.exec(_live(select(GateCondition.id, Project.id)).where(
        GateCondition.overdue_notified_at.is_(None), GateCondition.due_date < today))).all()  # type: ignore[union-attr]
    return [(c, False) for c, _ in soon] + [(c, True) for c, _ in late]


async def notify(session: AsyncSession, renderer: Renderer, condition_id: int, is_overdue: bool,
                 now: datetime) -> int:
    """Remind the owner before the date, or tell the owner and the PMs it is overdue: once (conditional UPDATE,
    then outbox keys); how many messages were queued."""
    column = GateCondition.overdue_notified_at if is_overdue else GateCondition.reminded_at
    won = await session.exec(update(GateCondition).where(  # type: ignore[call-overload]
        GateCondition.id == condition_id, column.is_(None), GateCondition.met_at.is_(None))  # type: ignore[union-attr]
        .values({column: now}))
    if not won.rowcount:
        return 0
    condition = await session.get(GateCondition, condition_id)
    project = await session.get(Project, condition.project_id)  # type: ignore[union-attr]
    message = renderer.message("gates/condition_due.json.j2", c=condition, p=project, overdue=is_overdue,
                               today=now.date(), ids=ActionId)
    if not is_overdue:
        return await enqueue(session, team_id=condition.team_id, key=f"condition:{condition.id}:reminder",  # type: ignore[union-attr]
                             kind="condition_reminder", channel=condition.owner_id, message=message)  # type: ignore[union-attr]
    sent = 0
    for user_id in dict.fromkeys([condition.owner_id, *await _pms(session, project.id)]):  # type: ignore[union-attr]
        sent += await enqueue(session, team_id=condition.team_id, key=f"condition:{condition.id}:overdue:{user_id}",  # type: ignore[union-attr]
                              kind="condition_overdue", channel=user_id, message=message)
    return sent


async def mark_met(session: AsyncSession, by: Actor, condition_id: int, now: datetime) -> GateCondition:
    condition = await session.get(GateCondition, condition_id)
    if condition is None or condition.team_id != by.person.team_id:
        raise NotFound("That condition no longer exists.")
    pms = await _pms(session, condition.project_id)
    if not (by.user_id == condition.owner_id or by.user_id in pms or by.is_admin):
        raise NotAllowed("Only the condition's owner and the project's PMs can mark it met.")
    if condition.met_at is not None:
        raise HeadwayError("That condition is already marked met.")
    condition.met_at, condition.met_by = now, by.user_id
    session.add(condition)
    await session.flush()
    return condition
