"""Timeboxes that act, a reached target that asks "good enough to ship?", and a Go into the launch stage that
ships: through the scheduled job, the outbox and signed clicks."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.jobs import gate_prompts
from bot.models import Gate, Project, StageTransition
from tests.bot.gates.test_jobs import change_project, keys
from tests.conftest import ADMIN, EXEC, MEMBER, PM
from tests.handlers.gate_support import blocks_of, fraud_project, ordered, posted, request_gate, text_of, vote
from tests.handlers.standup_support import where
from tests.handlers.test_experiments import log
from tests.handlers.test_projects import open_form
from tests.support import eventually, filled_view, rows


async def test_a_stage_past_its_timebox_prompts_once_per_visit_with_the_time_spent(
        slack, emulator, headway, clock, clean_database):
    await fraud_project(slack, emulator)  # Feasibility (timebox 4 weeks), entered Mon 23 Nov 2026
    await change_project(clean_database, expected_date=None, kill_date=None)
    clock.set(datetime(2026, 12, 21, 15, tzinfo=UTC))  # exactly four weeks: still inside the timebox
    assert (await gate_prompts(headway.hw)).prompted == 0
    clock.set(datetime(2026, 12, 29, 15, tzinfo=UTC))  # five weeks and a day, 10:00 in New York
    assert [(await gate_prompts(headway.hw)).prompted for _ in range(2)] == [1, 0]
    [key] = await keys(clean_database, "gate-prompt:")
    [entered] = await rows(clean_database, StageTransition)
    assert key == f"gate-prompt:1:timebox:visit-{entered.id}:{PM}"
    [prompt] = await eventually(lambda: posted(emulator, key))
    assert "In Feasibility for 5 weeks (since Mon 23 Nov 2026); its timebox is 4 weeks." in text_of(prompt)
    clock.set(datetime(2027, 1, 12, 15, tzinfo=UTC))  # later weeks: the same visit is not asked about again
    assert (await gate_prompts(headway.hw)).prompted == 0
    # A new visit of a stage (here an admin moves it back and forth) starts a new timebox.
    for stage in ("design", "feasibility"):
        view_id = await open_form(slack, emulator, ADMIN, "project edit FRAUD")
        assert not (await slack.view_submission(ADMIN, view_id, {"stage": stage, "change_reason": "Re-plan"})).body
    assert (await gate_prompts(headway.hw)).prompted == 0  # the new visit began today


async def test_a_reached_target_asks_its_pms_whether_it_is_good_enough_to_ship_once(
        slack, emulator, headway, clock, clean_database):
    await fraud_project(slack, emulator, stage="development", expected_date="2027-06-30")
    await log(slack, MEMBER, "FRAUD recall=0.85")
    assert (await gate_prompts(headway.hw)).prompted == 0  # 09:00 UTC is 04:00 in New York
    clock.set(datetime(2026, 11, 23, 15, tzinfo=UTC))
    assert (await gate_prompts(headway.hw)).prompted == 0  # not there yet
    await log(slack, MEMBER, "FRAUD recall=0.91")
    assert [(await gate_prompts(headway.hw)).prompted for _ in range(2)] == [1, 0]
    [key] = await keys(clean_database, "gate-ship:")
    assert key == f"gate-ship:1:0.9:{PM}"
    [prompt] = await eventually(lambda: posted(emulator, key))
    assert "Good enough to ship?" in text_of(prompt) and "move on to Production" in text_of(prompt)
    clock.set(datetime(2026, 11, 30, 15, tzinfo=UTC))
    assert (await gate_prompts(headway.hw)).prompted == 0  # once, not weekly
    # One click from the prompt to the gate request form.
    shown = len(emulator.calls)
    await slack.block_action(PM, "gate_request_open", message=where(prompt))
    modal = await filled_view(emulator, shown)
    assert modal["callback_id"] == \
        "gate_request"
    # Once the gate is requested, the prompt stops asking, and a late click on an old copy changes nothing.
    gate = await request_gate(slack, emulator, clean_database, [EXEC], signoff_privacy=EXEC,
                              signoff_legal_compliance=EXEC, signoff_model_validation=EXEC)
    settled = await eventually(lambda: [u for u in emulator.calls_to("chat.update")
                                        if u.params.get("ts") == prompt.response["ts"]])
    assert f"*Gate #{gate.id} requested* by <@{PM}>" in text_of(settled[-1])
    assert not [b for b in blocks_of(settled[-1]) if b["type"] == "actions"]
    opened = len(emulator.calls_to("views.open"))
    late = await slack.block_action(PM, "gate_request_open", value="FRAUD")
    assert late.status == 200
    answered = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                         if c.params.get("channel") == PM and "Already decided" in text_of(c)])
    assert f"*Already decided: gate #{gate.id} requested* by <@{PM}>" in text_of(answered[-1])
    assert len(emulator.calls_to("views.open")) == opened and len(await rows(clean_database, Gate)) == 1


async def test_a_go_into_the_launch_stage_ships(slack, emulator, clean_database):
    await fraud_project(slack, emulator, stage="development")
    gate = await request_gate(slack, emulator, clean_database, [EXEC], rule="any", signoff_privacy=EXEC,
                              signoff_legal_compliance=EXEC, signoff_model_validation=EXEC)
    assert gate.to_stage == "production"
    card = (await eventually(lambda: posted(emulator, f"gate:{gate.id}:card:{EXEC}")))[0]
    await vote(slack, emulator, EXEC, "go", card)

    [project] = await rows(clean_database, Project)
    assert (project.stage, project.state) == ("production", "shipped")
    last = (await ordered(clean_database, StageTransition))[-1]
    assert (last.to_stage, last.to_state, last.without_gate) == ("production", "shipped", False)
    assert "shipped" in last.reason
