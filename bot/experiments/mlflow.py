"""MLflow as a source of measurements: link a project to one experiment and metric, then import its history.

Headway talks to the tracking server's REST API 2.0 over httpx (no MLflow library). Every value of the linked
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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import HeadwayError, InvalidInput, NotAllowed
from bot.experiments.measurements import Reading, record
from bot.models import Measurement, MeasurementSource, MlflowLink, Project, utcnow
from bot.people.service import Actor
from bot.projects.service import can_edit, get_project

if TYPE_CHECKING:
    from bot.app import Headway

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
RUNS_PAGE_SIZE = 1000  # MLflow's own default page for runs/search
HISTORY_PAGE_SIZE = 25000  # what MLflow's own client asks for (GET_METRIC_HISTORY_MAX_RESULTS)
MAX_PAGES = 1000  # a server that keeps handing out page tokens is cut off rather than followed forever
CONCURRENT_HISTORIES = 4
_NOTE = re.compile(r"^run (?P<run>.*) in experiment (?P<experiment>[^ ]+)$", re.DOTALL)


# ---------------------------------------------------------------- errors


class MlflowError(HeadwayError):
    """Talking to MLflow went wrong; the message is written for the person who linked the project."""


class MlflowUnreachable(MlflowError):
    """Connection refused, DNS failure, timeout: nothing useful came back."""


class MlflowNotFound(MlflowError):
    """The tracking server answered, but has no such experiment."""


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


# ---------------------------------------------------------------- the REST client


@dataclass(frozen=True)
class MlflowExperiment:
    experiment_id: str
    name: str


@dataclass(frozen=True)
class MlflowRun:
    run_id: str
    run_name: str
    experiment_id: str
    start_time: int | None
    metric_keys: frozenset[str]  # the keys the run has logged (from the run's latest metrics)


@dataclass(frozen=True)
class MlflowMetric:
    key: str
    value: float
    timestamp: int  # milliseconds since the epoch
    step: int


class MlflowClient:
    """A small async client for MLflow's REST API 2.0, bound to one tracking server.

    Every failure becomes an MlflowError whose message says what to check. Use it as an async context manager
    (or call `aclose`). Pass `http` to reuse an httpx.AsyncClient (its base URL is ignored).
    """

    def __init__(self, tracking_url: str, *, timeout: float = TIMEOUT_SECONDS,
                 http: httpx.AsyncClient | None = None) -> None:
        self.tracking_url = tracking_url.rstrip("/")
        self.timeout = timeout
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(timeout=timeout, follow_redirects=True,
                                               headers={"User-Agent": "Headway (MLflow sync)"})

    async def __aenter__(self) -> MlflowClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def experiment_by_name(self, name: str) -> MlflowExperiment:
        try:
            body = await self._call("GET", "experiments/get-by-name", params={"experiment_name": name})
        except MlflowNotFound:
            raise MlflowNotFound(f"MLflow at {self.tracking_url} has no experiment named {name!r}. Check the "
                                 "spelling (names are case-sensitive) and quote names with spaces.") from None
        experiment = body.get("experiment")
        if not isinstance(experiment, dict) or not experiment.get("experiment_id"):
            raise self._not_mlflow("experiments/get-by-name", "no experiment in the answer")
        if experiment.get("lifecycle_stage") == "deleted":
            raise MlflowNotFound(f"The experiment {name!r} at {self.tracking_url} is deleted in MLflow.")
        return MlflowExperiment(str(experiment["experiment_id"]), str(experiment.get("name") or name))

    async def search_runs(self, experiment_ids: list[str], *, page_size: int = RUNS_PAGE_SIZE) -> list[MlflowRun]:
        """Every active run of the experiments, oldest first, following page tokens."""
        runs: list[MlflowRun] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            payload: dict[str, Any] = {"experiment_ids": experiment_ids, "max_results": page_size,
                                       "order_by": ["attributes.start_time ASC"]}
            if token:
                payload["page_token"] = token
            body = await self._call("POST", "runs/search", json=payload)
            page = body.get("runs") or []
            if not isinstance(page, list):
                raise self._not_mlflow("runs/search", "`runs` is not a list")
            runs.extend(_run(item) for item in page if isinstance(item, dict))
            next_token = body.get("next_page_token") or None
            if not next_token or not page or next_token == token:
                return runs
            token = next_token
        log.warning("MLflow at %s kept paging runs/search; stopped after %s pages", self.tracking_url, MAX_PAGES)
        return runs

    async def metric_history(self, run_id: str, metric_key: str, *,
                             page_size: int = HISTORY_PAGE_SIZE) -> list[MlflowMetric]:
        """Every value of one metric in one run, following page tokens where the server paginates."""
        values: list[MlflowMetric] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {"run_id": run_id, "metric_key": metric_key, "max_results": page_size}
            if token:
                params["page_token"] = token
            body = await self._call("GET", "metrics/get-history", params=params)
            page = body.get("metrics") or []
            if not isinstance(page, list):
                raise self._not_mlflow("metrics/get-history", "`metrics` is not a list")
            values.extend(m for m in (_metric(item, metric_key) for item in page) if m is not None)
            next_token = body.get("next_page_token") or None
            if not next_token or not page or next_token == token:
                return values
            token = next_token
        log.warning("MLflow at %s kept paging get-history; stopped after %s pages", self.tracking_url, MAX_PAGES)
        return values

    async def _call(self, method: str, endpoint: str, **kwargs: Any) -> dict[str, Any]:
        url = f"{self.tracking_url}/api/2.0/mlflow/{endpoint}"
        try:
            response = await self._http.request(method, url, timeout=self.timeout, **kwargs)
        except httpx.ConnectError as error:
            reason = "connection refused" if _refused(error) else _reason(error)
            raise MlflowUnreachable(f"Could not connect to MLflow at {self.tracking_url} ({reason}). Is the "
                                    "tracking server running, and can Headway reach that address?") from None
        except httpx.TimeoutException:
            raise MlflowUnreachable(f"MLflow at {self.tracking_url} did not answer within "
                                    f"{self.timeout:g} s.") from None
        except httpx.HTTPError as error:
            raise MlflowUnreachable(f"Could not talk to MLflow at {self.tracking_url} ({_reason(error)}).") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            raise self._http_error(endpoint, response.status_code, body)
        if not isinstance(body, dict):
            raise self._not_mlflow(endpoint, f"HTTP {response.status_code} with a body that is not a JSON object")
        return body

    def _http_error(self, endpoint: str, status: int, body: Any) -> MlflowError:
        code = body.get("error_code") if isinstance(body, dict) else None
        message = str(body.get("message") or "")[:200] if isinstance(body, dict) else ""
        if status == 404 and code == "RESOURCE_DOES_NOT_EXIST":
            return MlflowNotFound(message or f"MLflow at {self.tracking_url} does not know that.")
        if status == 404:
            return self._not_mlflow(endpoint, "HTTP 404")
        if status in (401, 403):
            return MlflowError(f"MLflow at {self.tracking_url} refused access (HTTP {status}); Headway does not "
                               "support MLflow servers that need a login yet.")
        detail = f": {message}" if message else ""
        return MlflowError(f"MLflow at {self.tracking_url} answered HTTP {status} to {endpoint}{detail}")

    def _not_mlflow(self, endpoint: str, what: str) -> MlflowError:
        return MlflowError(f"{self.tracking_url} does not look like an MLflow tracking server ({what} for "
                           f"/api/2.0/mlflow/{endpoint}). Give the server's base URL, e.g. "
                           "http://mlflow.internal:5000, without /#/experiments/…")


def _refused(error: BaseException) -> bool:
    """httpx says "All connection attempts failed"; the refusal is further down the chain."""
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ConnectionRefusedError) or "refused" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _reason(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:120]


def _run(item: dict[str, Any]) -> MlflowRun:
    info = item.get("info") or {}
    data = item.get("data") or {}
    run_id = str(info.get("run_id") or info.get("run_uuid") or "")
    tags = {t.get("key"): t.get("value") for t in data.get("tags") or [] if isinstance(t, dict)}
    name = info.get("run_name") or tags.get("mlflow.runName") or run_id[:8]
    keys = frozenset(str(m.get("key")) for m in data.get("metrics") or [] if isinstance(m, dict))
    start = info.get("start_time")
    return MlflowRun(run_id=run_id, run_name=str(name), experiment_id=str(info.get("experiment_id") or ""),
                     start_time=int(start) if start is not None else None, metric_keys=keys)


def _metric(item: Any, metric_key: str) -> MlflowMetric | None:
    if not isinstance(item, dict):
        return None
    try:
        # int64 fields may arrive as JSON strings; unset proto fields (step 0) may be left out
        return MlflowMetric(key=str(item.get("key") or metric_key), value=float(item["value"]),
                            timestamp=int(item.get("timestamp") or 0), step=int(item.get("step") or 0))
    except (KeyError, TypeError, ValueError):
        return None


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


async def sync_all(hw: Headway, client_factory: ClientFactory = MlflowClient) -> SyncSummary:
    """The scheduled job: one unit of work per link; a link that fails keeps its error and the rest go on.

    MLflow is asked before the link's unit of work opens, so no transaction waits on the network; a link changed
    in the meantime (relinked by a PM) is left for the next run.
    """
    summary = SyncSummary()
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
            problem = f"Headway could not read MLflow: {_reason(error)}"
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
            problem = f"Headway could not store the values: {_reason(error)}"
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
