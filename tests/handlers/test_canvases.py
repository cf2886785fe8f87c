"""Each project's dossier as a canvas, end to end: created and shared to the project channel through the outbox,
edited after a gate decision (and only when something changed), held with a DM when someone deletes it, and
left out where the workspace did not grant canvases:write."""

from __future__ import annotations

import json

from bot.jobs import canvas_tick
from tests.conftest import CHANNEL, EXEC, MEMBER, PM
from tests.handlers.gate_support import card, fraud_project, go, request_gate
from tests.handlers.standup_support import where
from tests.handlers.test_goalposts import edit
from tests.support import all_text, eventually


def ok_calls(emulator, method: str) -> list:
    return [c for c in emulator.calls_to(method) if c.response.get("ok")]


async def test_the_canvas_is_created_shared_and_edited_after_a_gate_decision(slack, emulator, headway, clean_database):
    await fraud_project(slack, emulator)
    await canvas_tick(headway.hw)
    [created] = await eventually(lambda: ok_calls(emulator, "conversations.canvases.create"), timeout=10)
    canvas_id = created.response["canvas_id"]
    assert created.params["channel_id"] == CHANNEL and emulator.state.channel_canvases[CHANNEL] == canvas_id
    canvas = emulator.state.canvases[canvas_id]
    assert canvas["access"] == {CHANNEL: "write"}  # the channel's own canvas: everyone in it sees it
    assert "# FRAUD · Fraud detection" in canvas["markdown"] and "Card fraud costs us money & trust." in \
        canvas["markdown"] and "Feasibility (active)" in canvas["markdown"]
    shown = await slack.slash_command(MEMBER, "/headway", "project show FRAUD", channel_id=CHANNEL)
    assert f"docs/T0HEADWAY/{canvas_id}|Dossier (canvas)" in json.dumps((await shown.wait_for_response())["blocks"])

    await canvas_tick(headway.hw)  # nothing changed: nothing sent
    assert ok_calls(emulator, "canvases.edit") == []

    gate = await request_gate(slack, emulator, clean_database, [EXEC, PM], rule="all")
    for user in (EXEC, PM):
        await go(slack, user, await card(emulator, gate.id, user))
    await canvas_tick(headway.hw)
    await eventually(lambda: ok_calls(emulator, "canvases.edit"), timeout=10)
    markdown = emulator.state.canvases[canvas_id]["markdown"]
    assert "Gate #1 (Feasibility → Design & Requirements): Go" in markdown and "Design & Requirements (active)" in \
        markdown
    assert "Gate #1: feasibility → design" not in markdown  # no longer an open decision


async def test_a_channel_that_has_a_canvas_gets_one_shared_to_it(slack, emulator, headway, clean_database):
    emulator.state.channel_canvases[CHANNEL] = "F0THEIRS"  # the team's own channel canvas
    await fraud_project(slack, emulator)
    await canvas_tick(headway.hw)
    [shared] = await eventually(lambda: ok_calls(emulator, "canvases.access.set"), timeout=10)
    [created] = ok_calls(emulator, "canvases.create")
    assert shared.params["canvas_id"] == created.response["canvas_id"]
    assert emulator.state.canvases[created.response["canvas_id"]]["access"] == {CHANNEL: "read"}


async def test_a_deleted_canvas_is_held_with_a_dm_and_retry_makes_a_new_one(slack, emulator, headway,
                                                                             clean_database):
    await fraud_project(slack, emulator)
    await canvas_tick(headway.hw)
    [created] = await eventually(lambda: ok_calls(emulator, "conversations.canvases.create"), timeout=10)
    emulator.state.canvases.pop(created.response["canvas_id"])  # someone deleted it in Slack
    emulator.state.channel_canvases.pop(CHANNEL)
    _, result = await edit(slack, emulator, PM, {"target": "0.8", "change_reason": "Finance: 8 in 10 pays"})
    assert not result.body
    await canvas_tick(headway.hw)
    notice = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage") if c.ok
                                       and c.params.get("channel") == PM and "canvas" in json.dumps(c.params)
                                       and "outbox_retry" in json.dumps(c.params)], timeout=10)
    assert "was deleted" in all_text(json.loads(notice[0].params["blocks"]) if isinstance(
        notice[0].params["blocks"], str) else notice[0].params["blocks"])
    clicked = await slack.block_action(PM, "outbox_retry", value=CHANNEL, message=where(notice[0]))
    await eventually(lambda: emulator.responses_for(clicked.response_id), timeout=10)
    await eventually(lambda: len(ok_calls(emulator, "conversations.canvases.create")) == 2, timeout=10)
    markdown = emulator.state.canvases[emulator.state.channel_canvases[CHANNEL]]["markdown"]
    assert "- target: 0.8" in markdown and "Target moved — “Finance: 8 in 10 pays”" in markdown


async def test_without_canvas_scopes_projects_work_without_their_canvas(slack, emulator, headway, clean_database):
    token = emulator.state.bot_token()
    token.scopes = tuple(s for s in token.scopes if s != "canvases:write")
    await fraud_project(slack, emulator)
    await canvas_tick(headway.hw)
    await eventually(lambda: [c for c in emulator.calls_to("conversations.canvases.create")
                              if c.response.get("error") == "missing_scope"], timeout=10)
    assert emulator.state.canvases == {}
    assert not [c for c in emulator.calls_to("chat.postMessage") if "outbox_retry" in json.dumps(c.params)]
