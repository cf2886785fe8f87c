"""Conditions that come due, through Slack: a Go with conditions names each condition's owner and date; owners are
reminded before it, once (also across a restart); an overdue one is told once and shows on the card and in the
exec digest until its owner or a PM marks it met."""

from __future__ import annotations

from datetime import date

from bot.jobs import follow_through
from bot.models import Gate, GateCondition
from bot.server import HeadwayServer
from tests.conftest import CHANNEL, EXEC, MEMBER, OTHER, PM
from tests.handlers.gate_support import card, fraud_project, go, open_vote, request_gate, text_of
from tests.handlers.standup_support import outbox_key, where
from tests.handlers.test_experiments import run
from tests.support import all_text, eventually, rows

CONDITIONS = {"conditions": "Fairness review of the merchant features", "condition_1_owner": MEMBER,
              "condition_1_due": "2026-11-26", "condition_2": "Rollback drill in staging", "condition_2_owner": PM,
              "condition_2_due": "2026-12-11", "rationale": "Good enough with guard rails"}


def keyed(emulator, fragment: str) -> list:
    return [c for c in emulator.calls_to("chat.postMessage") if c.response.get("ok") and fragment in outbox_key(c)]


async def go_with_conditions(slack, emulator, database_url: str, values=CONDITIONS):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, database_url, approvers=[EXEC], rule="any")
    view_id = await open_vote(slack, emulator, EXEC, "go_conditions", await card(emulator, gate.id, EXEC))
    return gate, await slack.view_submission(EXEC, view_id, values)


async def card_text(slack) -> str:
    result = await slack.slash_command(PM, "/headway", "project show FRAUD", channel_id=CHANNEL)
    return all_text((await result.wait_for_response(timeout=10))["blocks"])


async def test_each_condition_has_an_owner_and_a_date_and_comes_due(slack, emulator, clean_database, headway, clock,
                                                                   settings):
    gate, result = await go_with_conditions(slack, emulator, clean_database)
    assert result.status == 200 and result.body["response_action"] == "update", result.body
    stated = sorted((c.text, c.owner_id, c.due_date) for c in await rows(clean_database, GateCondition))
    assert stated == [("Fairness review of the merchant features", MEMBER, date(2026, 11, 26)),
                      ("Rollback drill in staging", PM, date(2026, 12, 11))]

    assert (await follow_through(headway.hw))["reminded"] == 0  # Monday: Thursday is more than 2 days away
    clock.advance(days=1)
    assert (await follow_through(headway.hw))["reminded"] == 1
    assert (await follow_through(headway.hw))["reminded"] == 0  # once
    reminder = (await eventually(lambda: keyed(emulator, ":reminder"), timeout=10))[0]
    assert reminder.params["channel"] == MEMBER and "due *Thu 26 Nov 2026*" in text_of(reminder)

    clock.advance(days=3)  # Friday: overdue, told to its owner and the PMs once
    assert (await follow_through(headway.hw))["reminded"] == 2
    second = HeadwayServer(settings, clock=clock)  # a restart sends nothing again
    await second.start()
    try:
        assert (await follow_through(second.hw))["reminded"] == 0
    finally:
        await second.stop()
    overdue = await eventually(lambda: keyed(emulator, ":overdue:") if len(keyed(emulator, ":overdue:")) == 2
                               else None, timeout=10)
    assert {c.params["channel"] for c in overdue} == {MEMBER, PM}
    assert "*overdue*" in text_of(overdue[0])
    assert "Fairness review of the merchant features — due Thu 26 Nov 2026" in await card_text(slack)
    digest = await run(slack, EXEC, "digest preview")
    assert ("A condition of FRAUD's Go is 1 day overdue (owner <@UMEMBER1>): Fairness review of the merchant "
            "features") in digest

    refused = await slack.block_action(OTHER, "condition_met", message=where(reminder))
    assert "Only the condition's owner" in all_text((await refused.wait_for_response(timeout=10))["blocks"])
    met = await slack.block_action(MEMBER, "condition_met", message=where(reminder))
    assert "Marked met" in all_text((await met.wait_for_response(timeout=10))["blocks"])
    assert "Conditions overdue" not in await card_text(slack)
    assert "overdue" not in await run(slack, EXEC, "digest preview")


async def test_a_condition_needs_a_date_from_today_on(slack, emulator, clean_database, headway):
    gate, result = await go_with_conditions(slack, emulator, clean_database,
                                            dict(CONDITIONS, condition_1_due="2026-11-20"))
    assert result.body["response_action"] == "errors" and "condition_1_due" in result.body["errors"]
    assert await rows(clean_database, GateCondition) == []


async def test_only_the_deciding_votes_conditions_are_kept(slack, emulator, clean_database, headway):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database, approvers=[EXEC, PM], rule="all")
    exec_card = await card(emulator, gate.id, EXEC)
    view_id = await open_vote(slack, emulator, EXEC, "go_conditions", exec_card)
    await slack.view_submission(EXEC, view_id, CONDITIONS)
    assert len(await rows(clean_database, GateCondition)) == 2  # stated, not yet decided
    await go(slack, EXEC, exec_card)  # EXEC changes their vote to a plain Go
    await go(slack, PM, await card(emulator, gate.id, PM))
    [closed] = await rows(clean_database, Gate)
    assert closed.outcome == "go"
    assert await rows(clean_database, GateCondition) == []  # the gate did not end with conditions
