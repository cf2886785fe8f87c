"""Live values and alerts in, health out: the launch value, the tolerance, episodes and their announcements.

Takes a session and plain data; never commits. An episode opens with a conditional UPDATE
(`episode_open = false` → `true`), so two requests reporting the same degradation at once announce it once; the
announcement's outbox keys carry the episode number, so a retry or a restart never sends it twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import insert_or_ignore
from bot.errors import InvalidInput, NotAllowed
from bot.experiments.measurements import implausible
from bot.lifecycle import Lifecycle
from bot.models import (
    Measurement,
    ProductionAlert,
    ProductionHealth,
    ProductionReading,
    Project,
    ProjectState,
    utcnow,
)
from bot.people.service import Actor
from bot.production import notify
from bot.production.health import Assessment, assess, parse_tolerance
from bot.production.stages import in_production
from bot.projects.service import can_edit, get_project
from bot.render import Renderer

LifecycleOf = Callable[[str], Lifecycle]


@dataclass(frozen=True)
class StoredReading:
    reading: ProductionReading
    duplicate: bool


async def latest_offline(session: AsyncSession, project_id: int) -> float | None:
    row = (await session.exec(select(Measurement.value).where(Measurement.project_id == project_id).order_by(
        Measurement.measured_at.desc(), Measurement.id.desc()))).first()  # type: ignore[attr-defined]
    return row


async def launch(session: AsyncSession, project: Project, gate_id: int | None, now: datetime) -> ProductionHealth:
    """Freeze the launch value (the latest offline value) as the gate into production closes with Go."""
    value = await latest_offline(session, project.id)  # type: ignore[arg-type]
    health = await find_health(session, project.id)  # type: ignore[arg-type]
    if health is None:
        await insert_or_ignore(session, ProductionHealth, ["project_id"], team_id=project.team_id,
                               project_id=project.id, metric=project.metric_name, launch_value=value,
                               launched_at=now, gate_id=gate_id, tolerance=0.05, tolerance_relative=True,
                               episode=0, episode_open=False, updated_at=now)
        return await find_health(session, project.id)  # type: ignore[arg-type,return-value]
    health.launch_value, health.launched_at, health.gate_id = value, now, gate_id  # a relaunch starts afresh
    health.outside_since, health.episode_open, health.updated_at = None, False, now
    session.add(health)
    await session.flush()
    return health


async def find_health(session: AsyncSession, project_id: int) -> ProductionHealth | None:
    return (await session.exec(select(ProductionHealth).where(ProductionHealth.project_id == project_id)
                               .execution_options(populate_existing=True))).first()


async def live_health(session: AsyncSession, project: Project, lifecycle: Lifecycle, now: datetime
                      ) -> ProductionHealth:
    """The project's health row; a project put in a production stage without a gate is launched now.
    InvalidInput when the project is not live (production values make no sense before launch)."""
    if project.state == ProjectState.STOPPED or not (
            project.state == ProjectState.SHIPPED or in_production(lifecycle, project.stage)):
        raise InvalidInput({"kind": f"{project.key} is not in production: production values are taken once a gate "
                                    "into production closes with Go."})
    return await find_health(session, project.id) or await launch(session, project, None, now)  # type: ignore[arg-type]


async def set_tolerance(session: AsyncSession, by: Actor, key: str, text: str, lifecycle_of: LifecycleOf,
                        now: datetime) -> tuple[Project, ProductionHealth]:
    details = await get_project(session, by.person.team_id, key)
    if not can_edit(by, details):
        raise NotAllowed(f"Only {details.project.key}'s PMs and Headway admins can set its production tolerance.")
    try:
        tolerance, relative = parse_tolerance(text)
    except ValueError as error:
        raise InvalidInput({"tolerance": str(error)}) from None
    health = await live_health(session, details.project, lifecycle_of(details.project.lifecycle), now)
    health.tolerance, health.tolerance_relative, health.updated_at = tolerance, relative, now
    session.add(health)
    await session.flush()
    return details.project, health


def check_value(project: Project, health: ProductionHealth, metric: str | None, value: float) -> None:
    problems = {}
    if metric is not None and metric.strip().lower() != health.metric.strip().lower():
        problems["metric"] = f"{project.key}'s live metric is {health.metric!r}, not {metric!r}."
    if reason := implausible(project, value):
        problems["value"] = reason
    if problems:
        raise InvalidInput(problems)


async def record_reading(session: AsyncSession, project: Project, health: ProductionHealth, *, value: float,
                         measured_at: datetime, source_ref: str, metric: str | None, note: str = ""
                         ) -> StoredReading:
    """Store a live value once per (project, source_ref), like offline measurements."""
    check_value(project, health, metric, value)
    ref = source_ref[:255]
    inserted = await insert_or_ignore(session, ProductionReading, ["project_id", "source_ref"],
                                      team_id=project.team_id, project_id=project.id, value=value,
                                      measured_at=measured_at, source_ref=ref, note=note[:500], created_at=utcnow())
    found = (await session.exec(select(ProductionReading).where(
        ProductionReading.project_id == project.id, ProductionReading.source_ref == ref))).one()
    return StoredReading(found, duplicate=not inserted)


async def latest_live(session: AsyncSession, project_id: int) -> ProductionReading | None:
    return (await session.exec(select(ProductionReading).where(ProductionReading.project_id == project_id).order_by(
        ProductionReading.measured_at.desc(), ProductionReading.id.desc()))).first()  # type: ignore[attr-defined]


async def firing_alerts(session: AsyncSession, project_id: int) -> list[ProductionAlert]:
    return list((await session.exec(select(ProductionAlert).where(
        ProductionAlert.project_id == project_id, ProductionAlert.status == "firing")
        .order_by(ProductionAlert.starts_at))).all())


async def current(session: AsyncSession, project: Project, health: ProductionHealth, now: datetime
                  ) -> tuple[Assessment, list[ProductionAlert]]:
    latest = await latest_live(session, project.id)  # type: ignore[arg-type]
    firing = await firing_alerts(session, project.id)  # type: ignore[arg-type]
    return assess(health, str(project.metric_direction), latest.value if latest else None, len(firing), now), firing


async def refresh(session: AsyncSession, renderer: Renderer, project: Project, health: ProductionHealth,
                  now: datetime) -> Assessment:
    """Re-judge after new values or alerts: track how long the metric has been outside tolerance, open or close
    the episode, and announce a newly opened one to the PMs and the project channel."""
    latest = await latest_live(session, project.id)  # type: ignore[arg-type]
    firing = await firing_alerts(session, project.id)  # type: ignore[arg-type]
    first = assess(health, str(project.metric_direction), latest.value if latest else None, len(firing), now)
    if first.outside and health.outside_since is None:
        health.outside_since = latest.measured_at if latest else now
    elif not first.outside:
        health.outside_since = None
    health.updated_at = now
    session.add(health)
    await session.flush()
    assessment = assess(health, str(project.metric_direction), first.live, len(firing), now)
    troubled = assessment.outside or bool(firing)
    if troubled and not health.episode_open:
        opened = await session.exec(update(ProductionHealth).where(  # type: ignore[call-overload]
            ProductionHealth.id == health.id, ProductionHealth.episode_open.is_(False))  # type: ignore[attr-defined]
            .values(episode_open=True, episode=ProductionHealth.episode + 1, episode_opened_at=now))
        health = await find_health(session, project.id)  # type: ignore[arg-type,assignment]
        if opened.rowcount:
            pms = (await get_project(session, project.team_id, project.key)).pm_ids
            await notify.announce(session, renderer, project, health, assessment, firing, pms)  # type: ignore[arg-type]
    elif not troubled and health.episode_open:
        closed = await session.exec(update(ProductionHealth).where(  # type: ignore[call-overload]
            ProductionHealth.id == health.id, ProductionHealth.episode_open.is_(True))  # type: ignore[attr-defined]
            .values(episode_open=False))
        health = await find_health(session, project.id)  # type: ignore[arg-type,assignment]
        if closed.rowcount:
            await notify.recovered(session, renderer, project, health, assessment)  # type: ignore[arg-type]
    return assessment


async def live_readings_count(session: AsyncSession, project_id: int) -> int:
    return (await session.exec(select(func.count()).select_from(ProductionReading).where(
        ProductionReading.project_id == project_id))).one()
