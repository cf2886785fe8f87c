"""MLflow registry webhooks: signed deliveries in over HTTP (from a real `mlflow server`, and hand-signed ones
for the refusals), results and DMs out through the emulator and the database."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import delete

from bot.db import Database
from bot.experiments.mlflow import sync_all
from bot.mlflow_webhook import signature
from bot.models import Measurement, MlflowLink, RegistryModelVersion, WebhookDelivery
from tests.bot.experiments.test_mlflow import (  # noqa: F401 - fixtures
    Tracking,
    closed_port_url,
    mlflow_server,
    settings,
    tracking,
)
from tests.conftest import CHANNEL, PM
from tests.handlers.test_onboarding import dms_to
from tests.handlers.test_projects import create, make_pm
from tests.support import all_text, eventually, rows

SECRET = re.compile(r"whsec_[A-Za-z0-9_-]+")
HOOK = re.compile(r"whk_[A-Za-z0-9_-]+")


async def command(slack, text: str, user: str = PM) -> str:
    result = await slack.slash_command(user, "/headway", text, channel_id=CHANNEL)
    if result.body:
        return all_text(result.body["blocks"])
    return all_text((await result.wait_for_response(timeout=30))["blocks"])


async def link(database_url: str, tracking_url: str, metric: str = "recall") -> None:
    """What `/headway mlflow FRAUD URL "exp" recall` leaves behind (tested in test_mlflow.py), without a server."""
    db = Database(database_url)
    try:
        async with db.unit_of_work() as session:
            from sqlmodel import select

            from bot.models import Project
            project = (await session.exec(select(Project).where(Project.key == "FRAUD"))).one()
            session.add(MlflowLink(team_id=project.team_id, project_id=project.id, tracking_url=tracking_url,
                                   experiment_name="fraud model", metric_key=metric, created_by=PM))
    finally:
        await db.dispose()


@pytest.fixture
async def fraud(slack, emulator):
    await make_pm(slack)
    await create(slack, emulator)


async def issue(slack, text: str = "mlflow webhook FRAUD", user: str = PM) -> tuple[str, str, str]:
    answer = await command(slack, text, user)
    assert "Copy it now" in answer, answer
    return SECRET.search(answer).group(0), HOOK.search(answer).group(0), answer


def envelope(entity: str, action: str, data: dict) -> str:
    return json.dumps({"entity": entity, "action": action, "timestamp": datetime.now(UTC).isoformat(),
                       "data": data})


async def deliver(url: str, hook: str, secret: str, body: str | bytes, *, delivery: str | None = None,
                  stamp: int | None = None, sign: bool = True) -> httpx.Response:
    delivery = delivery or str(uuid.uuid4())
    stamp_text = str(stamp if stamp is not None else int(time.time()))
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    headers = {"Content-Type": "application/json", "X-MLflow-Delivery-Id": delivery,
               "X-MLflow-Timestamp": stamp_text}
    if sign:
        headers["X-MLflow-Signature"] = signature(secret, delivery, stamp_text, text)
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(f"{url}/api/v1/mlflow/webhook", params={"hook": hook}, headers=headers,
                               content=body if isinstance(body, bytes) else body.encode())


# ---------------------------------------------------------------- against a real MLflow server


async def test_a_new_version_and_its_champion_alias_reach_headway_once(
        slack, emulator, fraud, headway, clean_database, mlflow_server, tracking: Tracking):  # noqa: F811
    experiment = f"fraud model {uuid.uuid4().hex[:6]}"
    experiment_id = await tracking.experiment(experiment)
    start = datetime.now(UTC) - timedelta(hours=1)
    run_id = await tracking.run(experiment_id, "merchant run", start)
    await tracking.log(run_id, "recall", 0.84, 3, start + timedelta(minutes=5))
    await tracking.finish(run_id, start + timedelta(minutes=10))
    assert "Imported *1* value" in await command(slack, f'mlflow FRAUD {mlflow_server} "{experiment}" recall')
    await forget_measurements(clean_database)  # the link's import: the webhook must bring the value itself

    model = f"fraud-model-{uuid.uuid4().hex[:6]}"
    secret, hook, answer = await issue(slack, f"mlflow webhook FRAUD model={model}")
    assert "MlflowClient().create_webhook(" in answer and f"secret=\"{secret}\"" in answer
    assert "'model_version.created', 'model_version_alias.created'" in answer
    created = await tracking.http.post("/api/2.0/mlflow/webhooks", json={
        "name": f"headway-{uuid.uuid4().hex[:6]}", "url": f"{headway.url}/api/v1/mlflow/webhook?hook={hook}",
        "events": [{"entity": "MODEL_VERSION", "action": "CREATED"},
                   {"entity": "MODEL_VERSION_ALIAS", "action": "CREATED"}],
        "secret": secret})
    assert created.status_code == 200, created.text
    await tracking.call("registered-models/create", {"name": model})
    await tracking.call("model-versions/create", {"name": model, "source": f"runs:/{run_id}/model",
                                                  "run_id": run_id})

    found = await eventually_rows(clean_database, Measurement, 1)
    assert [(m.value, m.source, m.source_ref) for m in found] == [
        (0.84, "mlflow", f"mlflow:{run_id}:recall:3:{int((start + timedelta(minutes=5)).timestamp() * 1000)}")]
    [version] = await rows(clean_database, RegistryModelVersion)
    assert (version.model_name, version.version, version.run_id, version.measurement_id) == (
        model, "1", run_id, found[0].id)

    await tracking.call("registered-models/alias", {"name": model, "alias": "champion", "version": "1"})
    asked = await eventually(lambda: dms_to(emulator, PM, "is now `champion`"), timeout=10)
    text = all_text(json.loads(asked[0].params["blocks"]) if isinstance(asked[0].params["blocks"], str)
                    else asked[0].params["blocks"])
    assert f"MLflow:* `{model}` v1 is now `champion`" in text
    assert "request the gate into *" in text
    assert "recall *0.84*" in text and "target 0.9" in text
    assert "Request the gate" in text

    # The hourly sync finds the same value and stores nothing more; the alias set again asks nobody twice.
    again = await sync_all(headway.hw)
    assert (again.synced, again.imported) == (1, 0)
    await tracking.call("registered-models/alias", {"name": model, "alias": "champion", "version": "1"})
    deliveries = await eventually_rows(clean_database, WebhookDelivery, 3)
    assert sorted(d.event for d in deliveries) == ["model_version.created", "model_version_alias.created",
                                                   "model_version_alias.created"]
    assert len(dms_to(emulator, PM, "is now `champion`")) == 1
    assert len(await rows(clean_database, Measurement)) == 1


async def forget_measurements(database_url: str) -> None:
    db = Database(database_url)
    try:
        async with db.unit_of_work() as session:
            await session.exec(delete(Measurement))
    finally:
        await db.dispose()


async def eventually_rows(database_url: str, model, count: int, timeout: float = 10.0) -> list:
    """Rows written by Headway once MLflow delivered (MLflow sends from a thread pool, after its answer)."""
    deadline = time.monotonic() + timeout
    while True:
        found = await rows(database_url, model)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)
