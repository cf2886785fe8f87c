"""Evidence with confidence, end to end: a low-confidence standup result is shown but not counted until its
author or a PM clicks Confirm (or a later result backs it up); gate snapshots leave it out."""

from __future__ import annotations

import json

from bot.gates.snapshot import loads
from bot.models import Measurement
from tests.conftest import CHANNEL, EXEC, MEMBER, OTHER, PM
from tests.handlers.gate_support import fraud_project, request_gate
from tests.handlers.standup_support import answer, create_standup, dms_to, wait_prompt, where
from tests.handlers.test_experiments import run
from tests.support import all_text, eventually, rows


def confirm_buttons(blocks) -> list[dict]:
    found = []
    for block in blocks:
        for element in [block.get("accessory"), *block.get("elements", [])]:
            if isinstance(element, dict) and str(element.get("action_id", "")).startswith("measurement_confirm"):
                found.append(element)
    return found


async def show(slack, user: str = PM) -> dict:
    result = await slack.slash_command(user, "/headway", "show FRAUD", channel_id=CHANNEL)
    return await result.wait_for_response()


async def low_confidence_answer(slack, emulator, clock) -> None:
    """FRAUD: 0.71 logged by hand last week, then Max answers 0.74 with confidence *low* in a standup."""
    await fraud_project(slack, emulator)
    clock.advance(days=-7)
    assert "0.71" in await run(slack, MEMBER, "log FRAUD recall=0.71 six months of data")
    clock.advance(days=7)
    await create_standup(slack, emulator, [MEMBER], PM)
    assert "Prompted 1 person" in all_text((await (await slack.slash_command(
        PM, "/standup", "run fraud-team now", channel_id=CHANNEL)).wait_for_response())["blocks"])
    dm = await wait_prompt(emulator, MEMBER)
    result = await answer(slack, emulator, MEMBER, dm, {
        "q0": "Six months of training data; March looks too good", "project": "1",
        "experiment": "GBM, six months of data", "metric_value": "0.74", "confidence": "low"})
    assert result.status == 200 and not result.body, result.body


async def test_a_low_confidence_result_is_shown_but_not_counted_until_confirmed(slack, emulator, headway, clock,
                                                                              clean_database):
    await low_confidence_answer(slack, emulator, clock)
    stored = {m.value: m for m in await rows(clean_database, Measurement)}
    assert stored[0.74].confidence == "low" and stored[0.74].confirmed_at is None

    # The thread reply says so, with a Confirm button.
    reply = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                      if c.params.get("thread_ts") and "Unconfirmed" in json.dumps(c.params)])
    blocks = reply[0].params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    [button] = confirm_buttons(blocks)
    assert button["value"] == str(stored[0.74].id)

    # The card shows it, but the judgement is made of 0.71 alone.
    card = await show(slack)
    text = all_text(card["blocks"])
    assert "Unconfirmed (low confidence)" in text and "*0.74*" in text
    assert "latest 0.71" in text and "latest 0.74" not in text
    assert len(confirm_buttons(card["blocks"])) == 1

    # The team digest lists it with a Confirm button too.
    team = await slack.slash_command(MEMBER, "/headway", "digest preview team", channel_id=CHANNEL)
    team_blocks = (await team.wait_for_response())["blocks"]
    assert "*Unconfirmed:* recall 0.74" in all_text(team_blocks) and confirm_buttons(team_blocks)

    # A gate requested now freezes the counted figures only.
    gate = await request_gate(slack, emulator, clean_database)
    snapshot = loads(gate.snapshot)
    assert snapshot["value"] == 0.71 and snapshot["unconfirmed"] == 1 and snapshot["results"] == 1

    # Someone who is neither its author nor a PM cannot confirm it; its author can.
    refused = await slack.block_action(OTHER, button["action_id"], message=where(reply[0]))
    assert refused.status == 200
    await eventually(lambda: refused.responses)
    assert "Only whoever reported this result" in all_text(refused.responses[-1].get("blocks", []))
    assert (await rows(clean_database, Measurement, Measurement.id == stored[0.74].id))[0].confirmed_at is None
    clicked = await slack.block_action(MEMBER, button["action_id"], message=where(reply[0]))
    await eventually(lambda: clicked.responses)
    assert "now counts towards its progress" in all_text(clicked.responses[-1]["blocks"])
    [confirmed] = await rows(clean_database, Measurement, Measurement.id == stored[0.74].id)
    assert confirmed.confirmed_by == MEMBER and confirmed.confirmed_at is not None
    text = all_text((await show(slack, EXEC))["blocks"])
    assert "latest 0.74" in text and "Unconfirmed" not in text


async def test_a_later_result_at_or_beyond_it_confirms_it(slack, emulator, headway, clock, clean_database):
    await low_confidence_answer(slack, emulator, clock)
    clock.advance(hours=2)
    await run(slack, PM, "log FRAUD recall=0.73 rerun on a clean split")  # below the claim: not a confirmation
    text = all_text((await show(slack))["blocks"])
    assert "latest 0.73" in text and "Unconfirmed" in text
    clock.advance(hours=2)
    await run(slack, PM, "log FRAUD recall=0.76 clean split, more data")  # beyond it: 0.74 now counts
    text = all_text((await show(slack))["blocks"])
    assert "to 0.76 this week" in text and "Unconfirmed" not in text


async def test_the_confirm_button_is_checked(slack, emulator, headway, clock, clean_database):
    """A button without a message to answer in (the App Home) gets its answer by DM."""
    await fraud_project(slack, emulator)
    await slack.block_action(PM, "measurement_confirm-999", value="999")
    await eventually(lambda: dms_to(emulator, PM, "That result no longer exists."))
    await slack.block_action(PM, "measurement_confirm-x", value="x")
    await eventually(lambda: dms_to(emulator, PM, "That button is out of date."))
