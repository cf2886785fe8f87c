"""Alertmanager → Headway: the webhook (payload version 4) by hand for every error path, then a real
`alertmanager` process (Debian's prometheus-alertmanager) firing to the running Headway on loopback.

The real process is found through HEADWAY_ALERTMANAGER (a path), `prometheus-alertmanager` or `alertmanager` on
PATH; where none is installed those tests skip, saying how to install it. Alertmanager's own clock is real, so
alerts posted to it carry real times; Headway's clock is the tests' manual one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.models import ProductionAlert
from tests.bot.experiments.test_mlflow import free_port
from tests.bot.production.support import launched
from tests.bot.production.test_health import announcements, health_text
from tests.bot.test_api import auth
from tests.conftest import CHANNEL, PM
from tests.handlers.gate_support import text_of
from tests.handlers.standup_support import outbox_key
from tests.support import eventually, rows

STARTUP_SECONDS = 30


def alert(status: str = "firing", project: str = "FRAUD", **annotations: str) -> dict:
    return {"status": status, "labels": {"alertname": "RecallDrop", "headway_project": project, "severity": "page"},
            "annotations": annotations or {"summary": "Recall below 0.7 for 30 minutes",
                                           "description": "Chargebacks confirm more missed fraud since Tuesday."},
            "startsAt": "2026-11-23T08:30:00Z",
            "endsAt": "2026-11-23T09:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example/graph?g0.expr=recall", "fingerprint": "a1b2c3d4e5f60718"}


def payload(*alerts: dict) -> dict:
    return {"version": "4", "groupKey": "{}:{alertname=\"RecallDrop\"}", "truncatedAlerts": 0,
            "status": alerts[0]["status"] if alerts else "firing", "receiver": "headway",
            "groupLabels": {"alertname": "RecallDrop"}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://alertmanager.example", "alerts": list(alerts)}


async def send(headway, body, token: str | None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=headway.url) as client:
        return await client.post("/api/v1/alertmanager", json=body, headers=auth(token) if token else {})


async def test_a_firing_alert_degrades_the_project_and_is_announced_once(slack, emulator, clean_database, headway):
    token = await launched(slack, emulator, clean_database, headway)
    first = await send(headway, payload(alert()), token)
    assert first.status_code == 200, first.text
    assert (first.json()["health"], first.json()["firing"]) == ("Degraded", 1)
    again = await send(headway, payload(alert()), token)  # Alertmanager repeats a notification: nothing new
    assert again.status_code == 200
    [row] = await rows(clean_database, ProductionAlert)
    assert (row.status, row.name, row.summary) == ("firing", "RecallDrop", "Recall below 0.7 for 30 minutes")
    assert "Chargebacks" in row.description and '"severity": "page"' in row.labels
    dm = (await eventually(lambda: announcements(emulator, PM), timeout=10))[0]
    text = text_of(dm)
    assert "Degraded" in text and "RecallDrop" in text and "Chargebacks confirm" in text
    assert "“Recall below 0.7 for 30 minutes” is firing" in text
    assert (await eventually(lambda: announcements(emulator, "channel"), timeout=10))[0].params["channel"] == CHANNEL
    assert "Degraded" in await health_text(slack)

    resolved = await send(headway, payload(alert("resolved")), token)
    assert resolved.json()["health"] == "Healthy"
    [row] = await rows(clean_database, ProductionAlert)
    assert row.status == "resolved" and row.ends_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                              if outbox_key(c).endswith(":recovered")], timeout=10)
    assert len(announcements(emulator, PM)) == 1


@pytest.mark.parametrize(("body", "token", "status", "error"), [
    (payload(alert()), None, 401, "missing_token"),
    (payload(alert()), "hwp_unknown", 401, "invalid_token"),
    (payload(alert(project="CHURN")), "mine", 403, "wrong_project"),
    ({**payload(alert()), "version": "3"}, "mine", 422, "invalid_payload"),
    (payload({**alert(), "status": "pending"}), "mine", 422, "invalid_payload"),
    ({"alerts": "many"}, "mine", 422, "invalid_payload"),
    ("{not json", "mine", 400, "invalid_json"),
])
async def test_webhook_errors_are_4xx_naming_the_problem(slack, emulator, clean_database, headway, body, token,
                                                         status, error):
    mine = await launched(slack, emulator, clean_database, headway)
    async with httpx.AsyncClient(base_url=headway.url) as client:
        kwargs = {"content": body} if isinstance(body, str) else {"json": body}
        headers = auth(mine if token == "mine" else token) if token else {}
        response = await client.post("/api/v1/alertmanager", headers=headers, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error and response.json()["detail"]
    assert await rows(clean_database, ProductionAlert) == []


# ---------------------------------------------------------------- a real Alertmanager


def find_alertmanager() -> str | None:
    configured = os.environ.get("HEADWAY_ALERTMANAGER")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("prometheus-alertmanager") or shutil.which("alertmanager") or next(
        (p for p in ("/usr/bin/prometheus-alertmanager",) if os.access(p, os.X_OK)), None)


CONFIG = """\
route:
  receiver: headway
  group_by: [alertname, headway_project]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: headway
    webhook_configs:
      - url: {url}/api/v1/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: {credentials}
"""


@pytest.fixture
def alertmanager_binary() -> str:
    binary = find_alertmanager()
    if binary is None:
        pytest.skip("Alertmanager is not installed: `apt-get install prometheus-alertmanager` (Debian/Ubuntu) or set "
                    "HEADWAY_ALERTMANAGER to the alertmanager binary")
    return binary


@contextmanager
def alertmanager(binary: str, home: Path, headway_url: str, token: str) -> Iterator[str]:
    """A real Alertmanager on a free loopback port, no clustering, its webhook receiver pointing at Headway."""
    (home / "token").write_text(token)
    (home / "alertmanager.yml").write_text(CONFIG.format(url=headway_url, credentials=home / "token"))
    port = free_port()
    log_path = home / "alertmanager.log"
    command = [binary, f"--config.file={home / 'alertmanager.yml'}", f"--storage.path={home / 'data'}",
               f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=debug"]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=home, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"alertmanager exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"alertmanager did not start in {STARTUP_SECONDS}s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        print(f"\n--- alertmanager log ({log_path}) ---\n" + log_path.read_text()[-4000:])


def posted_alert(status: str) -> list[dict]:
    now = datetime.now(UTC)
    item = {"labels": {"alertname": "RecallDrop", "headway_project": "FRAUD", "severity": "page"},
            "annotations": {"summary": "Recall below 0.7 for 30 minutes",
                            "description": "Chargebacks confirm more missed fraud since Tuesday."},
            "startsAt": (now - timedelta(minutes=30)).isoformat().replace("+00:00", "Z"),
            "generatorURL": "http://prometheus.example/graph?g0.expr=recall"}
    if status == "resolved":
        item["endsAt"] = (now - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    return [item]


@pytest.mark.slow
async def test_a_real_alertmanager_fires_and_resolves_through_headway(alertmanager_binary, slack, emulator,
                                                                     clean_database, headway, tmp_path):
    token = await launched(slack, emulator, clean_database, headway)
    with alertmanager(alertmanager_binary, tmp_path, headway.url, token) as am:
        async with httpx.AsyncClient(base_url=am) as client:
            response = await client.post("/api/v2/alerts", json=posted_alert("firing"))
            assert response.status_code == 200, response.text
        stored = await eventually(lambda: _alerts(clean_database), timeout=30)
        dm = (await eventually(lambda: announcements(emulator, PM), timeout=15))[0]
        print("Alertmanager → Headway → PM's DM:", dm.params["text"])
        text = text_of(dm)
        assert "Degraded" in text and "RecallDrop" in text and "Chargebacks confirm" in text
        assert (await eventually(lambda: announcements(emulator, "channel"), timeout=10))[0].params["channel"] == \
            CHANNEL
        assert "Degraded" in await health_text(slack)
        assert stored

        async with httpx.AsyncClient(base_url=am) as client:
            assert (await client.post("/api/v2/alerts", json=posted_alert("resolved"))).status_code == 200
        resolved = await eventually(lambda: _alerts(clean_database, "resolved"), timeout=30)
        print("Recorded:", [(a.name, a.status, a.summary) for a in resolved])
        await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                  if outbox_key(c).endswith(":recovered")], timeout=10)
    assert "Healthy" in await health_text(slack)
    assert len(announcements(emulator, PM)) == 1



def _alerts(database_url: str, status: str = "firing"):
    """Synchronous probe for `eventually`: read the alerts in a worker thread's own event loop."""
    import asyncio
    import threading

    result: list = []

    def read() -> None:
        result.extend(asyncio.run(rows(database_url, ProductionAlert)))

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return [a for a in result if a.status == status]
