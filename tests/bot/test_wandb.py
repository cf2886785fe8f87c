"""W&B automations over HTTP: the README's payload template filled as W&B fills it, tokens checked first."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from bot.models import Measurement
from tests.bot.test_api import auth, new_token
from tests.conftest import CHANNEL, PM
from tests.handlers.test_onboarding import blocks_of, dms_to
from tests.handlers.test_projects import FRAUD, create, make_pm
from tests.support import all_text, eventually, rows

README = Path(__file__).resolve().parents[2] / "README.md"


def template() -> str:
    """The payload template as the README documents it (the one people paste into W&B)."""
    text = README.read_text()
    match = re.search(r"<!-- wandb-template -->\s*```json\n(.*?)```", text, re.DOTALL)
    assert match, "the README documents the W&B payload template"
    return match.group(1)


def filled(**variables: str) -> dict:
    """What W&B sends: each documented ${variable} replaced by its value (empty when it has none)."""
    values = {"event_type": "ADD_ARTIFACT_ALIAS", "event_author": "max", "alias": "", "entity_name": "acme",
              "project_name": "model-registry", "artifact_collection_name": "fraud-model",
              "artifact_version_string": "acme/model-registry/fraud-model:v4", "artifact_metadata.recall": ""}
    values.update(variables)
    body = re.sub(r"\$\{([A-Za-z_.]+)\}", lambda m: values.get(m.group(1), ""), template())
    return json.loads(body)


@pytest.fixture
async def wandb(slack, emulator, headway):
    await make_pm(slack)
    await create(slack, emulator)
    await create(slack, emulator, dict(FRAUD, key="CHURN", name="Churn", metric_name="precision"))
    async with httpx.AsyncClient(base_url=headway.url) as client:
        client.fraud, client.churn = await new_token(slack), await new_token(slack, key="CHURN")
        yield client


async def test_a_metric_from_an_artifact_becomes_a_result_on_the_card_once(slack, wandb, clean_database):
    payload = filled(**{"event_type": "LINK_ARTIFACT", "artifact_metadata.recall": "0.84"})
    assert payload["headway_project"] == "FRAUD" and payload["value"] == "0.84"
    first = await wandb.post("/api/v1/wandb/webhook", json=payload, headers=auth(wandb.fraud))
    assert (first.status_code, first.json()) == (201, {"project": "FRAUD", "recorded": True, "duplicate": False,
                                                       "asked": 0})
    again = await wandb.post("/api/v1/wandb/webhook", json=payload, headers=auth(wandb.fraud))
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    [stored] = await rows(clean_database, Measurement)
    assert (stored.value, stored.source, stored.note) == (
        0.84, "api", "W&B acme/model-registry/fraud-model:v4 in acme/model-registry by max")
    result = await slack.slash_command(PM, "/headway", "show FRAUD", channel_id=CHANNEL)
    card = all_text((await result.wait_for_response())["blocks"])
    assert "0.84" in card


async def test_the_promotion_alias_asks_the_pms_once_with_the_evidence(wandb, emulator, clean_database):
    payload = filled(alias="champion", **{"artifact_metadata.recall": "0.86"})
    for _ in range(2):
        answer = await wandb.post("/api/v1/wandb/webhook", json=payload, headers=auth(wandb.fraud))
        assert answer.status_code in (200, 201)
    asked = await eventually(lambda: dms_to(emulator, PM, "is now `champion`"))
    text = all_text(blocks_of(asked[0]))
    assert "W&amp;B:* `fraud-model` v4 is now `champion`" in text and "recall *0.86*" in text
    other = await wandb.post("/api/v1/wandb/webhook", json=filled(alias="staging"), headers=auth(wandb.fraud))
    assert (other.status_code, other.json()["asked"], other.json()["recorded"]) == (200, 0, False)
    assert len(dms_to(emulator, PM, "is now `champion`")) == 1


async def test_wrong_tokens_and_bad_payloads_are_refused_before_anything_is_stored(wandb, clean_database):
    payload = filled(**{"artifact_metadata.recall": "0.84"})
    cases = {
        "no token": await wandb.post("/api/v1/wandb/webhook", json=payload),
        "unknown token": await wandb.post("/api/v1/wandb/webhook", json=payload, headers=auth("hwp_nope")),
        "other project's token": await wandb.post("/api/v1/wandb/webhook", json=payload, headers=auth(wandb.churn)),
        "not JSON": await wandb.post("/api/v1/wandb/webhook", content=b"{", headers=auth(wandb.fraud)),
        "not a number": await wandb.post("/api/v1/wandb/webhook", json=dict(payload, value="high"),
                                         headers=auth(wandb.fraud)),
        "no project": await wandb.post("/api/v1/wandb/webhook", json={"event_type": "LINK_ARTIFACT"},
                                       headers=auth(wandb.fraud)),
        "too large": await wandb.post("/api/v1/wandb/webhook", content=b" " * (1 << 20 + 1),
                                      headers=auth(wandb.fraud)),
    }
    assert {k: (r.status_code, r.json()["error"]) for k, r in cases.items()} == {
        "no token": (401, "missing_token"), "unknown token": (401, "invalid_token"),
        "other project's token": (403, "wrong_project"), "not JSON": (400, "invalid_json"),
        "not a number": (422, "invalid_payload"), "no project": (422, "invalid_payload"),
        "too large": (413, "too_large")}
    assert "value" in cases["not a number"].json()["detail"]
    assert "headway_project" in cases["no project"].json()["detail"]
    assert await rows(clean_database, Measurement) == []
