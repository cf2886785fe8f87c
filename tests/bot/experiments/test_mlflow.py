"""MLflow import end to end, against a real `mlflow server` on loopback.

MLflow is not a dependency of Headway: `scripts/mlflow-venv.sh` installs it in a venv of its own, and these tests
run `<that python> -m mlflow server` (found through HEADWAY_MLFLOW_PYTHON, or .venv-mlflow/bin/python in the
repository). Experiments, runs and metric values are logged through MLflow's REST API with httpx, exactly as a
training job's MLflow client would. The error-path tests that need no MLflow (closed port, bad URL, not an
MLflow server, permissions) run without it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from bot.db import Database
from bot.experiments.mlflow import measurement_run_url, sync_all
from bot.experiments.mlflow_client import MlflowClient
from bot.models import Measurement, MlflowLink
from bot.outbound import OutboundPolicy, parse_allow_list
from tests.conftest import CHANNEL, MEMBER, PM
from tests.handlers.test_projects import FRAUD, create, make_pm
from tests.support import all_text, rows

REPO = Path(__file__).resolve().parents[3]
STARTUP_SECONDS = 60
# MLflow delivers webhooks only to public https addresses unless told otherwise (mlflow/environment_variables.py);
# Headway listens on loopback http in tests, and each test's webhook must be seen at once (no listing cache).
WEBHOOKS_TO_LOOPBACK = {"MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true", "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
                        "MLFLOW_WEBHOOK_CACHE_TTL": "0", "MLFLOW_WEBHOOK_REQUEST_MAX_RETRIES": "0",
                        # MLflow 3's job runner (seven huey consumers, ~20 s of CPU to start) runs GenAI jobs; registry
                        # webhooks go out from the tracking server's own thread pool (mlflow/webhooks/delivery.py)
                        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# ---------------------------------------------------------------- the MLflow server


@pytest.fixture
def settings(settings):
    """MLflow (and the closed ports below) live on loopback here, which Headway refuses unless an operator allows
    it: these tests allow 127.0.0.1 the way an operator would (HEADWAY_OUTBOUND_ALLOW)."""
    return settings.model_copy(update={"outbound_allow": "127.0.0.1"})


def find_mlflow_python() -> str | None:
    candidates = [os.environ.get("HEADWAY_MLFLOW_PYTHON"), str(REPO / ".venv-mlflow" / "bin" / "python")]
    return next((c for c in candidates if c and os.path.isfile(c) and os.access(c, os.X_OK)), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`mlflow server` on a free loopback port with a SQLite store in a temporary directory; its base URL."""
    python = find_mlflow_python()
    if python is None:
        pytest.skip("MLflow server not installed: run `bash scripts/mlflow-venv.sh` (creates .venv-mlflow) or set "
                    "HEADWAY_MLFLOW_PYTHON to a python that has mlflow")
    home = tmp_path_factory.mktemp("mlflow")
    port = free_port()
    log_path = home / "server.log"
    command = [python, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
               "--backend-store-uri", f"sqlite:///{home}/mlflow.db", "--default-artifact-root",
               str(home / "artifacts")]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=home, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True,  # its own process group: the workers stop with it
                                   env={**os.environ, **WEBHOOKS_TO_LOOPBACK})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"mlflow server exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"mlflow server not healthy within {STARTUP_SECONDS}s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class Tracking:
    """What a training job's MLflow client does, over MLflow's REST API."""

    http: httpx.AsyncClient

    async def call(self, endpoint: str, body: dict) -> dict:
        response = await self.http.post(f"/api/2.0/mlflow/{endpoint}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    async def experiment(self, name: str) -> str:
        return (await self.call("experiments/create", {"name": name}))["experiment_id"]

    async def run(self, experiment_id: str, name: str, start: datetime) -> str:
        body = {"experiment_id": experiment_id, "run_name": name, "start_time": ms(start)}
        return (await self.call("runs/create", body))["run"]["info"]["run_id"]

    async def log(self, run_id: str, key: str, value: float, step: int, at: datetime) -> None:
        await self.call("runs/log-metric", {"run_id": run_id, "key": key, "value": value, "step": step,
                                            "timestamp": ms(at)})

    async def finish(self, run_id: str, at: datetime) -> None:
        await self.call("runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": ms(at)})


@pytest.fixture
async def tracking(mlflow_server: str) -> AsyncIterator[Tracking]:
    async with httpx.AsyncClient(base_url=mlflow_server, timeout=30) as http:
        yield Tracking(http)


@dataclass
class FraudModel:
    experiment_id: str
    baseline: str  # run ids
    merchant: str
    smoke: str


RECALL = {"baseline": [0.61, 0.66, 0.7, 0.72], "merchant": [0.7, 0.76, 0.81]}


@pytest.fixture
async def fraud_model(tracking: Tracking) -> FraudModel:
    """An experiment with two runs logging recall step by step (and loss, which is not imported) and a smoke run
    that logged no recall at all. Names are unique per test: the server lives for the whole session."""
    experiment_id = await tracking.experiment(f"fraud model {uuid.uuid4().hex[:6]}")
    runs = {}
    for offset, name in enumerate(("baseline", "merchant")):
        start = T0 + timedelta(days=offset)
        run_id = runs[name] = await tracking.run(experiment_id, f"{name} run", start)
        for step, value in enumerate(RECALL[name]):
            await tracking.log(run_id, "recall", value, step, start + timedelta(minutes=10 * step))
            await tracking.log(run_id, "loss", 1 - value, step, start + timedelta(minutes=10 * step))
        await tracking.finish(run_id, start + timedelta(hours=1))
    smoke = await tracking.run(experiment_id, "smoke test", T0 + timedelta(days=2))
    await tracking.log(smoke, "loss", 0.9, 0, T0 + timedelta(days=2))
    return FraudModel(experiment_id, runs["baseline"], runs["merchant"], smoke)


async def experiment_name(tracking: Tracking, experiment_id: str) -> str:
    response = await tracking.http.get("/api/2.0/mlflow/experiments/get", params={"experiment_id": experiment_id})
    return response.json()["experiment"]["name"]


@pytest.fixture
async def fraud(slack, emulator):
    await make_pm(slack)
    await create(slack, emulator)


async def mlflow_command(slack, text: str, user: str = PM) -> str:
    result = await slack.slash_command(user, "/headway", f"mlflow {text}", channel_id=CHANNEL)
    assert result.status == 200
    if result.body:  # answered in the ack (usage problems)
        return all_text(result.body["blocks"])
    response = await result.wait_for_response(timeout=30)
    assert response.get("response_type", "ephemeral") == "ephemeral", response
    return all_text(response["blocks"])


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # bound, then released: nothing listens there


# ---------------------------------------------------------------- with a real MLflow server


@pytest.mark.slow
async def test_linking_imports_every_value_once_and_later_syncs_add_only_new_ones(
        slack, fraud, headway, clean_database, clock, mlflow_server, tracking, fraud_model):
    name = await experiment_name(tracking, fraud_model.experiment_id)
    answer = await mlflow_command(slack, f'FRAUD {mlflow_server} "{name}" recall')
    assert "*FRAUD* now follows the MLflow experiment" in answer
    assert f"<{mlflow_server}/#/experiments/{fraud_model.experiment_id}|{name}>" in answer
    assert "Imported *7* values from 3 runs." in answer
    merchant_url = f"{mlflow_server}/#/experiments/{fraud_model.experiment_id}/runs/{fraud_model.merchant}"
    assert f"Latest: *0.81* at step 2 of run <{merchant_url}|merchant run>" in answer

    stored = sorted(await rows(clean_database, Measurement), key=lambda m: m.measured_at)
    assert [m.value for m in stored] == RECALL["baseline"] + RECALL["merchant"]
    assert {(m.source, m.metric, m.user_id) for m in stored} == {("mlflow", "recall", None)}
    assert [m.measured_at for m in stored[:4]] == [T0 + timedelta(minutes=10 * s) for s in range(4)]
    assert stored[4].measured_at == T0 + timedelta(days=1)
    first = stored[0]
    assert first.source_ref == f"mlflow:{fraud_model.baseline}:recall:0:{ms(T0)}"
    assert first.note == f"run baseline run in experiment {fraud_model.experiment_id}"
    [link] = await rows(clean_database, MlflowLink)
    assert (link.tracking_url, link.experiment_name, link.metric_key) == (mlflow_server, name, "recall")
    assert (link.last_synced_at, link.last_error, link.created_by) == (clock.now(), None, PM)
    assert measurement_run_url(link, stored[-1]) == merchant_url

    again = await sync_all(headway.hw)
    assert (again.synced, again.failed, again.imported) == (1, 0, 0)
    assert len(await rows(clean_database, Measurement)) == 7

    await tracking.log(fraud_model.merchant, "recall", 0.84, 3, T0 + timedelta(days=3))
    clock.advance(hours=1)
    later = await sync_all(headway.hw)
    assert (later.synced, later.imported) == (1, 1)
    new = await rows(clean_database, Measurement, Measurement.value == 0.84)
    assert [(m.measured_at, m.source_ref) for m in new] == [
        (T0 + timedelta(days=3), f"mlflow:{fraud_model.merchant}:recall:3:{ms(T0 + timedelta(days=3))}")]
    assert len(await rows(clean_database, Measurement)) == 8
    [link] = await rows(clean_database, MlflowLink)
    assert link.last_synced_at == clock.now() and link.last_error is None


@pytest.mark.slow
async def test_an_unknown_experiment_links_nothing_and_relinking_replaces_the_link(
        slack, fraud, clean_database, mlflow_server, tracking, fraud_model):
    answer = await mlflow_command(slack, f'FRAUD {mlflow_server} "fraud modle" recall')
    assert "Nothing was linked" in answer
    assert f"MLflow at {mlflow_server} has no experiment named 'fraud modle'" in answer
    assert await rows(clean_database, MlflowLink) == []

    name = await experiment_name(tracking, fraud_model.experiment_id)
    await mlflow_command(slack, f'FRAUD {mlflow_server}/ "{name}" recall')
    answer = await mlflow_command(slack, f'FRAUD {mlflow_server} "no such experiment" recall')
    assert "no experiment named 'no such experiment'" in answer
    [link] = await rows(clean_database, MlflowLink)
    assert link.experiment_name == name  # a failed relink keeps the working link

    answer = await mlflow_command(slack, f"fraud {mlflow_server} {name} loss")  # unquoted name with spaces
    assert "Imported *8* values from 3 runs." in answer  # loss, from the smoke run too
    [relinked] = await rows(clean_database, MlflowLink)
    assert (relinked.id, relinked.metric_key) == (link.id, "loss")


@pytest.mark.slow
async def test_one_broken_link_keeps_its_error_and_never_stops_the_others(
        slack, emulator, fraud, headway, clean_database, mlflow_server, tracking, fraud_model):
    name = await experiment_name(tracking, fraud_model.experiment_id)
    await create(slack, emulator, dict(FRAUD, key="CHURN", name="Churn", metric_name="loss"))
    assert "Imported *8* values" in await mlflow_command(slack, f'CHURN {mlflow_server} "{name}" loss')
    assert "Imported *7* values" in await mlflow_command(slack, f'FRAUD {mlflow_server} "{name}" recall')
    broken = closed_port_url()
    db = Database(clean_database)
    try:
        async with db.unit_of_work() as session:  # the server moved after CHURN was linked
            await session.exec(update(MlflowLink).where(MlflowLink.experiment_name == name,
                                                        MlflowLink.metric_key == "loss").values(tracking_url=broken))
    finally:
        await db.dispose()
    await tracking.log(fraud_model.merchant, "recall", 0.85, 3, T0 + timedelta(days=4))

    summary = await sync_all(headway.hw)
    assert (summary.synced, summary.failed, summary.imported) == (1, 1, 1)
    links = {link.metric_key: link for link in await rows(clean_database, MlflowLink)}
    assert f"Could not connect to MLflow at {broken} (connection refused)" in links["loss"].last_error
    assert links["recall"].last_error is None
    assert len(await rows(clean_database, Measurement)) == 16


@pytest.mark.slow
async def test_the_client_follows_page_tokens(mlflow_server, fraud_model):
    async with MlflowClient(mlflow_server, policy=OutboundPolicy(allow=parse_allow_list("127.0.0.1"))) as client:
        runs = await client.search_runs([fraud_model.experiment_id], page_size=1)
        history = await client.metric_history(fraud_model.baseline, "recall", page_size=3)
    assert [r.run_id for r in runs] == [fraud_model.baseline, fraud_model.merchant, fraud_model.smoke]
    assert [r.run_name for r in runs] == ["baseline run", "merchant run", "smoke test"]
    assert [(m.step, m.value) for m in history] == list(enumerate(RECALL["baseline"]))


# ---------------------------------------------------------------- error paths that need no MLflow


async def test_a_closed_port_is_a_polite_answer_and_links_nothing(slack, fraud, clean_database):
    url = closed_port_url()
    answer = await mlflow_command(slack, f'FRAUD {url} "fraud model" recall')
    assert f"Nothing was linked: Could not connect to MLflow at {url} (connection refused)." in answer
    assert "Is the tracking server running" in answer
    assert await rows(clean_database, MlflowLink) == []


async def test_a_server_that_is_not_mlflow_is_named_as_such(slack, fraud, emulator, clean_database):
    elsewhere = emulator.api_url.split("/api")[0]  # a web server on loopback that is not MLflow
    answer = await mlflow_command(slack, f'FRAUD {elsewhere} "fraud model" recall')
    assert f"{elsewhere} does not look like an MLflow tracking server (HTTP 404" in answer
    assert await rows(clean_database, MlflowLink) == []


async def test_headway_never_calls_itself_even_where_loopback_is_allowed(slack, fraud, headway, emulator,
                                                                          clean_database):
    answer = await mlflow_command(slack, f'FRAUD {headway.url} "fraud model" recall')
    assert "Headway does not call 127.0.0.1: it is Headway's own address" in answer
    assert f"HEADWAY_OUTBOUND_ALLOW=127.0.0.1:{headway.port}" in answer
    assert await rows(clean_database, MlflowLink) == []


@pytest.mark.parametrize(("url", "problem"), [
    ("ftp://mlflow.internal", "is not an http(s) address"),
    ("mlflow.internal:5000", "is not an http(s) address"),
    ("http://127.0.0.1:5000/#/experiments/1", "Give only the tracking server's base URL"),
    ("http://user:secret@127.0.0.1:5000", "does not store passwords"),
])
async def test_bad_urls_get_help_before_any_request(slack, fraud, clean_database, url, problem):
    answer = await mlflow_command(slack, f'FRAUD {url} "fraud model" recall')
    assert "Nothing was linked" in answer and problem in answer and "Usage:" in answer
    assert await rows(clean_database, MlflowLink) == []


async def test_only_pms_and_admins_link_and_mlflow_is_not_called_for_others(slack, fraud, clean_database):
    answer = await mlflow_command(slack, f'FRAUD {closed_port_url()} "fraud model" recall', user=MEMBER)
    assert "Only FRAUD's PMs and Headway admins can link it to MLflow." in answer
    assert "connect" not in answer
    assert "no project with the key NOPE" in await mlflow_command(slack, 'NOPE http://x "e" recall')
    assert "Usage" in await mlflow_command(slack, "FRAUD http://x")
    assert await rows(clean_database, MlflowLink) == []
