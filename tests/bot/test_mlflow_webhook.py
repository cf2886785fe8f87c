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
from tests.conftest import ADMIN, CHANNEL, MEMBER, PM
from tests.handlers.test_onboarding import blocks_of, dms_to
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


@pytest.mark.slow
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
    text = all_text(blocks_of(asked[0]))
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


# ---------------------------------------------------------------- refusals (no MLflow server needed)


@pytest.fixture
async def hooked(slack, fraud, clean_database):
    await link(clean_database, closed_port_url())
    secret, hook, _ = await issue(slack, "mlflow webhook FRAUD model=fraud-model")
    return secret, hook


def created_version(model: str = "fraud-model", version: str = "7", **tags: str) -> str:
    return envelope("model_version", "created", {"name": model, "version": version, "source": "models:/m-1",
                                                 "run_id": "abc123", "tags": tags, "description": None})


async def nothing_recorded(database_url: str) -> None:
    assert await rows(database_url, Measurement) == []
    assert await rows(database_url, RegistryModelVersion) == []


async def test_every_bad_delivery_is_refused_with_a_4xx_and_changes_nothing(headway, hooked, clean_database):
    secret, hook = hooked
    body = created_version()
    refusals = {
        "bad signature": await deliver(headway.url, hook, "whsec_wrong", body),
        "unsigned": await deliver(headway.url, hook, secret, body, sign=False),
        "unknown hook": await deliver(headway.url, "whk_nope", secret, body),
        "old timestamp": await deliver(headway.url, hook, secret, body, stamp=int(time.time()) - 600),
        "not a time": await deliver(headway.url, hook, secret, body, stamp=-1),
        "over 1 MiB": await deliver(headway.url, hook, secret, body + " " * (1 << 20)),
        "malformed JSON": await deliver(headway.url, hook, secret, '{"entity": "model_version", '),
        "no data": await deliver(headway.url, hook, secret, json.dumps({"entity": "model_version",
                                                                        "action": "created"})),
        "no version": await deliver(headway.url, hook, secret, envelope("model_version", "created",
                                                                        {"name": "fraud-model"})),
    }
    statuses = {what: (r.status_code, r.json()["error"]) for what, r in refusals.items()}
    assert statuses == {
        "bad signature": (401, "invalid_signature"), "unsigned": (401, "missing_signature"),
        "unknown hook": (401, "invalid_signature"), "old timestamp": (401, "stale_timestamp"),
        "not a time": (401, "invalid_timestamp"), "over 1 MiB": (413, "too_large"),
        "malformed JSON": (400, "invalid_json"), "no data": (422, "invalid_payload"),
        "no version": (422, "invalid_payload")}
    assert refusals["no data"].json()["detail"] == {"data": "Field required"}
    assert refusals["no version"].json()["detail"] == {"data.version": "Field required"}
    await nothing_recorded(clean_database)
    assert await rows(clean_database, WebhookDelivery) == []


async def test_a_replayed_delivery_is_refused_and_records_nothing_twice(headway, hooked, clean_database):
    secret, hook = hooked
    body = envelope("model_version_alias", "created", {"name": "fraud-model", "alias": "staging",
                                                        "version": "7"})
    first = await deliver(headway.url, hook, secret, body, delivery="d-1")
    assert (first.status_code, first.json()["outcome"]) == (200, "ignored")  # not FRAUD's promotion alias
    again = await deliver(headway.url, hook, secret, body, delivery="d-1")
    assert (again.status_code, again.json()["error"]) == (409, "replayed")
    assert [d.delivery_id for d in await rows(clean_database, WebhookDelivery)] == ["d-1"]


async def test_unknown_models_are_acknowledged_and_told_to_the_admins_once(slack, emulator, headway, fraud,
                                                                        clean_database):
    secret, hook, _ = await issue(slack, "mlflow webhook workspace", user=ADMIN)
    for number in ("1", "2"):
        answer = await deliver(headway.url, hook, secret, created_version("churn-model", number))
        assert (answer.status_code, answer.json()["outcome"]) == (202, "unknown_model")
    told = await eventually(lambda: dms_to(emulator, ADMIN, "churn-model"))
    assert "no project follows it" in all_text(blocks_of(told[0]))
    tagged = await deliver(headway.url, hook, secret, created_version("churn-model", "3", headway_project="NOPE"))
    assert tagged.status_code == 202 and "headway_project=NOPE names no project" in tagged.json()["detail"]
    await nothing_recorded(clean_database)
    assert len(dms_to(emulator, ADMIN, "churn-model")) == 1


async def test_only_pms_create_a_projects_secret_and_only_admins_the_workspaces(slack, fraud, clean_database):
    assert "Only FRAUD's PMs and Headway admins" in await command(slack, "mlflow webhook FRAUD", user=MEMBER)
    assert "Only Headway admins" in await command(slack, "mlflow webhook workspace")
    assert "Link FRAUD to its MLflow experiment first" in await command(slack, "mlflow webhook FRAUD")
    await link(clean_database, closed_port_url())
    assert "is not an option" in await command(slack, "mlflow webhook FRAUD colour=blue")
    first, _, _ = await issue(slack)
    second, hook, _ = await issue(slack, "mlflow webhook FRAUD alias=production")
    assert first != second


async def test_the_headway_project_tag_routes_a_workspace_webhook_and_the_alias_follows_the_version(
        slack, emulator, headway, fraud, clean_database):
    await link(clean_database, closed_port_url())  # MLflow is down: the version is kept, its result is not
    secret, hook, _ = await issue(slack, "mlflow webhook workspace", user=ADMIN)
    created = await deliver(headway.url, hook, secret, created_version("shared-model", "3", headway_project="fraud"))
    assert created.status_code == 200 and created.json()["project"] == "FRAUD"
    assert created.json()["outcome"].startswith("no result: Could not connect to MLflow")
    [version] = await rows(clean_database, RegistryModelVersion)
    assert (version.model_name, version.version, version.measurement_id) == ("shared-model", "3", None)
    promoted = await deliver(headway.url, hook, secret, envelope("model_version_alias", "created", {
        "name": "shared-model", "alias": "champion", "version": "3"}))
    assert (promoted.status_code, promoted.json()["outcome"]) == (200, "asked 1 PMs")
    asked = await eventually(lambda: dms_to(emulator, PM, "is now `champion`"))
    assert "No result of this version's run reached Headway" in all_text(blocks_of(asked[0]))
    tagged_later = await deliver(headway.url, hook, secret, envelope("model_version_tag", "set", {
        "name": "shared-model", "version": "4", "key": "headway_project", "value": "FRAUD"}))
    assert tagged_later.status_code == 200 and tagged_later.json()["project"] == "FRAUD"
    assert sorted(v.version for v in await rows(clean_database, RegistryModelVersion)) == ["3", "4"]
    other_tag = await deliver(headway.url, hook, secret, envelope("model_version_tag", "set", {
        "name": "shared-model", "version": "4", "key": "owner", "value": "max"}))
    assert (other_tag.status_code, other_tag.json()["outcome"]) == (202, "ignored")


async def test_a_projects_secret_reaches_only_the_model_that_project_follows(slack, emulator, headway, hooked,
                                                                             clean_database):
    secret, hook = hooked  # FRAUD follows fraud-model
    other = await deliver(headway.url, hook, secret, created_version("churn-model", "1"))
    assert other.status_code == 202 and "FRAUD follows the registered model 'fraud-model'" in other.json()["detail"]
    tagged = await deliver(headway.url, hook, secret, created_version("churn-model", "2", headway_project="CHURN"))
    assert tagged.status_code == 202 and "names no project" in tagged.json()["detail"]
    await nothing_recorded(clean_database)
