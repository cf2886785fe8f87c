"""What a project's PMs (and admins) do with a gate besides requesting it: cancel, remind, extend, close as
is, mark conditions met; and what the deadline does when nobody acts. All changes go through `lock`."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import HeadwayError, InvalidInput
from bot.gates import notify
from bot.gates.form import MAX_DEADLINE_DAYS, end_of_day
from bot.gates.queries import GateView, find_gate, load_view, reload
from bot.gates.rules import Verdict
from bot.gates.service import check_can_request
from bot.gates.voting import GateEnv, GateNotOpen, lock, settle
from bot.lifecycle import Lifecycle
from bot.models import Gate, GateDecision, GateStatus, Project
from bot.people.service import Actor
from bot.projects.service import ProjectDetails, get_project


async def authorized(session: AsyncSession, env: GateEnv, actor: Actor, gate_id: int
                      ) -> tuple[Gate, ProjectDetails, Lifecycle]:
    gate = await find_gate(session, actor.person.team_id, gate_id)
    project = await session.get(Project, gate.project_id)
    details = await get_project(session, gate.team_id, project.key)  # type: ignore[union-attr]
    check_can_request(actor, details)
    return gate, details, env.lifecycles(details.project.lifecycle)


async def _refreshed(session: AsyncSession, env: GateEnv, gate_id: int, lifecycle: Lifecycle) -> GateView:
    view = await load_view(session, await reload(session, gate_id), lifecycle)
    await notify.refresh_cards(session, env.renderer, view, lifecycle, env.now)
    return view


async def cancel(session: AsyncSession, env: GateEnv, actor: Actor, gate_id: int) -> GateView:
    _, _, lifecycle = await authorized(session, env, actor, gate_id)
    await lock(session, actor.person.team_id, gate_id)
    await session.exec(update(Gate).where(Gate.id == gate_id, Gate.status == GateStatus.OPEN).values(  # type: ignore[call-overload]
        status=GateStatus.CANCELLED, outcome_basis="cancelled", closed_at=env.now, closed_by=actor.user_id,
        version=Gate.version + 1))
    return await _refreshed(session, env, gate_id, lifecycle)


async def remind(session: AsyncSession, env: GateEnv, actor: Actor, gate_id: int, ref: str) -> list[str]:
    """DM the approvers who have not voted yet, now; returns who was reminded."""
    gate, _, lifecycle = await authorized(session, env, actor, gate_id)
    view = await load_view(session, gate, lifecycle)
    if not view.is_open:
        raise GateNotOpen(f"Gate #{gate_id} is {gate.status}: there is nobody to remind.")
    await notify.tell(session, env.renderer, view, lifecycle, what="remind", people=view.waiting, channel=False,
                      key=f"remind:{ref}", by=actor.user_id)
    return view.waiting


async def extend(session: AsyncSession, env: GateEnv, actor: Actor, gate_id: int, until: date | None) -> GateView:
    _, _, lifecycle = await authorized(session, env, actor, gate_id)
    today = env.now.date()
    if until is None or until < today:
        raise InvalidInput({"deadline": "Pick today or a later date."})
    if (until - today).days > MAX_DEADLINE_DAYS:
        raise InvalidInput({"deadline": f"Pick a date within {MAX_DEADLINE_DAYS} days."})
    await lock(session, actor.person.team_id, gate_id)
    await session.exec(update(Gate).where(Gate.id == gate_id).values(  # type: ignore[call-overload]
        deadline=until, deadline_at=end_of_day(until, actor.person.tz), version=Gate.version + 1))
    return await _refreshed(session, env, gate_id, lifecycle)


async def close_as_is(session: AsyncSession, env: GateEnv, actor: Actor, gate_id: int) -> GateView:
    _, _, lifecycle = await authorized(session, env, actor, gate_id)
    gate = await lock(session, actor.person.team_id, gate_id)
    await settle(session, env, gate, closed_by=actor.user_id, forced=True)
    return await load_view(session, await reload(session, gate_id), lifecycle)


async def conditions_met(session: AsyncSession, env: GateEnv, actor: Actor, gate_id: int) -> GateView:
    gate, _, lifecycle = await authorized(session, env, actor, gate_id)
    if gate.outcome != GateDecision.GO_CONDITIONS:
        raise HeadwayError(f"Gate #{gate_id} has no conditions to meet.")
    marked = await session.exec(update(Gate).where(  # type: ignore[call-overload]
        Gate.id == gate_id, Gate.conditions_met_at.is_(None)).values(  # type: ignore[union-attr]
        conditions_met_at=env.now, conditions_met_by=actor.user_id, version=Gate.version + 1))
    if not marked.rowcount:
        raise HeadwayError(f"Gate #{gate_id}'s conditions are already marked as met.")
    view = await _refreshed(session, env, gate_id, lifecycle)
    await notify.tell(session, env.renderer, view, lifecycle, what="conditions_met", people=[], channel=True,
                      key="conditions-met")
    return view


async def close_due(session: AsyncSession, env: GateEnv, gate_id: int) -> Verdict | None:
    """At the deadline: close if the votes decide; otherwise ask the PMs, once per deadline, what to do."""
    gate = await reload(session, gate_id)
    if gate.status != GateStatus.OPEN or env.now < gate.deadline_at:
        return None
    try:
        gate = await lock(session, gate.team_id, gate_id)
    except GateNotOpen:
        return None
    verdict = await settle(session, env, gate, refresh=False)
    if verdict is None:
        project = await session.get(Project, gate.project_id)
        details = await get_project(session, gate.team_id, project.key)  # type: ignore[union-attr]
        lifecycle = env.lifecycles(details.project.lifecycle)
        view = await load_view(session, gate, lifecycle)
        await notify.refresh_cards(session, env.renderer, view, lifecycle, env.now)  # "deadline passed" on the card
        await notify.tell(session, env.renderer, view, lifecycle, what="quorum",
                          people=list(details.pm_ids or (gate.requested_by,)), channel=False,
                          key=f"quorum:{gate.deadline.isoformat()}")
    return verdict
