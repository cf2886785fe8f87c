"""Storing metric values once, wherever they come from (standups, Slack, the API, MLflow)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import insert_or_ignore
from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.models import EventKind, Measurement, MeasurementSource, Project, utcnow
from bot.people.service import Actor
from bot.projects import events
from bot.projects.service import can_edit, get_project


@dataclass(frozen=True)
class Reading:
    """One value to store; `source_ref` is what makes a second delivery of it a no-op."""

    value: float
    measured_at: datetime
    source: MeasurementSource
    source_ref: str
    metric: str | None = None
    user_id: str | None = None
    note: str = ""
    experiment_id: int | None = None


@dataclass(frozen=True)
class Stored:
    measurement: Measurement
    duplicate: bool


RATE_METRIC = re.compile(r"precision|recall|accuracy|f1|auc|fpr|tpr|rate|sensitivity|specificity", re.I)
NON_NEGATIVE_METRIC = re.compile(r"mae|rmse|mse|mape|error|latency|loss|time|ms\b|seconds", re.I)


def implausible(project: Project, value: float) -> str | None:
    """Why a value cannot be this project's metric (a rate above 1, a negative error), if it cannot."""
    name = f"{project.metric_name} {project.metric_unit}"
    if RATE_METRIC.search(name):
        upper = 100.0 if project.metric_unit.strip() == "%" else 1.0
        if not 0 <= value <= upper:
            return f"{project.metric_name} is between 0 and {upper:g}."
    elif NON_NEGATIVE_METRIC.search(name) and value < 0:
        return f"{project.metric_name} cannot be negative."
    return None


def check_reading(project: Project, reading: Reading) -> None:
    problems = {}
    if reading.metric is not None and reading.metric.strip().lower() != project.metric_name.strip().lower():
        problems["metric"] = (f"{project.key} is measured by {project.metric_name!r}, not {reading.metric!r}.")
    if not math.isfinite(reading.value):
        problems["value"] = "The value must be a finite number."
    elif reason := implausible(project, reading.value):
        problems["value"] = reason
    if reading.measured_at.tzinfo is None:
        problems["measured_at"] = "Give the time with a time zone, e.g. 2026-11-24T10:00:00Z."
    if problems:
        raise InvalidInput(problems)


async def record(session: AsyncSession, project: Project, reading: Reading) -> Stored:
    """Store a reading unless the same (source, source_ref) is already stored for the project."""
    check_reading(project, reading)
    existing = await _find(session, project, reading)
    if existing is not None:
        return Stored(existing, duplicate=True)
    # The same reading arriving twice at the same moment is stored once.
    inserted = await insert_or_ignore(
        session, Measurement, ["project_id", "source", "source_ref"], team_id=project.team_id,
        project_id=project.id, experiment_id=reading.experiment_id, metric=project.metric_name, value=reading.value,
        measured_at=reading.measured_at, source=str(reading.source), source_ref=reading.source_ref[:255],
        user_id=reading.user_id, note=reading.note[:500], created_at=utcnow(),
    )
    found = await _find(session, project, reading)
    assert found is not None
    return Stored(found, duplicate=not inserted)


async def _find(session: AsyncSession, project: Project, reading: Reading) -> Measurement | None:
    return (await session.exec(select(Measurement).where(
        Measurement.project_id == project.id, Measurement.source == reading.source,
        Measurement.source_ref == reading.source_ref[:255]))).first()


async def series(session: AsyncSession, project_ids: Iterable[int], since: datetime | None = None
                 ) -> dict[int, list[Measurement]]:
    """Every project's measurements in time order, in one query."""
    ids = list(project_ids)
    if not ids:
        return {}
    query = select(Measurement).where(Measurement.project_id.in_(ids))  # type: ignore[attr-defined]
    if since is not None:
        query = query.where(Measurement.measured_at >= since)
    result: dict[int, list[Measurement]] = {i: [] for i in ids}
    for m in (await session.exec(query.order_by(Measurement.measured_at, Measurement.id))).all():
        result[m.project_id].append(m)
    return result


@dataclass(frozen=True)
class Logged:
    """A value typed into Slack, with what it means next to the previous value, baseline and target."""

    project: Project
    measurement: Measurement
    previous: Measurement | None
    duplicate: bool


async def log_value(session: AsyncSession, by: Actor, key: str, metric: str, value: float, note: str, ref: str,
                    now: datetime, confidence: str | None = None) -> Logged:
    """`/headway log KEY metric=value`: the project's people (and admins) record a value by hand."""
    details = await get_project(session, by.person.team_id, key)
    project = details.project
    if not (by.is_admin or by.user_id in details.pm_ids or by.user_id in details.member_ids):
        raise NotAllowed(f"Only people on {project.key} (and Headway admins) can log its metric.")
    previous = (await session.exec(select(Measurement).where(Measurement.project_id == project.id)
                                   .order_by(Measurement.measured_at.desc(), Measurement.id.desc()))).first()  # type: ignore[attr-defined]
    stored = await record(session, project, Reading(value=value, measured_at=now, source=MeasurementSource.SLACK,
                                                    source_ref=ref, metric=metric, user_id=by.user_id, note=note))
    if confidence is not None and not stored.duplicate:  # as its author said (bot.progress.evidence)
        stored.measurement.confidence = confidence
        session.add(stored.measurement)
        await session.flush()
    return Logged(project, stored.measurement, previous, stored.duplicate)


@dataclass(frozen=True)
class Confirmed:
    project: Project
    measurement: Measurement
    already: bool  # someone had confirmed it before this click


async def confirm(session: AsyncSession, by: Actor, measurement_id: int, now: datetime) -> Confirmed:
    """Confirm a low-confidence result so that it counts (bot.progress.evidence): its author or a PM (or admin)."""
    measurement = await session.get(Measurement, measurement_id)
    if measurement is None or measurement.team_id != by.person.team_id:
        raise NotFound("That result no longer exists.")
    project = await session.get(Project, measurement.project_id)
    details = await get_project(session, by.person.team_id, project.key)  # type: ignore[union-attr]
    if by.user_id != measurement.user_id and not can_edit(by, details):
        raise NotAllowed(f"Only whoever reported this result, {details.project.key}'s PMs and Headway admins can "
                         "confirm it.")
    if measurement.confirmed_at is not None:
        return Confirmed(details.project, measurement, already=True)
    measurement.confirmed_by, measurement.confirmed_at = by.user_id, now
    session.add(measurement)
    await session.flush()
    await events.record(session, details.project, EventKind.EVIDENCE, f"measurement:{measurement.id}",
                        f"Result {measurement.value:g} (reported with low confidence) confirmed", now,
                        actor_id=by.user_id, detail=measurement.note)
    return Confirmed(details.project, measurement, already=False)
