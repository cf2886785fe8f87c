"""With a team's own lifecycle file (HEADWAY_LIFECYCLE): switching to a built-in set carries stages over by name."""

from __future__ import annotations

import pytest

from bot.config import load_settings
from bot.models import Project, Workspace
from tests.conftest import ADMIN, SIGNING_SECRET
from tests.handlers.test_lifecycles import lifecycle_answer, open_switch
from tests.handlers.test_projects import FRAUD, create, make_pm
from tests.support import all_text, rows

TEAM_FILE = """
key: team-rnd
name: Team R&D
stages:
  - {name: Ideation, goal: Agree the problem., approver_roles: [pm], exit_criteria: [{key: agreed, text: Agreed}]}
  - {name: Experimentation, goal: Try things., timebox_weeks: 2, approver_roles: [pm],
     exit_criteria: [{key: works, text: It works}]}
  - {name: Ship it, goal: Ship., launch: true, approver_roles: [pm], exit_criteria: [{key: live, text: Live}]}
"""


@pytest.fixture
def settings(clean_database, emulator, tmp_path):
    path = tmp_path / "lifecycle.yaml"
    path.write_text(TEAM_FILE, encoding="utf-8")
    return load_settings(
        slack_bot_token=emulator.config.bot_token, slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.api_url, database_url=clean_database, host="127.0.0.1", port=0,
        scheduler_enabled=False, lifecycle_file=str(path),
    )


async def test_stages_with_a_namesake_carry_over_and_only_the_rest_is_asked(slack, emulator, clean_database):
    await make_pm(slack)
    await create(slack, emulator, dict(FRAUD, stage="experimentation"))
    await create(slack, emulator, dict(FRAUD, key="CHURN", name="Churn", stage="ship-it"))
    answer = await lifecycle_answer(slack, ADMIN)
    text = all_text(answer["blocks"])
    assert "Lifecycle · Team R&D" in text and "*Ship it* · open-ended · :rocket: a Go into it ships" in text
    view_id = await open_switch(slack, emulator, ADMIN, answer)
    view = emulator.views[view_id]
    assert [b["block_id"] for b in view["blocks"] if b["type"] == "input"] == ["stage_CHURN"]
    assert "*FRAUD* stays in Experimentation" in all_text(view["blocks"])
    await slack.view_submission(ADMIN, view_id, {"stage_CHURN": "tech-transfer"})
    projects = {p.key: (p.lifecycle, p.stage) for p in await rows(clean_database, Project)}
    assert projects == {"FRAUD": ("research", "experimentation"), "CHURN": ("research", "tech-transfer")}
    assert [w.lifecycle for w in await rows(clean_database, Workspace)] == ["research"]
    shown = all_text((await lifecycle_answer(slack, ADMIN))["blocks"])
    assert "Lifecycle · Experimental R&D lifecycle" in shown and "*Team R&amp;D*" in shown


async def test_a_new_project_on_another_lifecycle_keeps_a_stage_with_a_namesake_without_asking(
        slack, emulator, clean_database):
    await make_pm(slack)
    result = await create(slack, emulator, dict(FRAUD, stage="experimentation", lifecycle="research"))
    assert result.status == 200 and not result.body  # Experimentation exists in both: nothing to ask
    [project] = await rows(clean_database, Project)
    assert (project.lifecycle, project.stage) == ("research", "experimentation")
    assert [w.lifecycle for w in await rows(clean_database, Workspace)] == ["default"]
