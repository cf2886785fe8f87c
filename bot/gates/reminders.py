"""Nudging approvers and ending holds: the per-gate steps of the scheduled gate job.

Each step is idempotent: messages are keyed per gate, approver and local day (or deadline), so the job can
run every few minutes, twice at once, or again after a restart without sending anything twice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.gates import notify
from bot.gates.queries import load_view, reload
from bot.gates.voting import GateEnv
from bot.models import Gate, GateDecision, GateStatus, Project, ProjectState, StageTransition
from bot.people.service import people_by_user_id
from bot.projects.service import get_project
from bot.render.formatting import day
from bot.standups.schedule import zone

WORK_STARTS = 9  # local hour from which people are nudged on working days
LAST_CALL = timedelta(hours=24)


def working_day(now: datetime, tz: str) -> date | None:
    """The person's local date if it is a working day (Mon–Fri) and past 09:00 there; else None."""
    local = now.astimezone(zone(tz))
    return local.date() if local.weekday() < 5 and local.hour >= WORK_STARTS else None


async def remind_waiting(session: AsyncSession, env: GateEnv, gate_id: int) -> int:
    """Nudge approvers who have not voted: once per working day, and a last call 24 h before the deadline."""
    gate = await reload(session, gate_id)
    if gate.status != GateStatus.OPEN or env.now >= gate.deadline_at:
        return 0
    project = await session.get(Project, gate.project_id)
    lifecycle = env.lifecycles(project.lifecycle)  # type: ignore[union-attr]
    view = await load_view(session, gate, lifecycle)
    people = await people_by_user_id(session, gate.team_id, view.waiting)
    last_call = env.now >= gate.deadline_at - LAST_CALL and gate.requested_at < gate.deadline_at - LAST_CALL
    sent = 0
    for user_id in view.waiting:
        tz = people[user_id].tz if user_id in people else "UTC"
        if last_call:
            what, key = "last_call", f"lastcall:{gate.deadline.isoformat()}"
        else:
            today = working_day(env.now, tz)
            if today is None or today <= gate.requested_at.astimezone(zone(tz)).date():
                continue  # not a working hour there, or the card only just arrived
            what, key = "nudge", f"nudge:{today.isoformat()}"
        sent += await notify.tell(session, env.renderer, view, lifecycle, what=what, people=[user_id], channel=False,
                                  key=key, by=None)
    return sent


async def end_hold(session: AsyncSession, env: GateEnv, gate_id: int) -> bool:
    """When a hold's date comes, the project is active again and its PMs and channel hear so (once)."""
    gate = await reload(session, gate_id)
    if gate.outcome != GateDecision.HOLD or gate.hold_until is None or gate.hold_until > env.now.date():
        return False
    marked = await session.exec(update(Gate).where(  # type: ignore[call-overload]
        Gate.id == gate_id, Gate.resumed_at.is_(None)).values(resumed_at=env.now))  # type: ignore[union-attr]
    if not marked.rowcount:
        return False
    project = await session.get(Project, gate.project_id)
    assert project is not None
    if project.state != ProjectState.PAUSED:  # someone already moved it on (a new gate, the project form)
        return False
    session.add(StageTransition(
        team_id=project.team_id, project_id=project.id, from_stage=project.stage, to_stage=project.stage,
        from_state=project.state, to_state=ProjectState.ACTIVE, actor_id=None, at=env.now,
        reason=f"Hold from gate #{gate.id} ended on {day(gate.hold_until)}"))
    project.state, project.updated_at = ProjectState.ACTIVE, env.now
    session.add(project)
    await session.flush()
    lifecycle = env.lifecycles(project.lifecycle)
    details = await get_project(session, project.team_id, project.key)
    view = await load_view(session, await reload(session, gate_id), lifecycle)
    await notify.tell(session, env.renderer, view, lifecycle, what="resumed", people=list(details.pm_ids),
                      channel=True, key="resumed")
    return True
