"""Standups end to end: signed requests in, Slack calls and rows out, with a controlled clock."""

from __future__ import annotations

import json

from sqlmodel import select  # noqa: F401

from bot.models import Measurement, OutboxMessage, Standup, StandupAnswer, StandupParticipant, StandupPrompt
from tests.conftest import ADMIN, CHANNEL, EXEC, MEMBER, PM
from tests.handlers.gate_support import blocks_of
from tests.handlers.standup_support import answer, create_standup, dms_to, outbox_key, tick, wait_prompt, where
from tests.handlers.test_projects import FRAUD, create, make_pm
from tests.support import all_text, eventually, filled_view, rows


def report_calls(emulator, method="chat.postMessage"):
    """The standup's posts in its channel (not, say, a new project announcing itself there)."""
    return [c for c in emulator.calls_to(method) if c.params.get("channel") == CHANNEL and c.response.get("ok")
            and not outbox_key(c).startswith("project:")]


def blocks_text(call) -> str:
    blocks = call.params.get("blocks")
    return all_text(json.loads(blocks) if isinstance(blocks, str) else blocks or [])


async def test_creating_a_standup_stores_it_with_participants(slack, emulator, clean_database):
    await create_standup(slack, emulator, [PM, MEMBER, EXEC], PM)
    [standup] = await rows(clean_database, Standup)
    assert (standup.name, standup.channel_id, standup.local_time, standup.cutoff_minutes) == (
        "fraud-team", CHANNEL, "09:30", 600)
    assert {p.user_id for p in await rows(clean_database, StandupParticipant)} == {PM, MEMBER, EXEC}
    confirmed = await eventually(lambda: [r for r in emulator.responses if r["channel_id"] == CHANNEL
                                          and r["user_id"] == PM and "fraud-team" in r.get("text", "")])
    assert confirmed and not dms_to(emulator, PM, "fraud-team")  # where the PM asked, not echoed in her DMs


async def test_invalid_standup_form_is_answered_inline(slack, emulator, clean_database):
    from tests.handlers.test_projects import make_pm, open_form

    await make_pm(slack)
    view_id = await open_form(slack, emulator, PM, "new", command="/standup")
    result = await slack.view_submission(PM, view_id, {"name": "Fraud Team!", "participants": [PM],
                                                       "channel": CHANNEL, "reminder_minutes": "300",
                                                       "cutoff_minutes": "200", "holidays": "someday"})
    assert set(result.body["errors"]) == {"name", "reminder_minutes", "holidays"}
    assert await rows(clean_database, Standup) == []


async def test_a_full_round_in_three_time_zones(slack, emulator, headway, clock, clean_database):
    """Kolkata, Berlin and New York at 09:30 local; answers threaded; reminder; cutoff; late answer."""
    await make_pm(slack)
    await create(slack, emulator, dict(FRAUD, members=[MEMBER]))
    await create_standup(slack, emulator, [PM, MEMBER, EXEC], PM)

    clock.set(clock.now().replace(hour=8, minute=35))  # Mon 08:35 UTC: 14:05 Kolkata, 09:35 Berlin, 03:35 NY
    await tick(headway, clock)
    member_dm, exec_dm = await wait_prompt(emulator, MEMBER), await wait_prompt(emulator, EXEC)
    assert not dms_to(emulator, PM, "prompt")  # not 09:30 in New York yet
    [parent] = await eventually(lambda: report_calls(emulator))
    assert "fraud-team standup" in parent.params["text"]

    result = await answer(slack, emulator, MEMBER, member_dm, {
        "q0": "Tried merchant features <!channel>", "q1": "Tune thresholds", "project": "1",
        "experiment": "GBM + merchant features", "metric_value": "0.71", "confidence": "medium"})
    assert result.status == 200 and not result.body
    [measurement] = await rows(clean_database, Measurement)
    assert (measurement.value, measurement.source, measurement.user_id, measurement.metric) == (
        0.71, "standup", MEMBER, "recall")
    reply = (await eventually(lambda: [c for c in report_calls(emulator) if c.params.get("thread_ts")]))[0]
    assert reply.params["thread_ts"] == parent.response["ts"]
    text = blocks_text(reply)
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text
    assert "recall reached *0.71* (target 0.9)" in text

    await answer(slack, emulator, EXEC, exec_dm, {"q0": "Reviewed the budget", "blocked": ["yes"],
                                                  "blocker": "Waiting for legal sign-off"})
    await eventually(lambda: len([c for c in report_calls(emulator) if c.params.get("thread_ts")]) == 2)
    update = await eventually(lambda: report_calls(emulator, "chat.update"))
    assert "Waiting for legal sign-off" in blocks_text(update[-1])  # blockers are highlighted on the parent

    await tick(headway, clock, hours=6)  # 14:35 UTC: 09:35 in New York
    pm_dm = await wait_prompt(emulator, PM)
    await tick(headway, clock, hours=1, minutes=5)  # past the reminder delay
    await eventually(lambda: len(dms_to(emulator, PM, "prompt")) == 2)
    assert len(dms_to(emulator, MEMBER, "prompt")) == 1  # answered: no reminder
    await tick(headway, clock, minutes=30)
    assert len(dms_to(emulator, PM, "prompt")) == 2  # one reminder only

    await tick(headway, clock, hours=9)  # past New York's cutoff: the run closes
    closed = await eventually(lambda: [c for c in report_calls(emulator, "chat.update")
                                       if "No answer (1)" in blocks_text(c)])
    assert closed[-1].params["ts"] == parent.response["ts"]
    assert f"<@{PM}>" in blocks_text(closed[-1]).split("No answer")[1]
    prompts = {p.user_id: p.status for p in await rows(clean_database, StandupPrompt)}
    assert prompts == {MEMBER: "answered", EXEC: "answered", PM: "missed"}

    await answer(slack, emulator, PM, pm_dm, {"q0": "Late but here"})  # late answers still reach the thread
    replies = await eventually(lambda: [c for c in report_calls(emulator) if c.params.get("thread_ts")]
                               if len([c for c in report_calls(emulator) if c.params.get("thread_ts")]) == 3 else None)
    assert "(late)" in blocks_text(replies[-1])
    assert all(r.params["thread_ts"] == parent.response["ts"] for r in replies)
    await eventually(lambda: any("Late:" in blocks_text(c) for c in report_calls(emulator, "chat.update")))
    assert len(report_calls(emulator)) == 4  # one parent + three replies: the channel stays quiet


async def test_editing_an_answer_updates_the_thread_reply(slack, emulator, headway, clock, clean_database):
    await create_standup(slack, emulator, [EXEC], PM)
    clock.set(clock.now().replace(hour=8, minute=35))
    await tick(headway, clock)
    dm = await wait_prompt(emulator, EXEC)
    await answer(slack, emulator, EXEC, dm, {"q0": "first version"})
    confirmation = await eventually(lambda: dms_to(emulator, EXEC, "confirm"))
    await answer(slack, emulator, EXEC, confirmation[-1], {"q0": "second version"}, action="standup_edit")
    update = await eventually(lambda: [c for c in report_calls(emulator, "chat.update") if "second version" in
                                       blocks_text(c)])
    reply = [c for c in report_calls(emulator) if c.params.get("thread_ts")]
    assert len(reply) == 1 and update[-1].params["ts"] == reply[0].response["ts"]
    [stored] = await rows(clean_database, StandupAnswer)
    assert stored.version == 2 and "second version" in stored.answers


async def test_prompts_are_sent_once_however_often_the_scheduler_fires(slack, emulator, headway, clock,
                                                                       clean_database):
    await create_standup(slack, emulator, [EXEC, MEMBER], PM)
    clock.set(clock.now().replace(hour=8, minute=35))
    for _ in range(3):
        await tick(headway, clock)
    await wait_prompt(emulator, EXEC)
    await wait_prompt(emulator, MEMBER)
    await headway.hw.outbox.drain()
    assert len(dms_to(emulator, EXEC, "prompt")) == 1
    assert len(report_calls(emulator)) == 1
    keys = [r.key for r in await rows(clean_database, OutboxMessage)]
    assert len(keys) == len(set(keys))


async def test_someone_elses_prompt_cannot_be_answered_or_skipped(slack, emulator, headway, clock,
                                                                  clean_database):
    await create_standup(slack, emulator, [EXEC], PM)
    clock.set(clock.now().replace(hour=8, minute=35))
    await tick(headway, clock)
    dm = await wait_prompt(emulator, EXEC)
    shown = len(emulator.calls)
    await slack.block_action(MEMBER, "standup_answer", message=where(dm))
    assert "belongs to someone else" in all_text(await filled_view(emulator, shown))
    skipped = await slack.block_action(MEMBER, "standup_skip", message=where(dm))
    await skipped.wait_for_response()
    assert "belongs to someone else" in all_text(skipped.responses[-1].get("blocks", []))
    assert [p.status for p in await rows(clean_database, StandupPrompt)] == ["prompted"]


async def test_skip_today_twice_is_one_skip_and_no_reminder(slack, emulator, headway, clock, clean_database):
    await create_standup(slack, emulator, [EXEC], PM)
    clock.set(clock.now().replace(hour=8, minute=35))
    await tick(headway, clock)
    dm = await wait_prompt(emulator, EXEC)
    result = await slack.block_action(EXEC, "standup_skip", message=where(dm))
    await result.wait_for_response()
    settled = await eventually(lambda: [u for u in emulator.calls_to("chat.update")
                                        if u.params.get("ts") == dm.response["ts"]])
    assert "*Skipped today* by" in all_text(json.loads(settled[-1].params["blocks"]) if isinstance(
        settled[-1].params["blocks"], str) else settled[-1].params["blocks"])
    # A second click on an old copy (a double click, or Slack delivering the action twice): nothing changes.
    value = next(e["value"] for b in blocks_of(dm) if b["type"] == "actions" for e in b["elements"])
    again = await slack.block_action(EXEC, "standup_skip", value=value)
    assert again.status == 200
    late = await eventually(lambda: dms_to(emulator, EXEC, "Already decided"))
    assert "Already decided: skipped today" in json.dumps(late[-1].params)
    assert [p.status for p in await rows(clean_database, StandupPrompt)] == ["skipped"]
    await tick(headway, clock, hours=2)
    await headway.hw.outbox.drain()
    assert len(dms_to(emulator, EXEC, "prompt")) == 1


async def test_hostile_and_malformed_answers(slack, emulator, headway, clock, clean_database):
    from bot.slack_emulator import SlackDriver
    from tests.conftest import SIGNING_SECRET, TEAM_ID

    await make_pm(slack)
    await create(slack, emulator, dict(FRAUD, members=[MEMBER]))
    await create_standup(slack, emulator, [MEMBER], PM)
    clock.set(clock.now().replace(hour=8, minute=0))
    await tick(headway, clock)
    dm = await wait_prompt(emulator, MEMBER)
    loose = SlackDriver(headway.url, SIGNING_SECRET, emulator, team_id=TEAM_ID, client_checks=False)
    try:
        result = await answer(loose, emulator, MEMBER, dm, {"q0": "x", "metric_value": "1.7", "project": "1"})
        assert "between 0 and 1" in result.body["errors"]["metric_value"]
        result = await loose.view_submission(MEMBER, None, {"q0": "x", "metric_value": "0.8", "project": None,
                                                            "blocked": ["yes"], "blocker": ""})
        assert set(result.body["errors"]) == {"project", "blocker"}
        result = await loose.view_submission(MEMBER, None, {"q0": "", "experiment": "", "metric_value": None,
                                                            "blocker": "", "blocked": []})
        assert "Skip today" in result.body["errors"]["q0"]
    finally:
        await loose.aclose()
    assert await rows(clean_database, StandupAnswer) == []
    assert await rows(clean_database, Measurement) == []


async def test_standup_commands(slack, emulator, headway, clock, clean_database):
    await create_standup(slack, emulator, [EXEC, MEMBER], PM)

    async def say(user, text):
        result = await slack.slash_command(user, "/standup", text, channel_id=CHANNEL)
        if result.body:
            return all_text(result.body.get("blocks", []))
        return all_text((await result.wait_for_response()).get("blocks", []))

    assert "fraud-team" in await say(MEMBER, "list")
    assert "/standup away FROM TO" in await say(MEMBER, "help")
    assert "is paused" in await say(PM, "pause fraud-team")
    assert "Only PMs" in await say(MEMBER, "resume fraud-team")
    clock.set(clock.now().replace(hour=8, minute=35))
    await tick(headway, clock)
    assert await rows(clean_database, StandupPrompt) == []  # paused: nobody prompted
    assert "running again" in await say(PM, "resume fraud-team")
    assert "today" in await say(EXEC, "skip fraud-team")
    assert "away from" in await say(MEMBER, "away 2026-11-20 2026-11-30")
    await tick(headway, clock)
    assert await rows(clean_database, StandupPrompt) == []  # one skipping, one away
    assert "Welcome back" in await say(MEMBER, "back")
    assert "is not a date" in await say(MEMBER, "away soon later")
    assert "Prompted 1 person" in await say(PM, "run fraud-team now")  # EXEC still skips today
    await wait_prompt(emulator, MEMBER)
    stats = await say(PM, "stats fraud-team")
    assert "fraud-team" in stats and f"<@{MEMBER}>" in stats
    assert "There is no standup called nope" in await say(PM, "stats nope")
    assert "deleted" in await say(ADMIN, "delete fraud-team")
    assert await rows(clean_database, Standup) == []


async def test_a_closed_round_cannot_be_skipped_after_the_fact(slack, emulator, headway, clock, clean_database):
    await create_standup(slack, emulator, [EXEC], PM)
    clock.set(clock.now().replace(hour=8, minute=35))
    await tick(headway, clock)
    dm = await wait_prompt(emulator, EXEC)
    await tick(headway, clock, hours=11)  # past the cutoff: missed
    # The prompt stops asking: only "Answer late" is left, with how the round ended.
    settled = await eventually(lambda: [u for u in emulator.calls_to("chat.update")
                                        if u.params.get("ts") == dm.response["ts"]])
    buttons = [e["text"]["text"] for b in blocks_of(settled[-1]) if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["Answer late"] and "*Closed without your answer* on" in all_text(blocks_of(settled[-1]))
    value = next(e["value"] for b in blocks_of(dm) if b["type"] == "actions" for e in b["elements"])
    result = await slack.block_action(EXEC, "standup_skip", value=value)  # Skip on an old copy
    assert result.status == 200
    late = await eventually(lambda: dms_to(emulator, EXEC, "Already decided"))
    assert "Already decided: closed without an answer" in json.dumps(late[-1].params)
    assert [p.status for p in await rows(clean_database, StandupPrompt)] == ["missed"]


async def test_an_answered_prompt_offers_edit_until_the_cutoff_then_nothing(slack, emulator, headway, clock,
                                                                            clean_database):
    await create_standup(slack, emulator, [EXEC], PM)
    clock.set(clock.now().replace(hour=8, minute=35))
    await tick(headway, clock)
    dm = await wait_prompt(emulator, EXEC)
    await answer(slack, emulator, EXEC, dm, {"q0": "first version"})

    def updates_of_prompt(count: int):
        found = [u for u in emulator.calls_to("chat.update") if u.params.get("ts") == dm.response["ts"]]
        return found if len(found) >= count else None

    answered = (await eventually(lambda: updates_of_prompt(1)))[-1]
    buttons = [e["text"]["text"] for b in blocks_of(answered) if b["type"] == "actions" for e in b["elements"]]
    assert buttons == ["Edit my answer"] and f"*Answered* by <@{EXEC}>" in all_text(blocks_of(answered))
    await answer(slack, emulator, EXEC, dm, {"q0": "second version"}, action="standup_edit")  # still editable

    await tick(headway, clock, hours=11)  # the cutoff: nothing left to click
    closed = (await eventually(lambda: updates_of_prompt(2)))[-1]
    assert not [b for b in blocks_of(closed) if b["type"] == "actions"]
    assert "*Closed with your answer in the thread*" in all_text(blocks_of(closed))
    confirmations = dms_to(emulator, EXEC, "confirm")
    await eventually(lambda: all(any(u.params.get("ts") == c.response["ts"] for u in emulator.calls_to("chat.update"))
                                 for c in confirmations))  # the "Edit my answer" of each confirmation goes too

    [before] = await rows(clean_database, StandupAnswer)
    opened = len(emulator.calls_to("views.open"))
    late = await slack.block_action(EXEC, "standup_edit", value=str(before.prompt_id))  # an old copy's Edit
    assert late.status == 200
    said = await eventually(lambda: dms_to(emulator, EXEC, "Already decided"))
    assert "can no longer be edited" in json.dumps(said[-1].params)
    [after] = await rows(clean_database, StandupAnswer)
    assert (after.version, after.answers) == (before.version, before.answers)
    assert len(emulator.calls_to("views.open")) == opened
