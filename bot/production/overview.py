"""Every live project with its health label and reason: for the exec digest's "In production" group (one query
for the whole portfolio, on top of the projects the digest already loaded) and `/headway health KEY`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import HeadwayError
from bot.lifecycle import Lifecycle
from bot.models import (
    HealthLabel,
    ProductionAlert,
    ProductionDecision,
    ProductionHealth,
    ProductionReading,
    Project,
    ProjectState,
)
from bot.production.health import assess, time_in_production, tolerance_text
from bot.production.reason import health_reason
from bot.production.stages import in_production
from bot.projects.service import get_project
from bot.render import Renderer

LABEL_ORDER = {HealthLabel.DEGRADED: 0, HealthLabel.DEGRADING: 1, HealthLabel.HEALTHY: 2}


@dataclass(frozen=True)
class LiveItem:
    project: Project
    label: HealthLabel
    reason: str  # mrkdwn-escaped already
    launched_at: datetime
    live: float | None
    launch_value: float | None
    tolerance: str
    firing: int
    live_for: str  # "4 months"


@dataclass(frozen=True)
class LiveDetail:
    item: LiveItem
    alerts: tuple[ProductionAlert, ...]  # firing now
    decisions: tuple[ProductionDecision, ...]


def is_live(project: Project, lifecycle: Lifecycle) -> bool:
    """Shipped, or in a production stage, and not stopped."""
    if project.state == ProjectState.STOPPED:
        return False
    return project.state == ProjectState.SHIPPED or in_production(lifecycle, project.stage)


async def live_projects(session: AsyncSession, renderer: Renderer, projects: Sequence[Project],
                        lifecycle_of: Callable[[Project], Lifecycle], now: datetime) -> list[LiveItem]:
    """The live ones among `projects`, judged, worst first; one query."""
    live = [p for p in projects if is_live(p, lifecycle_of(p))]
    if not live:
        return []
    mine = ProductionHealth.project_id
    latest = select(ProductionReading.value).where(ProductionReading.project_id == mine).order_by(
        ProductionReading.measured_at.desc(), ProductionReading.id.desc()).limit(1)  # type: ignore[attr-defined]
    firing = select(func.count()).select_from(ProductionAlert).where(
        ProductionAlert.project_id == mine, ProductionAlert.status == "firing")
    first = select(func.coalesce(func.nullif(ProductionAlert.summary, ""), ProductionAlert.name)).where(
        ProductionAlert.project_id == mine, ProductionAlert.status == "firing").order_by(
        ProductionAlert.starts_at).limit(1)
    query = select(ProductionHealth, latest.scalar_subquery(), firing.scalar_subquery(), first.scalar_subquery()
                   ).where(mine.in_([p.id for p in live]))  # type: ignore[attr-defined]
    found = {h.project_id: (h, value, count, summary) for h, value, count, summary in (await session.exec(query)).all()}
    items = []
    for project in live:
        health, value, count, summary = found.get(project.id) or (ProductionHealth(
            team_id=project.team_id, project_id=project.id, metric=project.metric_name, launch_value=None,
            launched_at=project.updated_at), None, 0, None)  # shipped by hand: nothing frozen to compare with
        label = assess(health, str(project.metric_direction), value, count, now).label
        items.append(LiveItem(project, label, health_reason(renderer, project, health, value, summary),
                              health.launched_at, value, health.launch_value, tolerance_text(health), count,
                              time_in_production(health.launched_at, now)))
    items.sort(key=lambda i: (LABEL_ORDER[i.label], i.project.key))
    return items


async def one(session: AsyncSession, renderer: Renderer, team_id: str, key: str,
              lifecycle_of: Callable[[Project], Lifecycle], now: datetime) -> LiveDetail:
    project = (await get_project(session, team_id, key)).project
    found = await live_projects(session, renderer, [project], lifecycle_of, now)
    if not found:
        raise HeadwayError(f"{project.key} is not in production, so it has no live health yet: it gets one when a "
                           "gate into production closes with Go.")
    alerts = (await session.exec(select(ProductionAlert).where(
        ProductionAlert.project_id == project.id, ProductionAlert.status == "firing")
        .order_by(ProductionAlert.starts_at))).all()
    decisions = (await session.exec(select(ProductionDecision).where(ProductionDecision.project_id == project.id)
                                    .order_by(ProductionDecision.cast_at, ProductionDecision.id))).all()
    return LiveDetail(found[0], tuple(alerts), tuple(decisions))
