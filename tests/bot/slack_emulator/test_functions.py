"""The emulator's custom-step contract (docs.slack.dev reference pages for function_executed,
functions.completeSuccess and functions.completeError), through slack_sdk as an app would call it."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.manifest import build_manifest

STEP = build_manifest("https://example.org")["functions"]["log_result"]


async def test_an_execution_is_completed_once_with_outputs_that_conform(emu, client):
    event = emu.start_function("log_result", {"project": "FRAUD", "value": 0.8}, STEP)
    assert event["type"] == "function_executed" and event["function"]["callback_id"] == "log_result"
    assert {p["name"]: p["is_required"] for p in event["function"]["input_parameters"]}["value"] is True
    execution = AsyncWebClient(token=event["bot_access_token"], base_url=client.base_url)
    with pytest.raises(SlackApiError) as refused:
        await execution.functions_completeSuccess(function_execution_id=event["function_execution_id"],
                                                  outputs={"label": 3, "extra": "x"})
    assert refused.value.response["error"] == "parameter_validation_failed"
    assert refused.value.response["response_metadata"]["messages"] == [
        "[ERROR] output label must be a string", "[ERROR] unknown output: extra"]
    with pytest.raises(SlackApiError) as missing:
        await execution.functions_completeSuccess(function_execution_id=event["function_execution_id"], outputs={})
    assert missing.value.response["response_metadata"]["messages"] == ["[ERROR] missing required output: label"]
    ok = await execution.functions_completeSuccess(function_execution_id=event["function_execution_id"],
                                                   outputs={"label": "On track"})
    assert ok["ok"] is True
    assert emu.function_execution(event["function_execution_id"])["outputs"] == {"label": "On track"}
    for again in (execution.functions_completeSuccess(function_execution_id=event["function_execution_id"],
                                                      outputs={"label": "On track"}),
                  execution.functions_completeError(function_execution_id=event["function_execution_id"],
                                                    error="late")):
        with pytest.raises(SlackApiError) as twice:
            await again
        assert twice.value.response["error"] == "execution_not_in_running_state"


async def test_unknown_executions_and_other_executions_tokens_are_refused(emu, client):
    first = emu.start_function("log_result", {}, STEP)
    second = emu.start_function("log_result", {}, STEP)
    with pytest.raises(SlackApiError) as unknown:
        await client.functions_completeError(function_execution_id="Fx0NOPE", error="x")
    assert unknown.value.response["error"] == "function_execution_not_found"
    other = AsyncWebClient(token=second["bot_access_token"], base_url=client.base_url)
    with pytest.raises(SlackApiError) as denied:
        await other.functions_completeError(function_execution_id=first["function_execution_id"], error="x")
    assert denied.value.response["error"] == "access_denied"
    failed = await client.functions_completeError(function_execution_id=first["function_execution_id"],
                                                  error="There is no project with the key NOPE.")
    assert failed["ok"] is True
    assert emu.function_execution(first["function_execution_id"])["error"] == "There is no project with the key NOPE."
