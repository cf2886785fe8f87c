"""MLflow as a source of measurements: link a project to one experiment and metric, then import its history.

The tracking server is read through `mlflow_client` (its REST API, no MLflow library). Every value of the linked
metric in every active run becomes a Measurement with source `mlflow` and the source_ref
`mlflow:{run_id}:{metric_key}:{step}:{timestamp}`, so a second sync stores nothing twice. The note says which run
and experiment a value came from (`run NAME in experiment ID`): with the run id from the ref and the link's
tracking URL that is enough to point at the run in MLflow's UI (`run_url`).

Syncing fetches everything from MLflow first and writes afterwards, so no database transaction waits on the
network. Services take a session and never commit, like the rest of `bot/`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import HeadwayError, InvalidInput, NotAllowed
from bot.experiments.measurements import Reading, record
from bot.experiments.mlflow_client import (
    MlflowClient,
    MlflowError,
    MlflowExperiment,
    MlflowMetric,
    MlflowRun,
    short_reason,
)
from bot.models import Measurement, MeasurementSource, MlflowLink, Project, utcnow
from bot.people.service import Actor
from bot.projects.service import can_edit, get_project

if TYPE_CHECKING:
    from bot.app import Headway

log = logging.getLogger(__name__)

CONCURRENT_HISTORIES = 4
_NOTE = re.compile(r"^run (?P<run>.*) in experiment (?P<experiment>[^ ]+)$", re.DOTALL)


# ---------------------------------------------------------------- linking


@dataclass(frozen=True)
class LinkRequest:
    """What `/headway mlflow` asked for, checked: who may, and that the values make sense."""

    project: Project
    tracking_url: str
    experiment_name: str
    metric_key: str


def normalize_tracking_url(raw: str) -> str:
    """The tracking server's base URL without a trailing slash, or InvalidInput saying what is wrong."""
    url = raw.strip().strip("<>").split("|", 1)[0].strip()  # Slack sends links as <http://x|x>
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput({"tracking_url": f"{raw[:80]!r} is not an http(s) address; give the tracking server's "
                                            "base URL, e.g. http://mlflow.internal:5000"})
    if any(c.isspace() for c in url) or parts.query or parts.fragment:
        raise InvalidInput({"tracking_url": "Give only the tracking server's base URL, e.g. "
                                            "http://mlflow.internal:5000 (no spaces, `?…` or `#…`)."})
    if parts.username or parts.password:
        raise InvalidInput({"tracking_url": "Headway does not store passwords in URLs; MLflow servers that need "
                                            "a login are not supported yet."})
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise InvalidInput({"tracking_url": f"{raw[:80]!r} has an invalid port."}) from None
    if len(url) > 500:
        raise InvalidInput({"tracking_url": "The address is longer than 500 characters."})
    return url.rstrip("/")


async def check_link(session: AsyncSession, by: Actor, key: str, tracking_url: str, experiment_name: str,
                     metric_key: str) -> LinkRequest:
    """Permission and validation only, no writes: check this before Headway calls the URL at all."""
    details = await get_project(session, by.person.team_id, key)
    if not can_edit(by, details):
        raise NotAllowed(f"Only {details.project.key}'s PMs and Headway admins can link it to MLflow.")
    url = normalize_tracking_url(tracking_url)
    name, metric = experiment_name.strip(), metric_key.strip()
    problems = {}
    if not name or len(name) > 255:
        problems["experiment_name"] = "Give the MLflow experiment's name (at most 255 characters)."
    if not metric or len(metric) > 255 or any(c.isspace() for c in metric):
        problems["metric_key"] = "Give the MLflow metric key, e.g. `recall` or `val_recall` (no spaces)."
    if problems:
        raise InvalidInput(problems)
    return LinkRequest(details.project, url, name, metric)


async def link_project(session: AsyncSession, by: Actor, key: str, tracking_url: str, experiment_name: str,
                       metric_key: str) -> MlflowLink:
    """Link a project to one MLflow experiment and metric (PMs and admins); relinking replaces the link."""
    request = await check_link(session, by, key, tracking_url, experiment_name, metric_key)
    project = request.project
    link = (await session.exec(select(MlflowLink).where(MlflowLink.project_id == project.id))).first()
    if link is None:
        link = MlflowLink(team_id=project.team_id, project_id=project.id, tracking_url=request.tracking_url,
                          experiment_name=request.experiment_name, metric_key=request.metric_key,
                          created_by=by.user_id)
    else:
        link.tracking_url, link.experiment_name = request.tracking_url, request.experiment_name
        link.metric_key, link.created_by, link.created_at = request.metric_key, by.user_id, utcnow()
        link.last_synced_at = link.last_error = None
    session.add(link)
    await session.flush()
    return link


# ---------------------------------------------------------------- syncing


@dataclass(frozen=True)
class Snapshot:
    """What MLflow holds for a link right now: the experiment, its runs and each run's metric history."""

    experiment: MlflowExperiment
    runs: list[MlflowRun]
    histories: dict[str, list[MlflowMetric]]  # run_id → values


@dataclass(frozen=True)
class SyncResult:
    imported: int
    duplicates: int
    skipped: int = 0  # values that are not finite numbers (NaN, inf): MLflow accepts them, measurements do not
    runs: int = 0
    experiment_id: str = ""


async def fetch_snapshot(client: MlflowClient, experiment_name: str, metric_key: str) -> Snapshot:
    experiment = await client.experiment_by_name(experiment_name)
    runs = [r for r in await client.search_runs([experiment.experiment_id]) if r.run_id]
    wanted = [r for r in runs if metric_key in r.metric_keys]
    limit = asyncio.Semaphore(CONCURRENT_HISTORIES)

    async def history(run: MlflowRun) -> list[MlflowMetric]:
        async with limit:
            return await client.metric_history(run.run_id, metric_key)

    histories = await asyncio.gather(*(history(r) for r in wanted))
    return Snapshot(experiment, runs, {r.run_id: h for r, h in zip(wanted, histories, strict=True)})


def from_millis(timestamp: int) -> datetime:
    """MLflow's milliseconds since the epoch as an aware UTC datetime, exactly (no float rounding)."""
    return datetime.fromtimestamp(timestamp // 1000, UTC) + timedelta(milliseconds=timestamp % 1000)


def source_ref(run_id: str, metric_key: str, step: int, timestamp: int) -> str:
    """The idempotency key of one MLflow value; metric keys too long for 255 characters are hashed."""
    ref = f"mlflow:{run_id}:{metric_key}:{step}:{timestamp}"
    if len(ref) <= 255:
        return ref
    digest = hashlib.sha256(metric_key.encode()).hexdigest()[:16]
    return f"mlflow:{run_id}:sha256-{digest}:{step}:{timestamp}"


def run_note(run_name: str, experiment_id: str) -> str:
    return f"run {run_name[:250]} in experiment {experiment_id}"


def run_url(tracking_url: str, experiment_id: str, run_id: str) -> str:
    return f"{tracking_url.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def experiment_url(tracking_url: str, experiment_id: str) -> str:
    return f"{tracking_url.rstrip('/')}/#/experiments/{experiment_id}"


def measurement_run_url(link: MlflowLink, measurement: Measurement) -> str | None:
    """Where an imported value came from in MLflow's UI, or None for values from elsewhere."""
    if measurement.source != MeasurementSource.MLFLOW:
        return None
    parts = measurement.source_ref.split(":")
    match = _NOTE.match(measurement.note)
    if len(parts) < 5 or match is None:
        return None
    return run_url(link.tracking_url, match.group("experiment"), parts[1])


async def store_snapshot(session: AsyncSession, link: MlflowLink, snapshot: Snapshot,
                         now: datetime | None = None) -> SyncResult:
    """Record every value not stored yet; mark the link synced."""
    project = await session.get(Project, link.project_id)
    if project is None:
        raise HeadwayError("The linked project no longer exists.")
    known = set((await session.exec(select(Measurement.source_ref).where(
        Measurement.project_id == project.id, Measurement.source == MeasurementSource.MLFLOW))).all())
    imported = duplicates = skipped = 0
    for run in snapshot.runs:
        for metric in snapshot.histories.get(run.run_id, []):
            if not math.isfinite(metric.value):
                skipped += 1
                continue
            ref = source_ref(run.run_id, link.metric_key, metric.step, metric.timestamp)
            if ref in known:
                duplicates += 1
                continue
            stored = await record(session, project, Reading(
                value=metric.value, measured_at=from_millis(metric.timestamp),
                source=MeasurementSource.MLFLOW, source_ref=ref,
                note=run_note(run.run_name, run.experiment_id or snapshot.experiment.experiment_id)))
            known.add(ref)
            duplicates += stored.duplicate
            imported += not stored.duplicate
    link.last_synced_at = now or utcnow()
    link.last_error = None
    session.add(link)
    await session.flush()
    return SyncResult(imported, duplicates, skipped, len(snapshot.runs), snapshot.experiment.experiment_id)


async def sync_link(session: AsyncSession, link: MlflowLink, client: MlflowClient,
                    now: datetime | None = None) -> SyncResult:
    """Import every value of the link's metric from every run; a second sync imports nothing.

    On an MlflowError the link's `last_error` is set (and flushed) before the error is raised again, so a caller
    that catches it inside its unit of work keeps the error on the link.
    """
    try:
        snapshot = await fetch_snapshot(client, link.experiment_name, link.metric_key)
    except MlflowError as error:
        link.last_error = str(error)[:500]
        session.add(link)
        await session.flush()
        raise
    return await store_snapshot(session, link, snapshot, now)


ClientFactory = Callable[[str], MlflowClient]


@dataclass
class SyncSummary:
    synced: int = 0
    failed: int = 0
    imported: int = 0
    errors: dict[int, str] = field(default_factory=dict)  # link id → message


async def sync_all(hw: Headway, client_factory: ClientFactory | None = None) -> SyncSummary:
    """The scheduled job: one unit of work per link; a link that fails keeps its error and the rest go on.

    MLflow is asked before the link's unit of work opens, so no transaction waits on the network; a link changed
    in the meantime (relinked by a PM) is left for the next run.
    """
    summary = SyncSummary()
    client_factory = client_factory or (lambda url: MlflowClient(url, policy=hw.outbound))
    async with hw.db.unit_of_work() as session:
        links = (await session.exec(select(MlflowLink).order_by(MlflowLink.id))).all()
    for listed in links:
        target = (listed.tracking_url, listed.experiment_name, listed.metric_key)
        snapshot: Snapshot | None = None
        problem: str | None = None
        try:
            async with client_factory(listed.tracking_url) as client:
                snapshot = await fetch_snapshot(client, listed.experiment_name, listed.metric_key)
        except MlflowError as error:
            problem = str(error)
        except Exception as error:
            log.exception("MLflow sync of link %s failed", listed.id)
            problem = f"Headway could not read MLflow: {short_reason(error)}"
        try:
            async with hw.db.unit_of_work() as session:
                link = await session.get(MlflowLink, listed.id)
                if link is None or (link.tracking_url, link.experiment_name, link.metric_key) != target:
                    continue  # unlinked or relinked meanwhile
                if snapshot is None:
                    link.last_error = (problem or "")[:500]
                    session.add(link)
                else:
                    result = await store_snapshot(session, link, snapshot, hw.clock.now())
                    summary.imported += result.imported
        except Exception as error:
            log.exception("storing MLflow values of link %s failed", listed.id)
            problem = f"Headway could not store the values: {short_reason(error)}"
            await _record_error(hw, listed.id, problem)
        if problem is None:
            summary.synced += 1
        else:
            log.warning("MLflow sync of link %s failed: %s", listed.id, problem)
            summary.failed += 1
            summary.errors[listed.id] = problem
    return summary


async def _record_error(hw: Headway, link_id: int, message: str) -> None:
    try:
        async with hw.db.unit_of_work() as session:
            link = await session.get(MlflowLink, link_id)
            if link is not None:
                link.last_error = message[:500]
                session.add(link)
    except Exception:
        log.exception("could not record the error of MLflow link %s", link_id)
