"""`/headway project history KEY` is complete: production decisions and held and retried sends are in it, in
order, next to the goalposts and gates (the rest of the record is covered by the reports' tests)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from tests.bot.production.support import launched, post_live
from tests.bot.production.test_health import announcements, decide
from tests.conftest import CHANNEL, MEMBER, PM
from tests.handlers.gate_support import fraud_project
from tests.handlers.report_support import csv_rows, report, report_files, uploads
from tests.handlers.standup_support import where
from tests.handlers.test_evidence import confirm_buttons, low_confidence_answer
from tests.handlers.test_goalposts import edit, history_text
from tests.support import eventually


async def test_history_shows_a_production_decision(slack, emulator, clean_database, headway, clock):
    token = await launched(slack, emulator, clean_database, headway)
    await post_live(headway, token, 0.6)
    dm = (await eventually(lambda: announcements(emulator, PM), timeout=10))[0]
    clock.advance(days=2)
    await decide(slack, emulator, PM, "production_retrain", dm, "Merchant mix changed in November")
    text = await history_text(slack, MEMBER)
    assert "Production decision: Retrain (while Degrading)" in text and "Merchant mix changed in November" in text
    assert text.index("Gate #1") < text.index("Production decision: Retrain")


async def test_history_shows_held_and_retried_sends_of_the_project(slack, emulator, clean_database, headway):
    await fraud_project(slack, emulator)
    # someone archived the project channel, and Slack's channel_archive event never reached Headway (Slack gives up
    # on an event after three failed deliveries): the next send finds out
    emulator.state.channels[CHANNEL].is_archived = True
    _, result = await edit(slack, emulator, PM, {"target": "0.8", "change_reason": "Finance: 8 in 10 pays"})
    assert not result.body
    notice = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                       if c.params.get("channel") == PM and c.ok and "outbox_retry" in
                                       json.dumps(c.params.get("blocks"))], timeout=10)
    assert "Messages to channel CGENERAL1 held: is_archived" in await history_text(slack)
    emulator.archive_channel(CHANNEL, archived=False)
    clicked = await slack.block_action(PM, "outbox_retry", value=CHANNEL, message=where(notice[0]))
    answered = await eventually(lambda: emulator.responses_for(clicked.response_id), timeout=10)
    assert "going out" in json.dumps(answered), answered
    text = await history_text(slack)
    retried = re.search(r"\d+ held messages? to channel CGENERAL1 sent again", text)
    assert retried and text.index("held: is_archived") < retried.start()


async def test_history_shows_a_confirmed_result_and_the_report_counts_it_only_from_then(
        slack, emulator, headway, clock, clean_database):
    await low_confidence_answer(slack, emulator, clock)
    reply = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                      if c.params.get("thread_ts") and "Unconfirmed" in json.dumps(c.params)])
    blocks = reply[0].params["blocks"]
    [button] = confirm_buttons(json.loads(blocks) if isinstance(blocks, str) else blocks)
    clock.advance(days=1)
    clicked = await slack.block_action(MEMBER, button["action_id"], message=where(reply[0]))
    await eventually(lambda: clicked.responses)
    text = await history_text(slack)
    assert "Result 0.74 (reported with low confidence) confirmed" in text and f"<@{MEMBER}>" in text
    before = len(uploads(emulator, PM))
    await report(slack, PM, "FRAUD as of " + (clock.now() - timedelta(days=1)).date().isoformat())
    results = csv_rows(next(t for n, t in (await report_files(emulator, PM, before)).items()
                            if n.endswith("-results.csv")))
    assert [(r["value"], r["counted"]) for r in results] == [("0.71", "yes"), ("0.74", "no")]  # not yet, then
    before = len(uploads(emulator, PM))
    await report(slack, PM, "FRAUD this week")
    results = csv_rows(next(t for n, t in (await report_files(emulator, PM, before)).items()
                            if n.endswith("-results.csv")))
    assert ("0.74", "yes") in [(r["value"], r["counted"]) for r in results]
