"""Keep, Retrain, Roll back or Retire: a PM's answer to a degrading model, kept like a gate vote.

Decisions are append-only. Retire stops the project and records "retired after N months in production
because …" as a stage transition, so the portfolio's history and the digest's endings keep it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import HeadwayError, InvalidInput, NotAllowed, NotFound
from bot.models import (
    ProductionChoice,
    ProductionDecision,
    Project,
    ProjectState,
    StageTransition,
)
from bot.people.service import Actor
from bot.production import notify
from bot.production.health import assess, time_in_production
from bot.production.service import find_health, firing_alerts, latest_live
from bot.projects.service import can_edit, get_project
from bot.render import Renderer
from bot.render.formatting import truncate_words

NEEDS_REASON = (ProductionChoice.RETRAIN, ProductionChoice.ROLL_BACK, ProductionChoice.RETIRE)


async def project_by_id(session: AsyncSession, team_id: str, project_id: int) -> Project:
    project = await session.get(Project, project_id)
    if project is None or project.team_id != team_id:
        raise NotFound("That project no longer exists.")
    return project


async def authorized(session: AsyncSession, by: Actor, project_id: int) -> Project:
    """The project, if `by` may decide its production future (its PMs and Headway admins)."""
    project = await project_by_id(session, by.person.team_id, project_id)
    if not can_edit(by, await get_project(session, project.team_id, project.key)):
        raise NotAllowed(f"Only {project.key}'s PMs and Headway admins decide what happens to it in production.")
    if project.state == ProjectState.STOPPED:
        raise HeadwayError(f"{project.key} is already stopped; there is nothing left to decide.")
    return project


async def decided_already(session: AsyncSession, project_id: int, episode: int) -> ProductionDecision | None:
    """The decision that answered this degradation episode, if one did: the alert asks once."""
    return (await session.exec(select(ProductionDecision).where(
        ProductionDecision.project_id == project_id, ProductionDecision.episode == episode)
        .order_by(ProductionDecision.cast_at, ProductionDecision.id))).first()


def already_text(decision: ProductionDecision) -> str:
    label = notify.CHOICES[ProductionChoice(decision.choice)][0]
    return f"Already decided: {label}, on {decision.cast_at:%a} {decision.cast_at.day} {decision.cast_at:%b %Y}."


async def decide(session: AsyncSession, renderer: Renderer, by: Actor, project_id: int, episode: int,
                 choice: ProductionChoice, rationale: str, now: datetime) -> tuple[ProductionDecision, str | None]:
    project = await authorized(session, by, project_id)
    earlier = await decided_already(session, project.id, episode)  # type: ignore[arg-type]
    if earlier is not None:
        raise HeadwayError(already_text(earlier))
    rationale = rationale.strip()
    if choice in NEEDS_REASON and not rationale:
        raise InvalidInput({"rationale": "Say why: it is kept in the project's history."})
    health = await find_health(session, project.id)  # type: ignore[arg-type]
    if health is None:
        raise HeadwayError(f"{project.key} has not been launched, so there is no production decision to take.")
    latest = await latest_live(session, project.id)  # type: ignore[arg-type]
    label = assess(health, str(project.metric_direction), latest.value if latest else None,
                   len(await firing_alerts(session, project.id)), now).label  # type: ignore[arg-type]
    decision = ProductionDecision(team_id=project.team_id, project_id=project.id, episode=episode,
                                  user_id=by.user_id, choice=choice.value, rationale=rationale[:3000],
                                  label=label.value, cast_at=now)
    session.add(decision)
    await session.flush()
    retired = None
    if choice == ProductionChoice.RETIRE:
        retired = (f"retired after {time_in_production(health.launched_at, now)} in production because "
                   f"{rationale}")
        session.add(StageTransition(team_id=project.team_id, project_id=project.id, from_stage=project.stage,
                                    to_stage=project.stage, from_state=project.state, to_state=ProjectState.STOPPED,
                                    actor_id=by.user_id, reason=truncate_words(retired[:1].upper() + retired[1:],
                                                                               3000), at=now))
        project.state, project.updated_at = ProjectState.STOPPED, now
        session.add(project)
        await session.flush()
    await notify.decided(session, renderer, project, decision, retired)
    await notify.settle_alerts(session, renderer, project, decision)
    return decision, retired


async def history(session: AsyncSession, project_id: int) -> list[ProductionDecision]:
    return list((await session.exec(select(ProductionDecision).where(ProductionDecision.project_id == project_id)
                                    .order_by(ProductionDecision.cast_at, ProductionDecision.id))).all())
