"""What a degradation says and where: a DM to each PM and a post in the project channel, once per episode.

Keys: `production:PROJECT:episode:N:USER` and `…:channel`; recovery is posted in the channel once per episode.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.outbox import enqueue
from bot.delivery.settle import copies, outcome, settle
from bot.ids import ActionId
from bot.models import ProductionAlert, ProductionChoice, ProductionDecision, ProductionHealth, Project
from bot.production.health import Assessment, tolerance_text
from bot.production.reason import health_reason
from bot.render import Message, Renderer

CHOICES = {
    ProductionChoice.KEEP: ("Keep", ActionId.PRODUCTION_KEEP),
    ProductionChoice.RETRAIN: ("Retrain", ActionId.PRODUCTION_RETRAIN),
    ProductionChoice.ROLL_BACK: ("Roll back", ActionId.PRODUCTION_ROLL_BACK),
    ProductionChoice.RETIRE: ("Retire", ActionId.PRODUCTION_RETIRE),
}


def words() -> dict[str, Any]:
    return {"choices": [(c.value, label, action.value) for c, (label, action) in CHOICES.items()],
            "choice_labels": {c.value: label for c, (label, _) in CHOICES.items()}}


def episode_key(project_id: int | None, episode: int, where: str) -> str:
    return f"production:{project_id}:episode:{episode}:{where}"


def alert_message(renderer: Renderer, project: Project, health: ProductionHealth, assessment: Assessment,
                  firing: list[ProductionAlert]) -> Message:
    alert = firing[0].summary or firing[0].name if firing else None
    reason = health_reason(renderer, project, health, assessment.live, alert)
    return renderer.message("production/alert.json.j2", p=project, h=health, a=assessment, reason=reason,
                            alerts=firing[:5], tolerance=tolerance_text(health),
                            value=f"{project.id}:{health.episode}", **words())


async def announce(session: AsyncSession, renderer: Renderer, project: Project, health: ProductionHealth,
                   assessment: Assessment, firing: list[ProductionAlert], pm_ids: tuple[str, ...]) -> int:
    message = alert_message(renderer, project, health, assessment, firing)
    queued = 0
    if project.channel_id:
        queued += await enqueue(session, team_id=project.team_id, kind="production_alert",
                                key=episode_key(project.id, health.episode, "channel"), channel=project.channel_id,
                                message=message)
    for user_id in dict.fromkeys(pm_ids):
        queued += await enqueue(session, team_id=project.team_id, kind="production_alert",
                                key=episode_key(project.id, health.episode, user_id), channel=user_id,
                                message=message)
    return queued


async def recovered(session: AsyncSession, renderer: Renderer, project: Project, health: ProductionHealth,
                    assessment: Assessment) -> int:
    if not project.channel_id:
        return 0
    reason = health_reason(renderer, project, health, assessment.live)
    message = renderer.message("production/recovered.json.j2", p=project, reason=reason)
    return await enqueue(session, team_id=project.team_id, kind="production_recovered", channel=project.channel_id,
                         key=episode_key(project.id, health.episode, "recovered"), message=message)


async def decided(session: AsyncSession, renderer: Renderer, project: Project, decision: ProductionDecision,
                  retired: str | None) -> int:
    """The PMs' choice, in the project channel (or to the PM who chose, without one)."""
    message = renderer.message("production/decided.json.j2", p=project, d=decision, retired=retired, **words())
    return await enqueue(session, team_id=project.team_id, kind="production_decision",
                         channel=project.channel_id or decision.user_id,
                         key=f"production:{project.id}:decision:{decision.id}", message=message)


async def settle_alerts(session: AsyncSession, renderer: Renderer, project: Project,
                        decision: ProductionDecision) -> int:
    """Every copy of the episode's alert (channel post, PMs' DMs) stops asking: the choice, who and when."""
    standing = await copies(session, project.team_id, prefix=episode_key(project.id, decision.episode, ""),
                            kinds=["production_alert"])
    line = outcome(renderer, f"Decided: {CHOICES[ProductionChoice(decision.choice)][0]}", by=decision.user_id,
                   at=decision.cast_at, detail=decision.rationale)
    return await settle(session, standing, line, version=f"decision-{decision.id}")
