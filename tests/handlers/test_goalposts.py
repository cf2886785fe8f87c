"""Goalposts move in the open, and stages move through gates: the project form, history, announcements,
the exec digest's marks and the gate snapshot, end to end through signed requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.gates.snapshot import loads
from bot.models import Gate, GoalpostChange, Project, StageTransition
from tests.conftest import ADMIN, CHANNEL, EXEC, MEMBER, PM
from tests.handlers.gate_support import (
    fraud_project,
    latest_card_text,
    ordered,
    posted,
    request_gate,
    request_values,
    text_of,
    vote,
)
from tests.handlers.test_projects import open_form
from tests.support import all_text, eventually, filled_view, rows


async def edit(slack, emulator, user, values):
    view_id = await open_form(slack, emulator, user, "project edit FRAUD")
    return view_id, await slack.view_submission(user, view_id, values)


async def history_text(slack, user=MEMBER, key="FRAUD") -> str:
    shown = await slack.slash_command(user, "/headway", f"project history {key}", channel_id=CHANNEL)
    return all_text((await shown.wait_for_response(timeout=10))["blocks"])


async def test_moving_the_target_without_a_reason_is_an_inline_error_and_nothing_is_stored(
        slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    _, result = await edit(slack, emulator, PM, {"target": "0.8"})
    assert result.body["response_action"] == "errors"
    assert "You changed target: say why" in result.body["errors"]["change_reason"]
    [project] = await rows(clean_database, Project)
    assert project.target == 0.9
    assert await rows(clean_database, GoalpostChange) == []


async def test_a_moved_goalpost_is_recorded_announced_and_listed_in_history(slack, emulator, clean_database, clock):
    await fraud_project(slack, emulator)
    before = await history_text(slack)
    clock.set(datetime(2026, 11, 25, 14, tzinfo=UTC))
    _, result = await edit(slack, emulator, PM, {
        "target": "0.8", "kill_date": "2027-09-30", "name": "Card fraud",  # the name is not a goalpost
        "change_reason": "Finance says 8 in 10 <b>already</b> pays for the team"})
    assert result.status == 200 and not result.body
    changes = sorted((c.field, c.old_value, c.new_value, c.actor_id) for c in await rows(clean_database,
                                                                                         GoalpostChange))
    assert changes == [("kill_date", "Wed 30 Jun 2027", "Thu 30 Sep 2027", PM), ("target", "0.9", "0.8", PM)]
    assert {c.reason for c in await rows(clean_database, GoalpostChange)} == {
        "Finance says 8 in 10 <b>already</b> pays for the team"}
    # Announced once each to the business owner (DM) and the project channel, through the outbox.
    for place in (EXEC, CHANNEL):
        [sent] = await eventually(lambda p=place: posted(emulator, f"goalpost:1:1:{p}"))
        text = text_of(sent)
        assert "Target*: 0.9 → 0.8" in text and "Stop date*: Wed 30 Jun 2027 → Thu 30 Sep 2027" in text
        assert "&lt;b&gt;already&lt;/b&gt;" in text and "<b>" not in text
    after = await history_text(slack)
    assert "Target moved" not in before and "Created in Feasibility" in before
    assert "Target moved" in after and "target: 0.9 → 0.8" in after and "Wed 25 Nov 2026" in after
    assert "Finance says 8 in 10" in after


async def test_pms_move_the_stage_only_through_a_gate(slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    view_id = await open_form(slack, emulator, PM, "project edit FRAUD")
    view = emulator.views[view_id]
    block_ids = {b.get("block_id") for b in view["blocks"]}
    assert "stage" not in block_ids and "state" not in block_ids  # no stage or state field for a PM
    gate_block = next(b for b in view["blocks"] if b.get("block_id") == "gate")
    assert gate_block["accessory"]["action_id"] == "gate_request_open"
    assert gate_block["accessory"]["text"]["text"] == "Request a gate"
    assert "Feasibility (active)" in gate_block["text"]["text"]
    # Saving a PM's form keeps the stage and state as they were.
    assert not (await slack.view_submission(PM, view_id, {"name": "Card fraud"})).body
    [project] = await rows(clean_database, Project)
    assert (project.name, project.stage, project.state) == ("Card fraud", "feasibility", "active")
    # The button opens the gate request form.
    view_id = await open_form(slack, emulator, PM, "project edit FRAUD")
    shown = len(emulator.calls)
    opened = len(emulator.calls_to("views.open"))
    await slack.block_action(PM, "gate_request_open", value="FRAUD", view=view_id)
    await filled_view(emulator, shown)
    assert emulator.views[view_id]["callback_id"] == "gate_request"  # the request form takes the form's place
    assert len(emulator.calls_to("views.open")) == opened
    submitted = await slack.view_submission(PM, view_id, request_values([EXEC], view=emulator.views[view_id]))
    assert submitted.status == 200 and not submitted.body
    [gate] = await rows(clean_database, Gate)
    assert (gate.from_stage, gate.to_stage, gate.requested_by) == ("feasibility", "design", PM)


async def test_an_admin_move_is_marked_moved_without_a_gate_in_history_and_digest(
        slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    _, result = await edit(slack, emulator, ADMIN, {"state": "paused", "change_reason": "Team on leave"})
    assert not result.body
    last = (await ordered(clean_database, StageTransition))[-1]
    assert (last.from_state, last.to_state, last.without_gate, last.actor_id) == ("active", "paused", True, ADMIN)
    text = await history_text(slack)
    assert "Stage: active → paused" in text and "moved without a gate" in text and "Team on leave" in text
    _, result = await edit(slack, emulator, ADMIN, {"state": "active", "change_reason": "Back"})
    shown = await slack.slash_command(EXEC, "/headway", "digest preview", channel_id=CHANNEL)
    preview = all_text((await shown.wait_for_response(timeout=10))["blocks"])
    assert "moved without a gate" in preview


async def test_the_exec_digest_marks_target_moved_for_four_weeks(slack, emulator, clock, clean_database):
    await fraud_project(slack, emulator)

    async def preview() -> str:
        shown = await slack.slash_command(EXEC, "/headway", "digest preview", channel_id=CHANNEL)
        return all_text((await shown.wait_for_response(timeout=10))["blocks"])

    assert "target moved" not in await preview()
    await edit(slack, emulator, PM, {"baseline": "0.6", "change_reason": "Re-measured on the March data"})
    assert "FRAUD" in (text := await preview()) and "target moved" in text
    clock.set(clock.now() + timedelta(weeks=3, days=6))
    assert "target moved" in await preview()
    clock.set(clock.now() + timedelta(days=2))
    assert "target moved" not in await preview()


async def test_gate_snapshots_freeze_the_goalposts_and_the_card_says_when_they_move(
        slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    gate = await request_gate(slack, emulator, clean_database, [EXEC])
    goalposts = loads(gate.snapshot)["goalposts"]
    assert goalposts == {"metric_name": "recall", "metric_direction": "higher", "baseline": 0.62, "target": 0.9,
                         "expected_date": "2027-03-31", "kill_date": "2027-06-30"}
    await edit(slack, emulator, PM, {"target": "0.95", "change_reason": "The card scheme raised the bar"})
    await vote(slack, emulator, EXEC, "hold", (await eventually(lambda: posted(emulator, f"gate:1:card:{EXEC}")))[0])
    text = await latest_card_text(emulator, clean_database, gate.id, "channel", "Goalposts moved since the request")
    assert "Goalposts then: target 0.9" in text and "Hold" in text
    [stored] = await rows(clean_database, Gate)
    assert loads(stored.snapshot)["goalposts"]["target"] == 0.9  # frozen, whatever happened since


async def test_history_lists_gate_decisions_with_their_stage_change_once(slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    await request_gate(slack, emulator, clean_database, [EXEC])
    card = (await eventually(lambda: posted(emulator, f"gate:1:card:{EXEC}")))[0]
    await vote(slack, emulator, EXEC, "go", card)
    assert await eventually(lambda: emulator.calls_to("chat.update"), timeout=10)
    [gate] = await rows(clean_database, Gate)
    assert gate.outcome == "go"
    text = await history_text(slack)
    assert "Gate #1 (Feasibility → Design &amp; Requirements): Go" in text
    assert "Stage: Feasibility → Design" not in text  # told once, as the gate's decision
    assert text.index("Created in Feasibility") < text.index("Gate #1")


async def test_history_of_an_unknown_project_is_a_polite_answer(slack):
    shown = await slack.slash_command(MEMBER, "/headway", "project history NOPE", channel_id=CHANNEL)
    assert "There is no project with the key NOPE" in all_text((await shown.wait_for_response())["blocks"])


async def test_a_long_history_stays_within_slacks_limits(slack, emulator, clean_database):
    await fraud_project(slack, emulator)
    for n in range(45):
        _, result = await edit(slack, emulator, PM, {"target": f"0.{70 + n % 20:02d}1",
                                                     "change_reason": "& <why> " * 120})
        assert not result.body, result.body
    shown = await slack.slash_command(MEMBER, "/headway", "project history FRAUD", channel_id=CHANNEL)
    answer = await shown.wait_for_response(timeout=10)
    assert len(answer["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in answer["blocks"] if b["type"] == "section")
    text = all_text(answer["blocks"])
    assert "Page 1 of 2 (46 entries" in text and "Created in Feasibility" not in text
    assert "/headway project history FRAUD 2" in text and "/headway report FRAUD all" in text
    older = await slack.slash_command(MEMBER, "/headway", "project history FRAUD 2", channel_id=CHANNEL)
    text = all_text((await older.wait_for_response(timeout=10))["blocks"])
    assert "Page 2 of 2" in text and "Created in Feasibility" in text and "history FRAUD 3" not in text
