"""The scheduled gate work with a ManualClock: deadlines (also while Headway is down), reminders, holds,
and kill/continue prompts — each sent once, whatever how often the job runs."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from bot.db import Database
from bot.jobs import gate_prompts, gate_tick
from bot.models import Experiment, Gate, OutboxMessage, Project, StageTransition
from bot.server import HeadwayServer
from bot.slack_emulator import SlackDriver
from tests.conftest import CHANNEL, EXEC, MEMBER, PM, SIGNING_SECRET, TEAM_ID
from tests.handlers.gate_support import (
    answer_text,
    blocks_of,
    card,
    fraud_project,
    go,
    latest_card_text,
    ordered,
    posted,
    request_gate,
    text_of,
    vote,
)
from tests.handlers.standup_support import where
from tests.handlers.test_experiments import log
from tests.handlers.test_projects import open_form
from tests.support import all_text, eventually, filled_view, rows


async def keys(database_url: str, prefix: str) -> list[str]:
    return sorted(r.key for r in await rows(database_url, OutboxMessage) if r.key.startswith(prefix))


async def change_project(database_url: str, **values) -> None:
    db = Database(database_url)
    try:
        async with db.unit_of_work() as session:
            row = (await session.exec(select(Project))).one()
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)
    finally:
        await db.dispose()


async def test_a_deadline_that_passed_while_headway_was_down_closes_the_gate_once(settings, clock, emulator,
                                                                                clean_database):
    first = HeadwayServer(settings, clock=clock)
    await first.start()
    driver = SlackDriver(first.url + "/slack/events", SIGNING_SECRET, emulator, team_id=TEAM_ID)
    try:
        await fraud_project(driver, emulator)
        gate = await request_gate(driver, emulator, clean_database, [EXEC, PM, MEMBER], rule="all")
        await go(driver, EXEC, await card(emulator, gate.id, EXEC))
        await go(driver, PM, await card(emulator, gate.id, PM))
    finally:
        await driver.aclose()
        await first.stop()
    clock.advance(days=10)  # the deadline (end of Mon 30 Nov in New York) passes with nobody running
    second = HeadwayServer(settings, clock=clock)
    await second.start()
    try:
        results = [await gate_tick(second.hw) for _ in range(3)]
        assert [r.closed for r in results] == [1, 0, 0]
        [gate] = await rows(clean_database, Gate)
        assert (gate.status, gate.outcome, gate.outcome_basis, gate.closed_by) == ("closed", "go", "deadline", None)
        assert [t.to_stage for t in await ordered(clean_database, StageTransition)] == ["feasibility", "design"]
        text = await latest_card_text(emulator, clean_database, gate.id, "channel", "Outcome: Go*")
        assert "At the deadline 2 of 3 approvers had voted" in text
        await eventually(lambda: posted(emulator, f"gate:{gate.id}:closed:{PM}"))
    finally:
        await second.stop()


async def test_reminders_each_working_day_a_last_call_and_a_question_at_the_deadline(slack, emulator, headway,
                                                                                    clock, clean_database):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database, [EXEC, MEMBER], rule="all")  # Monday 09:00 UTC
    await gate_tick(headway.hw)
    assert await keys(clean_database, f"gate:{gate.id}:nudge") == []  # the card only just arrived
    clock.set(datetime(2026, 11, 24, 10, tzinfo=UTC))  # Tuesday: 11:00 in Berlin, 15:30 in Kolkata
    for _ in range(2):
        await gate_tick(headway.hw)
    assert await keys(clean_database, f"gate:{gate.id}:nudge") == [
        f"gate:{gate.id}:nudge:2026-11-24:{EXEC}", f"gate:{gate.id}:nudge:2026-11-24:{MEMBER}"]
    nudge = (await eventually(lambda: posted(emulator, f"gate:{gate.id}:nudge:2026-11-24:{EXEC}")))[0]
    assert "your decision by *Mon 30 Nov 2026*" in text_of(nudge)
    await go(slack, EXEC, nudge)  # the reminder has the vote buttons too
    clock.set(datetime(2026, 11, 25, 10, tzinfo=UTC))
    await gate_tick(headway.hw)
    assert (await keys(clean_database, f"gate:{gate.id}:nudge:2026-11-25")) == [
        f"gate:{gate.id}:nudge:2026-11-25:{MEMBER}"]
    clock.set(datetime(2026, 11, 28, 12, tzinfo=UTC))  # Saturday: nobody is nudged
    await gate_tick(headway.hw)
    assert not await keys(clean_database, f"gate:{gate.id}:nudge:2026-11-28")
    clock.set(datetime(2026, 11, 30, 6, tzinfo=UTC))  # within 24 h of the deadline (Tue 05:00 UTC)
    await gate_tick(headway.hw)
    await gate_tick(headway.hw)
    assert await keys(clean_database, f"gate:{gate.id}:lastcall") == [f"gate:{gate.id}:lastcall:2026-11-30:{MEMBER}"]
    assert not await keys(clean_database, f"gate:{gate.id}:nudge:2026-11-30")

    clock.set(datetime(2026, 12, 1, 6, tzinfo=UTC))  # past the deadline with 1 of 2 votes: no quorum
    for _ in range(2):
        assert (await gate_tick(headway.hw)).closed == 0
    assert await keys(clean_database, f"gate:{gate.id}:quorum") == [f"gate:{gate.id}:quorum:2026-11-30:{PM}"]
    question = (await eventually(lambda: posted(emulator, f"gate:{gate.id}:quorum:2026-11-30:{PM}")))[0]
    assert "without a decision: 1 of 2 approvers voted" in text_of(question)
    await latest_card_text(emulator, clean_database, gate.id, "channel",
                           "deadline passed on *Mon 30 Nov 2026* without a decision")  # not "decide by" a past day
    shown = len(emulator.calls)
    assert (await slack.block_action(MEMBER, "gate_extend", message=where(question))).status == 200
    modal = await filled_view(emulator, shown)
    assert "Only FRAUD's PMs" in all_text(modal
                                          ["blocks"])
    shown = len(emulator.calls)
    await slack.block_action(PM, "gate_extend", message=where(question))
    view_id = (await filled_view(emulator, shown))["id"]
    bad = await slack.view_submission(PM, view_id, {"deadline": "2026-11-01"})
    assert "today or a later date" in bad.body["errors"]["deadline"]
    assert (await slack.view_submission(PM, view_id, {"deadline": "2026-12-03"})).body is None
    [stored] = await rows(clean_database, Gate)
    assert (stored.status, stored.deadline) == ("open", date(2026, 12, 3))
    await latest_card_text(emulator, clean_database, gate.id, "channel", "decide by *Thu 3 Dec 2026*")

    clock.set(datetime(2026, 12, 4, 6, tzinfo=UTC))
    await gate_tick(headway.hw)
    question = (await eventually(lambda: posted(emulator, f"gate:{gate.id}:quorum:2026-12-03:{PM}")))[0]
    closed = await slack.block_action(PM, "gate_close_as_is", message=where(question))
    assert "is closed: Go" in answer_text(await closed.wait_for_response(timeout=10))
    [stored] = await rows(clean_database, Gate)
    assert (stored.outcome, stored.outcome_basis, stored.closed_by) == ("go", "as_is", PM)
    assert [t.to_stage for t in await ordered(clean_database, StageTransition)] == ["feasibility", "design"]


async def test_a_hold_ends_on_its_date_once(slack, emulator, headway, clock, clean_database):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database, [EXEC], rule="any")
    await vote(slack, emulator, EXEC, "hold", await card(emulator, gate.id, EXEC))
    assert (await rows(clean_database, Project))[0].state == "paused"
    clock.set(datetime(2026, 12, 13, 10, tzinfo=UTC))
    assert (await gate_tick(headway.hw)).resumed == 0
    clock.set(datetime(2026, 12, 14, 10, tzinfo=UTC))
    assert [(await gate_tick(headway.hw)).resumed for _ in range(2)] == [1, 0]
    [project] = await rows(clean_database, Project)
    assert project.state == "active"
    last = (await ordered(clean_database, StageTransition))[-1]
    assert (last.from_state, last.to_state, last.reason) == ("paused", "active", "Hold from gate #1 ended on "
                                                                                 "Mon 14 Dec 2026")
    told = await eventually(lambda: posted(emulator, f"gate:{gate.id}:resumed:{PM}"))
    assert "active again in *Feasibility*" in text_of(told[0])
    assert (await eventually(lambda: posted(emulator, f"gate:{gate.id}:resumed:channel")))[0].params["channel"] == \
        CHANNEL


async def test_stuck_projects_prompt_their_pms_once_per_reason_per_week(slack, emulator, headway, clock,
                                                                        clean_database):
    await fraud_project(slack, emulator, start_date="2026-09-01")
    clock.set(datetime(2026, 10, 5, 15, tzinfo=UTC))
    await log(slack, MEMBER, "FRAUD recall=0.70")
    clock.set(datetime(2026, 11, 23, 15, tzinfo=UTC))  # 10:00 in New York, seven weeks without progress
    assert [(await gate_prompts(headway.hw)).prompted for _ in range(2)] == [1, 0]
    assert await keys(clean_database, "gate-prompt:") == [f"gate-prompt:1:stalled:2026-W48:{PM}"]
    prompt = (await eventually(lambda: posted(emulator, f"gate-prompt:1:stalled:2026-W48:{PM}")))[0]
    assert "Stalled: No meaningful improvement for 7 weeks" in text_of(prompt)

    await change_project(clean_database, expected_date=date(2026, 11, 20), kill_date=date(2026, 11, 23))
    assert (await gate_prompts(headway.hw)).prompted == 2  # two new reasons this week
    assert await keys(clean_database, "gate-prompt:1:kill_date") == [f"gate-prompt:1:kill_date:2026-W48:{PM}"]
    clock.set(datetime(2026, 11, 30, 15, tzinfo=UTC))
    assert (await gate_prompts(headway.hw)).prompted == 2  # a new week; past the kill date it is Off track

    denied = await slack.block_action(MEMBER, "gate_request_open", message=where(prompt))
    assert "Only FRAUD's PMs" in answer_text(await denied.wait_for_response(timeout=10))
    shown = len(emulator.calls)
    await slack.block_action(PM, "gate_request_open", message=where(prompt))  # one click to the request form
    modal = await filled_view(emulator, shown)
    assert modal["callback_id"] == \
        "gate_request"
    await request_gate(slack, emulator, clean_database, [EXEC])
    clock.set(datetime(2026, 12, 7, 15, tzinfo=UTC))
    assert (await gate_prompts(headway.hw)).prompted == 0  # a gate is open: the review is under way


async def test_an_ended_timebox_asks_the_owner_to_extend_pivot_or_conclude(slack, emulator, headway, clock,
                                                                           clean_database):
    await fraud_project(slack, emulator)
    for hypothesis in ("Merchant features lift recall", "Graph features <!here> lift recall"):
        view_id = await open_form(slack, emulator, MEMBER, "experiment new FRAUD")
        await slack.view_submission(MEMBER, view_id, {"hypothesis": hypothesis, "end_date": "2026-11-25"})
    clock.set(datetime(2026, 11, 25, 12, tzinfo=UTC))
    assert (await gate_prompts(headway.hw)).prompted == 0  # the last day of the timebox is still in it
    clock.set(datetime(2026, 11, 26, 12, tzinfo=UTC))  # 17:30 in Kolkata
    assert [(await gate_prompts(headway.hw)).prompted for _ in range(2)] == [2, 0]
    first, second = [(await eventually(lambda k=k: posted(emulator, k)))[0] for k in (
        f"gate-experiment:1:ended:2026-11-25:{MEMBER}", f"gate-experiment:2:ended:2026-11-25:{MEMBER}")]
    assert "&lt;!here&gt;" in text_of(second) and "<!here>" not in text_of(second)
    denied = await slack.block_action(EXEC, "gate_experiment_extend", message=where(first))
    assert "Only the experiment's owner" in answer_text(await denied.wait_for_response(timeout=10))
    extended = await slack.block_action(MEMBER, "gate_experiment_extend", message=where(first))
    assert "now runs until Thu 03 Dec 2026" in answer_text(await extended.wait_for_response(timeout=10))
    assert (await rows(clean_database, Experiment, Experiment.id == 1))[0].end_date == date(2026, 12, 3)

    shown = len(emulator.calls)
    await slack.block_action(MEMBER, "gate_experiment_pivot", message=where(second))
    view_id = (await filled_view(emulator, shown))["id"]
    assert (await slack.view_submission(MEMBER, view_id, {"outcome": "Graphs too sparse; try sequences"})).ok
    done = {e.id: (e.status, e.outcome) for e in await ordered(clean_database, Experiment)}
    assert done[2] == ("concluded", "Pivot: Graphs too sparse; try sequences") and done[1][0] == "running"
    # Both prompts stop asking, and a late click on an old copy changes nothing.
    for prompt, said in ((first, f"*Extended a week* by <@{MEMBER}>"), (second, f"*Pivoted* by <@{MEMBER}>")):
        settled = await eventually(lambda p=prompt: [u for u in emulator.calls_to("chat.update")
                                                     if u.params.get("ts") == p.response["ts"]])
        assert said in text_of(settled[-1]) and not [b for b in blocks_of(settled[-1]) if b["type"] == "actions"]
    late = await slack.block_action(MEMBER, "gate_experiment_extend", value="1")  # the old copy's button
    assert late.status == 200
    answered = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                         if c.params.get("channel") == MEMBER and "Already decided" in text_of(c)])
    assert "*Already decided: experiment #1 runs until Thu 3 Dec 2026*" in text_of(answered[-1])
    assert (await rows(clean_database, Experiment, Experiment.id == 1))[0].end_date == date(2026, 12, 3)
    late = await slack.block_action(MEMBER, "gate_experiment_conclude", value="2")
    await eventually(lambda: len([c for c in emulator.calls_to("chat.postMessage") if c.params.get("channel") ==
                                  MEMBER and "Already decided: experiment #2 concluded" in text_of(c)]) == 1)

    clock.set(datetime(2026, 12, 4, 12, tzinfo=UTC))
    assert (await gate_prompts(headway.hw)).prompted == 1  # the extended timebox ended too
    again = (await eventually(lambda: posted(emulator, f"gate-experiment:1:ended:2026-12-03:{MEMBER}")))[0]
    shown = len(emulator.calls)
    await slack.block_action(MEMBER, "gate_experiment_conclude", message=where(again))
    view_id = (await filled_view(emulator, shown))["id"]
    result = await slack.view_submission(MEMBER, view_id, {"outcome": "+2 points on holdout"})
    assert result.ok and not result.body
    assert (await rows(clean_database, Experiment, Experiment.id == 1))[0].outcome == "+2 points on holdout"
    await eventually(lambda: any("is concluded" in all_text(r.get("blocks") or []) for r in emulator.responses))
