"""The measurement API over HTTP: tokens from Slack, every error path, idempotent retries."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.models import ApiToken, Measurement
from tests.conftest import CHANNEL, MEMBER, PM
from tests.handlers.test_projects import FRAUD, create, make_pm
from tests.support import all_text, rows


async def new_token(slack, user=PM, key="FRAUD") -> str:
    result = await slack.slash_command(user, "/headway", f"token {key}", channel_id=CHANNEL)
    text = all_text((await result.wait_for_response())["blocks"])
    match = re.search(r"```(hwp_[\w-]+)```", text)
    assert match, text
    return match.group(1)


@pytest.fixture
async def api(slack, emulator, headway):
    await make_pm(slack)
    await create(slack, emulator)
    await create(slack, emulator, dict(FRAUD, key="CHURN", name="Churn", metric_name="precision"))
    token = await new_token(slack)
    async with httpx.AsyncClient(base_url=headway.url) as client:
        client.token = token
        yield client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_pipeline_reports_values_and_retries_are_stored_once(api, clean_database):
    body = {"measurements": [
        {"metric": "recall", "value": 0.74, "client_id": "run-1", "measured_at": "2026-11-20T10:00:00Z"},
        {"metric": "Recall", "value": 0.78, "client_id": "run-2"}]}
    first = await api.post("/api/v1/projects/fraud/measurements", json=body, headers=auth(api.token))
    assert first.status_code == 201, first.text
    assert (first.json()["stored"], first.json()["duplicates"]) == (2, 0)
    again = await api.post("/api/v1/projects/FRAUD/measurements", json=body, headers=auth(api.token))
    assert again.status_code == 200 and again.json()["duplicates"] == 2
    single = await api.post("/api/v1/projects/FRAUD/measurements", json={"metric": "recall", "value": 0.8},
                            headers=auth(api.token))
    assert single.status_code == 201
    stored = sorted((m.value, m.source, m.source_ref) for m in await rows(clean_database, Measurement))
    assert [v for v, _, _ in stored] == [0.74, 0.78, 0.8]
    assert {s for _, s, _ in stored} == {"api"}
    [token] = await rows(clean_database, ApiToken)
    assert token.token_hash != api.token and api.token not in token.token_hash and token.last_used_at


@pytest.mark.parametrize(
    ("path", "headers", "body", "status", "error"),
    [
        ("FRAUD", {}, {"metric": "recall", "value": 1}, 401, "missing_token"),
        ("FRAUD", {"Authorization": "Bearer hwp_nope"}, {"metric": "recall", "value": 1}, 401, "invalid_token"),
        ("FRAUD", {"Authorization": "Basic abc"}, {"metric": "recall", "value": 1}, 401, "missing_token"),
        ("NOPE", None, {"metric": "recall", "value": 1}, 404, "unknown_project"),
        ("CHURN", None, {"metric": "precision", "value": 1}, 403, "wrong_project"),
        ("FRAUD", None, {"metric": "precision", "value": 0.5}, 422, "invalid_measurement"),
        ("FRAUD", None, {"metric": "recall", "value": "high"}, 422, "invalid_measurement"),
        ("FRAUD", None, {"metric": "recall", "value": 0.5, "measured_at": "2026-11-20T10:00:00"}, 422,
         "invalid_measurement"),
        ("FRAUD", None, {"metric": "recall", "value": 0.5, "surprise": True}, 422, "invalid_measurement"),
        ("FRAUD", None, {"measurements": []}, 422, "invalid_measurement"),
        ("FRAUD", None, "not json", 400, "invalid_json"),
    ],
)
async def test_errors_are_4xx_with_a_reason_and_store_nothing(api, clean_database, path, headers, body, status,
                                                               error):
    headers = auth(api.token) if headers is None else headers
    kwargs = {"content": body} if isinstance(body, str) else {"json": body}
    response = await api.post(f"/api/v1/projects/{path}/measurements", headers=headers, **kwargs)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error and response.json()["detail"]
    assert await rows(clean_database, Measurement) == []


async def test_a_bad_value_in_a_batch_stores_none_of_it(api, clean_database):
    body = [{"metric": "recall", "value": 0.7, "client_id": "a"}, {"metric": "accuracy", "value": 0.7}]
    response = await api.post("/api/v1/projects/FRAUD/measurements", json=body, headers=auth(api.token))
    assert response.status_code == 422 and "measurements[1].metric" in response.json()["detail"]
    assert await rows(clean_database, Measurement) == []


async def test_revoked_tokens_stop_working_and_only_pms_issue_them(api, slack):
    result = await slack.slash_command(MEMBER, "/headway", "token FRAUD", channel_id=CHANNEL)
    assert "Only FRAUD's PMs" in all_text((await result.wait_for_response())["blocks"])
    result = await slack.slash_command(PM, "/headway", "token revoke FRAUD", channel_id=CHANNEL)
    assert "Revoked 1 API token" in all_text((await result.wait_for_response())["blocks"])
    response = await api.post("/api/v1/projects/FRAUD/measurements", json={"metric": "recall", "value": 0.5},
                              headers=auth(api.token))
    assert response.status_code == 401


async def test_openapi_document_describes_the_endpoint(headway):
    async with httpx.AsyncClient() as client:
        spec = (await client.get(headway.url + "/api/openapi.json")).json()
    operation = spec["paths"]["/api/v1/projects/{key}/measurements"]["post"]
    assert spec["openapi"].startswith("3.")
    assert {"201", "400", "401", "403", "404", "422"} <= set(operation["responses"])
    assert "MeasurementIn" in spec["components"]["schemas"]


async def test_a_wrong_value_is_named_alone(api):
    response = await api.post("/api/v1/projects/FRAUD/measurements", json={"metric": "recal", "value": "high"},
                              headers=auth(api.token))
    assert response.status_code == 422
    assert list(response.json()["detail"]) == ["value"]  # not every accepted body shape's complaints
    batch = await api.post("/api/v1/projects/FRAUD/measurements",
                           json={"measurements": [{"metric": "recall", "value": 0.5}, {"metric": "recall"}]},
                           headers=auth(api.token))
    assert list(batch.json()["detail"]) == ["measurements.1.value"]
