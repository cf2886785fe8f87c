"""`/headway lifecycle` and the project form's Lifecycle field: stages carried over by name, asked otherwise."""

from __future__ import annotations

from pathlib import Path

from bot.app import build_headway
from bot.config import load_settings
from bot.models import Project, StageTransition, Workspace
from tests.conftest import ADMIN, CHANNEL, PM
from tests.handlers.gate_support import fraud_project, ordered
from tests.handlers.test_projects import FRAUD, make_pm, open_form
from tests.support import all_text, eventually, filled_view, rows

EXAMPLE = Path(__file__).resolve().parents[2] / "bot" / "lifecycle" / "example.yaml"


async def lifecycle_answer(slack, user):
    result = await slack.slash_command(user, "/headway", "lifecycle", channel_id=CHANNEL)
    return await result.wait_for_response(timeout=10)


async def open_switch(slack, emulator, user, answer, key="research"):
    """Click "Switch to this" on the private `/headway lifecycle` answer; the id of the modal it opens."""
    [shown] = [e for e in emulator.ephemerals if e.get("blocks") == answer["blocks"]][-1:]
    mark = len(emulator.calls)
    block_id = next((b["block_id"] for b in shown["blocks"] if b.get("accessory", {}).get("value") == key), None)
    clicked = await slack.block_action(user, "lifecycle_pick", value=key, block_id=block_id,
                                       message=(shown["channel"], shown["ts"]))
    assert clicked.status == 200
    return (await filled_view(emulator, mark))["id"]


async def test_everyone_sees_the_lifecycle_and_only_admins_get_switch_buttons(slack, emulator):
    await make_pm(slack)
    shown = await lifecycle_answer(slack, PM)
    text = all_text(shown["blocks"])
    assert "*Feasibility* · 4 weeks" in text and "*Production* · 6 weeks · :rocket: a Go into it ships" in text
    assert "Ideation → Experimentation" in text and "Only Headway admins can switch." in text
    assert not [b for b in shown["blocks"] if b.get("accessory")]
    admin_view = await lifecycle_answer(slack, ADMIN)
    [button] = [b["accessory"] for b in admin_view["blocks"] if b.get("accessory")]
    assert (button["action_id"], button["value"]) == ("lifecycle_pick", "research")


async def test_a_member_clicking_switch_gets_a_notice_not_a_form(slack, emulator, clean_database):
    answer = await lifecycle_answer(slack, ADMIN)
    view_id = await open_switch(slack, emulator, PM, answer)
    assert "Only Headway admins can change the workspace's lifecycle" in all_text(emulator.views[view_id]["blocks"])
    assert [w.lifecycle for w in await rows(clean_database, Workspace)] == ["default"]


async def test_switching_maps_by_name_and_asks_for_the_rest(slack, emulator, clean_database):
    await fraud_project(slack, emulator)  # in Feasibility: the research set has no stage of that name
    view_id = await open_form(slack, emulator, PM)
    await slack.view_submission(PM, view_id, dict(FRAUD, key="CHURN", name="Churn", stage="production"))
    answer = await lifecycle_answer(slack, ADMIN)
    view_id = await open_switch(slack, emulator, ADMIN, answer)
    view = emulator.views[view_id]
    assert view["callback_id"] == "lifecycle_map"
    asked = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]
    assert asked == ["stage_CHURN", "stage_FRAUD"]  # Production and Feasibility have no namesake in R&D
    slack.client_checks = False  # as a tampered or stale form would: Headway checks too
    missing = await slack.view_submission(ADMIN, view_id, {"stage_CHURN": "tech-transfer"})
    slack.client_checks = True
    assert "pick where FRAUD stands" in missing.body["errors"]["stage_FRAUD"]
    assert [p.lifecycle for p in await rows(clean_database, Project)] == ["default", "default"]
    done = await slack.view_submission(ADMIN, view_id, {"stage_CHURN": "tech-transfer",
                                                        "stage_FRAUD": "experimentation"})
    assert done.status == 200 and not done.body
    projects = {p.key: (p.lifecycle, p.stage) for p in await rows(clean_database, Project)}
    assert projects == {"CHURN": ("research", "tech-transfer"), "FRAUD": ("research", "experimentation")}
    assert [w.lifecycle for w in await rows(clean_database, Workspace)] == ["research"]
    last = (await ordered(clean_database, StageTransition))[-1]
    assert last.reason.startswith("Lifecycle changed from ") and last.reason.endswith(
        "to Experimental R&D lifecycle")
    assert not last.without_gate
    # The list of choices is replaced in place by what was decided; a late pick of the same set changes nothing.
    replaced = await eventually(lambda: [r for r in emulator.responses if r.get("replace_original")
                                         and "now uses the *Experimental R&amp;D lifecycle*" in all_text(
                                             r.get("blocks") or [])], timeout=10)
    assert replaced[-1]["user_id"] == ADMIN
    opened = len(emulator.calls_to("views.open"))
    late = await slack.block_action(ADMIN, "lifecycle_pick", value="research")
    assert late.status == 200
    said = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                     if c.params.get("channel") == ADMIN and "Already decided" in str(c.params)])
    assert "this workspace uses the Experimental R" in str(said[-1].params)
    assert len(emulator.calls_to("views.open")) == opened
    assert [w.lifecycle for w in await rows(clean_database, Workspace)] == ["research"]
    # Back to the default set: the research stages have no namesakes either, so it asks again.
    view_id = await open_switch(slack, emulator, ADMIN, await lifecycle_answer(slack, ADMIN), key="default")
    assert [b["block_id"] for b in emulator.views[view_id]["blocks"] if b["type"] == "input"] == \
        ["stage_CHURN", "stage_FRAUD"]


async def test_a_project_may_use_another_lifecycle_from_its_form(slack, emulator, clean_database):
    await make_pm(slack)
    view_id = await open_form(slack, emulator, PM)
    field = next(b for b in emulator.views[view_id]["blocks"] if b.get("block_id") == "lifecycle")
    assert [o["value"] for o in field["element"]["options"]] == ["default", "research"]
    result = await slack.view_submission(PM, view_id, dict(FRAUD, lifecycle="research", stage="discovery"))
    # Discovery has no namesake in the research set: the form turns into the question.
    assert result.body["response_action"] == "update"
    assert result.body["view"]["callback_id"] == "lifecycle_map"
    mapped_id = result.view_outcome["view"]["id"]
    assert (await slack.view_submission(PM, mapped_id, {"stage_FRAUD": "ideation"})).status == 200
    [project] = await rows(clean_database, Project)
    assert (project.lifecycle, project.stage) == ("research", "ideation")
    # The workspace keeps its own lifecycle; a PM cannot move an existing project to another one.
    assert [w.lifecycle for w in await rows(clean_database, Workspace)] == ["default"]
    edit_id = await open_form(slack, emulator, PM, "project edit FRAUD")
    assert "lifecycle" not in {b.get("block_id") for b in emulator.views[edit_id]["blocks"]}


async def test_an_admin_moving_a_project_to_another_lifecycle_is_asked_for_its_stage(slack, emulator,
                                                                                     clean_database):
    await fraud_project(slack, emulator)
    edit_id = await open_form(slack, emulator, ADMIN, "project edit FRAUD")
    done = await slack.view_submission(ADMIN, edit_id, {"lifecycle": "research", "name": "Card fraud"})
    assert done.body["response_action"] == "update"  # Feasibility has no namesake: asked
    [project] = await rows(clean_database, Project)
    assert (project.name, project.lifecycle) == ("Card fraud", "default")  # the rest is saved already
    assert (await slack.view_submission(ADMIN, done.view_outcome["view"]["id"],
                                        {"stage_FRAUD": "experimentation"})).status == 200
    [project] = await rows(clean_database, Project)
    assert (project.lifecycle, project.stage) == ("research", "experimentation")


def test_a_team_file_takes_the_default_place_and_the_other_sets_stay_available(clean_database):
    hw = build_headway(load_settings(database_url=clean_database, lifecycle_file=str(EXAMPLE)))
    assert [c.key for c in hw.lifecycle_choices()] == ["lean-ml", "research"]
    assert hw.lifecycle("default").key == "lean-ml" and hw.lifecycle("lean-ml").key == "lean-ml"
    assert hw.lifecycle("research").key == "research"
    assert hw.lifecycle("gone").key == "lean-ml"  # an unknown key falls back to the default
    plain = build_headway(load_settings(database_url=clean_database))
    assert [c.key for c in plain.lifecycle_choices()] == ["default", "research"]
