"""Workflow Builder's custom steps: a signed `function_executed` event in (the emulator gives the execution its
token), the service's effect and `functions.completeSuccess` / `completeError` out."""

from __future__ import annotations

import pytest

from bot.manifest import build_manifest
from bot.models import Gate, Measurement
from bot.progress.model import ProgressLabel
from tests.conftest import CHANNEL, EXEC, MEMBER, PM
from tests.handlers.test_projects import create, make_pm
from tests.support import eventually, rows

STEPS = build_manifest("https://example.org")["functions"]


@pytest.fixture
async def fraud(slack, emulator):
    await make_pm(slack)
    await create(slack, emulator)


async def run_step(slack, emulator, callback_id: str, **inputs) -> dict:
    """Run the step as a workflow would; the finished execution (status, outputs, error) as Slack saw it."""
    result = await slack.function_executed(callback_id, inputs, STEPS[callback_id])
    assert result.status == 200
    execution_id = result.payload["event"]["function_execution_id"]
    assert result.payload["event"]["bot_access_token"].startswith("xwfp-")
    return await eventually(lambda: (lambda e: e if e and e["status"] != "running" else None)(
        emulator.function_execution(execution_id)))


async def test_request_gate_opens_a_gate_and_outputs_its_number_and_link(slack, emulator, fraud, clean_database):
    done = await run_step(slack, emulator, "request_gate", project="fraud", summary="Recall 0.84 on March data",
                          approvers=[EXEC], requested_by=PM)
    assert done["status"] == "completed", done
    [gate] = await rows(clean_database, Gate)
    assert done["outputs"] == {"gate_id": gate.id,
                               "gate_link": f"https://slack.com/app_redirect?app={emulator.config.app_id}"
                                            f"&team={emulator.config.team_id}"}
    assert gate.summary.startswith("Recall 0.84 on March data") and gate.requested_by == PM
    assert [c.response["ok"] for c in emulator.calls_to("functions.completeSuccess")] == [True]
    await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage") if c.params.get("channel") == EXEC])


@pytest.mark.parametrize(("inputs", "reason"), [
    ({"project": "FRAUD", "summary": "ship it", "requested_by": MEMBER}, "Only FRAUD's PMs and Headway admins"),
    ({"project": "NOPE", "summary": "ship it", "requested_by": PM}, "There is no project with the key NOPE"),
    ({"project": "FRAUD", "summary": "", "requested_by": PM}, "summary: Say in a few lines"),
    ({"project": "FRAUD", "summary": "ship it", "stage": "Mars", "requested_by": PM}, "is not a stage after"),
    ({"project": "FRAUD", "summary": "ship it"}, "requested_by: Set “On behalf of”"),
])
async def test_request_gate_refusals_end_the_step_with_a_reason(slack, emulator, fraud, clean_database, inputs,
                                                                reason):
    done = await run_step(slack, emulator, "request_gate", **inputs)
    assert done["status"] == "failed" and reason in done["error"], done
    assert await rows(clean_database, Gate) == []


async def test_log_result_records_the_value_and_outputs_the_judgement(slack, emulator, fraud, clean_database):
    done = await run_step(slack, emulator, "log_result", project="FRAUD", value=0.71, confidence="High",
                          note="merchant features", requested_by=MEMBER)
    assert done["status"] == "completed", done
    assert done["outputs"]["label"] in {label.value for label in ProgressLabel}
    [stored] = await rows(clean_database, Measurement)
    assert (stored.value, stored.confidence, stored.note, stored.user_id) == (0.71, "high", "merchant features",
                                                                             MEMBER)
    bad = await run_step(slack, emulator, "log_result", project="FRAUD", value="lots", requested_by=MEMBER)
    assert bad["status"] == "failed" and "value: Give the metric as a number" in bad["error"]
    implausible = await run_step(slack, emulator, "log_result", project="FRAUD", value=7, requested_by=MEMBER)
    assert implausible["status"] == "failed" and "recall is between 0 and 1" in implausible["error"]
    assert len(await rows(clean_database, Measurement)) == 1


async def test_post_status_posts_to_the_channel_or_says_how_to_invite_headway(slack, emulator, fraud):
    done = await run_step(slack, emulator, "post_status", project="FRAUD", channel=CHANNEL)
    assert (done["status"], done["outputs"]) == ("completed", {})
    await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                              if c.params.get("channel") == CHANNEL and "FRAUD" in str(c.params)])
    emulator.add_channel(id="CSECRET01", name="secret", bot_member=False, is_private=True)
    refused = await run_step(slack, emulator, "post_status", project="FRAUD", channel="CSECRET01")
    assert refused["status"] == "failed" and "/invite" in refused["error"], refused
