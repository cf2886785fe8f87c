"""Every live project with its health, label and reason: for the exec digest's "In production" group and
`/headway health KEY`. A fixed number of queries whatever the number of projects."""

from __future__ import annotations

from collections.abc import Callable
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
from bot.production.health import assess, tolerance_text
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
    firing: tuple[ProductionAlert, ...]
    decisions: tuple[ProductionDecision, ...]


def is_live(project: Project, lifecycle: Lifecycle) -> bool:
    """Shipped, or in a production stage, and not stopped."""
    if project.state == ProjectState.STOPPED:
        return False
    return project.state == ProjectState.SHIPPED or in_production(lifecycle, project.stage)


async def live_projects(session: AsyncSession, renderer: Renderer, team_id: str,
                        lifecycle_of: Callable[[Project], Lifecycle], now: datetime, only: int | None = None
                        ) -> list[LiveItem]:
    query = select(Project).where(Project.team_id == team_id, Project.state != ProjectState.STOPPED)
    if only is not None:
        query = query.where(Project.id == only)
    projects = [p for p in (await session.exec(query.order_by(Project.key))).all()
                if is_live(p, lifecycle_of(p))]
    if not projects:
        return []
    ids = [p.id for p in projects]
    healths = {h.project_id: h for h in (await session.exec(select(ProductionHealth).where(
        ProductionHealth.project_id.in_(ids)))).all()}  # type: ignore[attr-defined]
    newest = select(ProductionReading.project_id, func.max(ProductionReading.measured_at).label("at")).where(
        ProductionReading.project_id.in_(ids)).group_by(ProductionReading.project_id).subquery()  # type: ignore[attr-defined]
    latest: dict[int, float] = {}
    for reading in (await session.exec(select(ProductionReading).join(newest, (
            ProductionReading.project_id == newest.c.project_id) & (ProductionReading.measured_at == newest.c.at))
            .order_by(ProductionReading.id))).all():
        latest[reading.project_id] = reading.value
    firing: dict[int, list[ProductionAlert]] = {}
    for alert in (await session.exec(select(ProductionAlert).where(
            ProductionAlert.project_id.in_(ids), ProductionAlert.status == "firing")  # type: ignore[attr-defined]
            .order_by(ProductionAlert.starts_at))).all():
        firing.setdefault(alert.project_id, []).append(alert)
    chosen: dict[int, list[ProductionDecision]] = {}
    for decision in (await session.exec(select(ProductionDecision).where(
            ProductionDecision.project_id.in_(ids)).order_by(ProductionDecision.cast_at,  # type: ignore[attr-defined]
                                                             ProductionDecision.id))).all():
        chosen.setdefault(decision.project_id, []).append(decision)
    items = []
    for project in projects:
        health = healths.get(project.id) or ProductionHealth(  # shipped by hand: nothing frozen to compare with
            team_id=project.team_id, project_id=project.id, metric=project.metric_name, launch_value=None,
            launched_at=project.updated_at)
        alerts = firing.get(project.id, [])
        live = latest.get(project.id)
        label = assess(health, str(project.metric_direction), live, len(alerts), now).label
        alert = (alerts[0].summary or alerts[0].name) if alerts else None
        items.append(LiveItem(project, label, health_reason(renderer, project, health, live, alert),
                              health.launched_at, live, health.launch_value, tolerance_text(health), tuple(alerts),
                              tuple(chosen.get(project.id, []))))
    items.sort(key=lambda i: (LABEL_ORDER[i.label], i.project.key))
    return items


async def one(session: AsyncSession, renderer: Renderer, team_id: str, key: str,
              lifecycle_of: Callable[[Project], Lifecycle], now: datetime) -> LiveItem:
    project = (await get_project(session, team_id, key)).project
    found = await live_projects(session, renderer, team_id, lifecycle_of, now, only=project.id)
    if not found:
        raise HeadwayError(f"{project.key} is not in production, so it has no live health yet: it gets one when a "
                           "gate into production closes with Go.")
    return found[0]
