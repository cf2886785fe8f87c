"""Blockers that age, through Slack: reported in a standup, asked about with the next prompt, aged on the report and
the card, escalated once to the PMs (also across a restart) and shown in the exec digest until resolved."""

from __future__ import annotations

from collections import Counter

from bot.jobs import follow_through
from bot.models import Blocker
from bot.server import HeadwayServer
from tests.conftest import CHANNEL, EXEC, MEMBER, PM
from tests.handlers.gate_support import text_of
from tests.handlers.standup_support import answer, create_standup, outbox_key, tick, wait_prompt, where
from tests.handlers.test_experiments import run
from tests.handlers.test_projects import FRAUD, create
from tests.support import all_text, eventually, rows

BLOCKER = "Waiting for labelled chargebacks <!here>"


def keyed(emulator, fragment: str) -> list:
    return [c for c in emulator.calls_to("chat.postMessage") if c.response.get("ok") and fragment in outbox_key(c)]


async def blocked_member(slack, emulator, headway, clock):
    """FRAUD with MEMBER (Kolkata) in a daily standup; on Monday MEMBER reports a blocker on FRAUD."""
    await create_standup(slack, emulator, [MEMBER], PM)
    await create(slack, emulator, FRAUD)
    clock.set(clock.now().replace(hour=8, minute=35))  # Mon 14:05 in Kolkata
    await tick(headway, clock)
    dm = await wait_prompt(emulator, MEMBER)
    result = await answer(slack, emulator, MEMBER, dm, {"q0": "Tried merchant features", "project": "1",
                                                        "blocked": ["yes"], "blocker": BLOCKER})
    assert result.status == 200 and not result.body


async def card_text(slack) -> str:
    result = await slack.slash_command(PM, "/headway", "project show FRAUD", channel_id=CHANNEL)
    return all_text((await result.wait_for_response(timeout=10))["blocks"])


async def test_a_blocker_is_kept_asked_about_aged_and_escalated_once(slack, emulator, headway, clock, clean_database,
                                                                    settings):
    await blocked_member(slack, emulator, headway, clock)
    [blocker] = await rows(clean_database, Blocker)
    assert (blocker.user_id, blocker.text, blocker.resolved_at, blocker.escalated_at) == (MEMBER, BLOCKER, None, None)

    await tick(headway, clock, days=1)  # Tuesday's prompt asks about it, with one click each way
    asked = (await eventually(lambda: keyed(emulator, ":still_blocked"), timeout=10))[0]
    assert asked.params["channel"] == MEMBER
    text = text_of(asked)
    assert "Still blocked by *Waiting for labelled chargebacks &lt;!here&gt;*?" in text
    assert "open for 1 working day" in text
    clicked = await slack.block_action(MEMBER, "blocker_still", message=where(asked))
    assert "still blocked by" in all_text((await clicked.wait_for_response(timeout=10))["blocks"])
    assert (await rows(clean_database, Blocker))[0].confirmed_at is not None
    assert "for 1 working day: Waiting for labelled chargebacks" in await card_text(slack)

    clock.advance(days=2)  # Thursday: 3 working days, not more than 3 yet
    assert (await follow_through(headway.hw))["escalated"] == 0
    clock.advance(days=1)  # Friday: 4 working days
    assert (await follow_through(headway.hw))["escalated"] == 1
    assert (await follow_through(headway.hw))["escalated"] == 0  # once
    escalated = (await eventually(lambda: keyed(emulator, ":escalated:"), timeout=10))[0]
    assert escalated.params["channel"] == PM
    assert "blocked on *FRAUD · Fraud detection* for *4 working days*" in text_of(escalated)

    second = HeadwayServer(settings, clock=clock)  # a restart (or a second replica) changes nothing
    await second.start()
    try:
        assert (await follow_through(second.hw))["escalated"] == 0
    finally:
        await second.stop()
    await eventually(lambda: all(n == 1 for n in Counter(outbox_key(c) for c in keyed(emulator, "blocker:")).values()))
    assert len(keyed(emulator, ":escalated:")) == 1

    digest = await run(slack, EXEC, "digest preview")
    assert ("*Decisions and help needed*\n:sos: <@UMEMBER1> has been blocked on FRAUD for 4 working days: Waiting for "
            "labelled chargebacks &lt;!here&gt; — could help: <@UPM00001>, <@UEXEC001>") in digest
    assert "(escalated)" in await card_text(slack)

    clicked = await slack.block_action(MEMBER, "blocker_resolved", message=where(asked))
    assert "is resolved" in all_text((await clicked.wait_for_response(timeout=10))["blocks"])
    assert (await rows(clean_database, Blocker))[0].resolved_by == MEMBER
    assert "help needed" not in await run(slack, EXEC, "digest preview")
    assert "Blocked" not in await card_text(slack)
    await tick(headway, clock, days=3)  # Monday: no more questions about it
    await wait_prompt(emulator, MEMBER, 3)
    assert len(keyed(emulator, ":still_blocked")) == 1


async def test_only_the_reporter_answers_for_a_blocker(slack, emulator, headway, clock, clean_database):
    await blocked_member(slack, emulator, headway, clock)
    await tick(headway, clock, days=1)
    asked = (await eventually(lambda: keyed(emulator, ":still_blocked"), timeout=10))[0]
    clicked = await slack.block_action(PM, "blocker_resolved", message=where(asked))
    assert "Only the person who reported" in all_text((await clicked.wait_for_response(timeout=10))["blocks"])
    assert (await rows(clean_database, Blocker))[0].resolved_at is None
