"""Hostile text in every field people type, then every message and view Headway sent is checked:
no live @channel/@here, no injected mention of someone else, no injected link."""

from __future__ import annotations

import json

from tests.conftest import CHANNEL, EXEC, MEMBER, PM
from tests.handlers.standup_support import answer, create_standup, tick, wait_prompt
from tests.handlers.test_experiments import run
from tests.handlers.test_projects import FRAUD, create, make_pm, open_form
from tests.support import EVIL, assert_all_sent_text_safe, eventually

LEGIT_MENTIONS = {PM, MEMBER, EXEC, "UADMIN01"}


async def test_hostile_text_is_inert_everywhere(slack, emulator, headway, clock):
    await make_pm(slack)
    await create(slack, emulator, dict(FRAUD, name="Fraud " + EVIL[:80], problem_statement=EVIL,
                                       success_criteria=EVIL, members=[MEMBER], lens_subject="cases <!here>"))
    await run(slack, PM, "project list")
    await run(slack, EXEC, "project show FRAUD")
    await run(slack, MEMBER, f"log FRAUD recall=0.7 {EVIL}")
    await run(slack, MEMBER, f"goal FRAUD {EVIL}")
    await run(slack, EXEC, "show FRAUD")
    view_id = await open_form(slack, emulator, MEMBER, "experiment new FRAUD")
    await slack.view_submission(MEMBER, view_id, {"hypothesis": EVIL})
    await run(slack, MEMBER, f"experiment close 1 {EVIL}")
    await run(slack, EXEC, "show FRAUD")
    await run(slack, MEMBER, f"frobnicate {EVIL}")
    await create_standup(slack, emulator, [MEMBER], PM)
    clock.set(clock.now().replace(hour=5))
    await tick(headway, clock)
    dm = await wait_prompt(emulator, MEMBER)
    await answer(slack, emulator, MEMBER, dm, {"q0": EVIL, "q1": EVIL, "project": "1", "experiment": EVIL[:200],
                                               "metric_value": "0.7", "blocked": ["yes"], "blocker": EVIL})
    await eventually(lambda: any(c.params.get("thread_ts") for c in emulator.calls_to("chat.postMessage")
                                 if c.params.get("channel") == CHANNEL))
    await tick(headway, clock, hours=12)  # closes the run: the parent is updated with the blocker
    await eventually(lambda: emulator.calls_to("chat.update"))

    assert assert_all_sent_text_safe(emulator, LEGIT_MENTIONS) > 40
    shown = json.dumps([c.params for c in emulator.calls] + list(emulator.responses))
    assert "&lt;!channel&gt;" in shown  # the text was shown, just made harmless
