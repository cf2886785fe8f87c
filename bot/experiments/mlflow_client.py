"""A small async client for MLflow's REST API 2.0 over httpx (no MLflow library), and the errors it raises.

It only reads: the experiment by name, its runs and one metric's history, following page tokens. Every failure
becomes an MlflowError whose message is written for the person who linked the project, saying what to check.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.errors import HeadwayError
from bot.outbound import OutboundPolicy, OutboundRefused

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)
_ERROR_CODE = re.compile(r"[A-Z][A-Z_]{0,63}")

TIMEOUT_SECONDS = 10.0
RUNS_PAGE_SIZE = 1000  # MLflow's own default page for runs/search
HISTORY_PAGE_SIZE = 25000  # what MLflow's own client asks for (GET_METRIC_HISTORY_MAX_RESULTS)
MAX_REDIRECTS = 5
MAX_PAGES = 1000  # a server that keeps handing out page tokens is cut off rather than followed forever


class MlflowError(HeadwayError):
    """Talking to MLflow went wrong; the message is written for the person who linked the project."""


class MlflowUnreachable(MlflowError):
    """Connection refused, DNS failure, timeout: nothing useful came back."""


class MlflowNotFound(MlflowError):
    """The tracking server answered, but has no such experiment."""


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


@dataclass(frozen=True)
class MlflowRunDetail:
    run: MlflowRun
    latest: dict[str, MlflowMetric]  # metric key → its latest value


@dataclass(frozen=True)
class MlflowModelVersion:
    name: str
    version: str
    run_id: str | None
    tags: dict[str, str]


class MlflowClient:
    """A small async client for MLflow's REST API 2.0, bound to one tracking server.

    Every failure becomes an MlflowError whose message says what to check. Use it as an async context manager
    (or call `aclose`). The address is someone's input: every request and redirect goes through `policy`
    (bot.outbound; by default loopback, link-local and metadata addresses are refused). Pass `http` to reuse an
    httpx.AsyncClient (its base URL is ignored; it should come from `policy.client`).
    """

    def __init__(self, tracking_url: str, *, timeout: float = TIMEOUT_SECONDS,
                 http: httpx.AsyncClient | None = None, policy: OutboundPolicy | None = None) -> None:
        self.tracking_url = tracking_url.rstrip("/")
        self.timeout = timeout
        self._own_http = http is None
        self._http = http or (policy or OutboundPolicy()).client(
            timeout=timeout, follow_redirects=True, max_redirects=MAX_REDIRECTS,
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
        request = {"experiment_ids": experiment_ids, "max_results": page_size,
                   "order_by": ["attributes.start_time ASC"]}
        items = await self._pages("POST", "runs/search", "runs", lambda token: {"json": {
            **request, **({"page_token": token} if token else {})}})
        return [_run(item) for item in items if isinstance(item, dict)]

    async def metric_history(self, run_id: str, metric_key: str, *,
                             page_size: int = HISTORY_PAGE_SIZE) -> list[MlflowMetric]:
        """Every value of one metric in one run, following page tokens where the server paginates."""
        request = {"run_id": run_id, "metric_key": metric_key, "max_results": page_size}
        items = await self._pages("GET", "metrics/get-history", "metrics", lambda token: {"params": {
            **request, **({"page_token": token} if token else {})}})
        return [m for m in (_metric(item, metric_key) for item in items) if m is not None]

    async def run(self, run_id: str) -> MlflowRunDetail:
        """One run with the latest value of each metric it logged (what a model version was trained by)."""
        try:
            body = await self._call("GET", "runs/get", params={"run_id": run_id})
        except MlflowNotFound:
            raise MlflowNotFound(f"MLflow at {self.tracking_url} has no run {run_id[:64]!r}.") from None
        item = body.get("run")
        if not isinstance(item, dict):
            raise self._not_mlflow("runs/get", "no run in the answer")
        data = item.get("data") or {}
        latest = [m for m in (_metric(x, "") for x in data.get("metrics") or []) if m is not None]
        return MlflowRunDetail(_run(item), {m.key: m for m in latest})

    async def model_version(self, name: str, version: str) -> MlflowModelVersion:
        """A registered model version: its run and tags (model-versions/get)."""
        try:
            body = await self._call("GET", "model-versions/get", params={"name": name, "version": version})
        except MlflowNotFound:
            raise MlflowNotFound(f"MLflow at {self.tracking_url} has no version {version[:32]} of the registered "
                                 f"model {name[:255]!r}.") from None
        item = body.get("model_version")
        if not isinstance(item, dict):
            raise self._not_mlflow("model-versions/get", "no model version in the answer")
        tags = {str(t.get("key")): str(t.get("value")) for t in item.get("tags") or [] if isinstance(t, dict)}
        return MlflowModelVersion(str(item.get("name") or name), str(item.get("version") or version),
                                  str(item.get("run_id") or "") or None, tags)

    async def _pages(self, method: str, endpoint: str, field: str,
                     arguments: Callable[[str | None], dict[str, Any]]) -> list[Any]:
        """The items of `field` across pages, following next_page_token (at most MAX_PAGES pages)."""
        items: list[Any] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            body = await self._call(method, endpoint, **arguments(token))
            page = body.get(field) or []
            if not isinstance(page, list):
                raise self._not_mlflow(endpoint, f"`{field}` is not a list")
            items.extend(page)
            next_token = body.get("next_page_token") or None
            if not next_token or not page or next_token == token:
                return items
            token = next_token
        log.warning("MLflow at %s kept paging %s; stopped after %s pages", self.tracking_url, endpoint, MAX_PAGES)
        return items

    async def _call(self, method: str, endpoint: str, **kwargs: Any) -> dict[str, Any]:
        import httpx  # loaded on the first sync, not when Headway starts (bot.outbound)

        url = f"{self.tracking_url}/api/2.0/mlflow/{endpoint}"
        try:
            response = await self._http.request(method, url, timeout=self.timeout, **kwargs)
        except OutboundRefused as error:
            raise MlflowError(str(error)) from None
        except httpx.TooManyRedirects:
            raise MlflowError(f"MLflow at {self.tracking_url} redirected more than {MAX_REDIRECTS} times; give the "
                              "address it finally answers on.") from None
        except httpx.ConnectError as error:
            reason = "connection refused" if _refused(error) else short_reason(error)
            raise MlflowUnreachable(f"Could not connect to MLflow at {self.tracking_url} ({reason}). Is the "
                                    "tracking server running, and can Headway reach that address?") from None
        except httpx.TimeoutException:
            raise MlflowUnreachable(f"MLflow at {self.tracking_url} did not answer within "
                                    f"{self.timeout:g} s.") from None
        except httpx.HTTPError as error:
            raise MlflowUnreachable(f"Could not talk to MLflow at {self.tracking_url} "
                                    f"({short_reason(error)}).") from None
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
        """Our words, with at most MLflow's error code: what a server answers is never shown to people raw."""
        raw_code = body.get("error_code") if isinstance(body, dict) else None
        code = raw_code if isinstance(raw_code, str) and _ERROR_CODE.fullmatch(raw_code) else None
        if status == 404 and code == "RESOURCE_DOES_NOT_EXIST":
            return MlflowNotFound(f"MLflow at {self.tracking_url} does not know that ({endpoint}).")
        if status == 404:
            return self._not_mlflow(endpoint, "HTTP 404")
        if status in (401, 403):
            return MlflowError(f"MLflow at {self.tracking_url} refused access (HTTP {status}); Headway does not "
                               "support MLflow servers that need a login yet.")
        detail = f" ({code})" if code else ""
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


def short_reason(error: BaseException) -> str:
    """An exception as a short phrase for a message: its text, or its type when it has none."""
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

