"""User text at the forms' limits, full of `&`, reaches Slack within its limits as sent; and an answer that a
response_url refuses reaches the person by DM instead of vanishing."""

from __future__ import annotations

import asyncio

from bot.models import OutboxMessage
from tests.conftest import CHANNEL, EXEC, MEMBER, PM
from tests.handlers.gate_support import blocks_of, card, fraud_project, request_gate, settled
from tests.handlers.standup_support import where
from tests.handlers.test_projects import FRAUD, create, make_pm
from tests.support import all_text, eventually, rows, slack_limit_problems

AMPERSANDS = ("R&D " * 1000)[:3000]  # the problem statement's max_length, every fourth character an `&`


async def test_a_gate_card_with_an_1800_character_summary_of_ampersands_reaches_everyone(
        slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    summary = AMPERSANDS[:1800]
    gate = await request_gate(slack, emulator, clean_database, summary=summary)
    for where_to in ("channel", EXEC, PM):
        posted = await card(emulator, gate.id, where_to)
        message = {"text": posted.params.get("text", ""), "blocks": blocks_of(posted)}
        assert slack_limit_problems(message) == [], where_to
        assert "R&amp;D R&amp;D" in all_text(message["blocks"])  # shown (escaped), cut with an ellipsis
    for _ in range(500):
        if await settled(clean_database):
            break
        await asyncio.sleep(0.02)
    statuses = {r.key: r.status for r in await rows(clean_database, OutboxMessage) if r.key.startswith("gate:")}
    assert statuses and set(statuses.values()) == {"sent"}, statuses


async def test_project_show_with_a_maximal_problem_statement_full_of_ampersands_answers(slack, emulator):
    await make_pm(slack)
    await create(slack, emulator, dict(FRAUD, problem_statement=AMPERSANDS, success_criteria=AMPERSANDS))
    shown = await slack.slash_command(EXEC, "/headway", "project show FRAUD", channel_id=CHANNEL)
    answer = await shown.wait_for_response(timeout=10)
    assert slack_limit_problems(answer) == []
    text = all_text(answer["blocks"])
    assert "*Why it matters*\nR&amp;D R&amp;D" in text and "…" in text


async def test_an_answer_the_response_url_refuses_comes_by_dm(slack, emulator):
    await make_pm(slack)
    await create(slack, emulator)
    await eventually(lambda: [r for r in emulator.responses if r["user_id"] == PM])  # the form's confirmation first
    emulator.fail_next("response_url", status=404, error="expired_url")
    shown = await slack.slash_command(MEMBER, "/headway", "project show FRAUD", channel_id=CHANNEL)
    assert shown.status == 200
    dm = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                   if c.params.get("channel") == MEMBER and c.response.get("ok")], timeout=10)
    assert "Fraud detection" in all_text(blocks_of(dm[-1]))
    assert shown.responses == []


async def test_a_response_url_that_fails_with_5xx_is_retried(slack, emulator):
    await make_pm(slack)
    await create(slack, emulator)
    await eventually(lambda: [r for r in emulator.responses if r["user_id"] == PM])  # the form's confirmation first
    emulator.fail_next("response_url", status=500)
    shown = await slack.slash_command(MEMBER, "/headway", "project show FRAUD", channel_id=CHANNEL)
    answer = await shown.wait_for_response(timeout=10)
    assert "Fraud detection" in all_text(answer["blocks"])
    assert not [c for c in emulator.calls_to("chat.postMessage") if c.params.get("channel") == MEMBER]


async def test_a_refused_button_answer_comes_by_dm_too(slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database)
    dm = await card(emulator, gate.id, EXEC)
    emulator.fail_next("response_url", status=404, error="used_url")
    clicked = await slack.block_action(EXEC, "gate_go", message=where(dm))
    assert clicked.status == 200
    answer = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage") if c.params.get("channel")
                                       == EXEC and "Your vote on gate" in (c.params.get("text") or "")], timeout=10)
    assert answer[-1].response["ok"]
    assert clicked.responses == []


async def test_a_refused_answer_whose_dm_draws_a_429_comes_by_dm_after_the_retry_after(slack, emulator,
                                                                                      clean_database):
    """Slack's 429 on the DM fallback is a "not now": the same answer goes once its Retry-After has passed."""
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database)
    dm = await card(emulator, gate.id, EXEC)
    emulator.fail_next("response_url", status=404, error="used_url")
    emulator.fail_next("chat.postMessage", status=429, retry_after=1)
    clicked = await slack.block_action(EXEC, "gate_go", message=where(dm))
    assert clicked.status == 200
    answer = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage") if c.params.get("channel")
                                       == EXEC and "Your vote on gate" in (c.params.get("text") or "")
                                       and c.response.get("ok")], timeout=10)
    refused = [c for c in emulator.calls_to("chat.postMessage") if c.status == 429]
    assert len(answer) == 1 and len(refused) == 1 and answer[0].at - refused[0].at >= 0.9
    assert not [c for c in emulator.calls_to("chat.postMessage") if "refused to show it" in str(c.params)]
