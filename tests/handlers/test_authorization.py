"""Who may do what, across roles and commands, through signed requests (one matrix, one place)."""

from __future__ import annotations

import pytest

from bot.slack_emulator import EmulatorUser
from tests.conftest import ADMIN, CHANNEL, EXEC, MEMBER, OTHER, PM
from tests.handlers.standup_support import create_standup
from tests.handlers.test_projects import FRAUD, create, make_pm
from tests.support import all_text

OTHER_PM = "UPM00002"
ROLES = {"admin": ADMIN, "project PM": PM, "other PM": OTHER_PM, "exec": EXEC, "project member": MEMBER,
         "outsider": OTHER}
# command → the roles allowed to run it; everyone else must get an explanation, and nothing changes
MATRIX = {
    "role {OTHER} exec": {"admin"},
    "token FRAUD": {"admin", "project PM"},
    "token revoke FRAUD": {"admin", "project PM"},
    "log FRAUD recall=0.7": {"admin", "project PM", "project member"},
    "goal FRAUD try a thing": {"admin", "project PM", "project member"},
    "project list": set(ROLES),
    "show FRAUD": set(ROLES),
}
STANDUP_MATRIX = {"pause fraud-team": {"admin", "project PM", "other PM"},
                  "run fraud-team now": {"admin", "project PM", "other PM"}}


@pytest.fixture
async def world(slack, emulator):
    emulator.add_user(EmulatorUser(id=OTHER_PM, name="opal", tz="UTC"))
    await make_pm(slack)
    await make_pm(slack, OTHER_PM)
    await create(slack, emulator, dict(FRAUD, members=[MEMBER]))
    await create_standup(slack, emulator, [MEMBER], PM)
    return slack


async def answer(slack, command, user, text):
    result = await slack.slash_command(user, command, text.replace("{OTHER}", f"<@{OTHER}>"), channel_id=CHANNEL)
    assert result.status == 200
    if result.body:
        return all_text(result.body["blocks"])
    return all_text((await result.wait_for_response(timeout=5))["blocks"])


@pytest.mark.parametrize("role", list(ROLES))
async def test_headway_commands(world, role):
    for text, allowed in MATRIX.items():
        reply = await answer(world, "/headway", ROLES[role], text)
        denied = reply.startswith(":warning: Only")
        assert denied == (role not in allowed), (role, text, reply)


@pytest.mark.parametrize("role", list(ROLES))
async def test_standup_commands(world, role):
    for text, allowed in STANDUP_MATRIX.items():
        reply = await answer(world, "/standup", ROLES[role], text)
        denied = reply.startswith(":warning: Only")
        assert denied == (role not in allowed), (role, text, reply)


async def test_one_workspace_never_sees_anothers_data(world, emulator, headway):
    from bot.slack_emulator import SlackDriver
    from tests.conftest import SIGNING_SECRET

    elsewhere = SlackDriver(headway.url, SIGNING_SECRET, emulator, team_id="T0OTHERCO")
    try:
        assert "No projects yet" in await answer(elsewhere, "/headway", MEMBER, "project list")
        assert "no project with the key FRAUD" in await answer(elsewhere, "/headway", MEMBER, "show FRAUD")
        assert "There is no standup called fraud-team" in await answer(elsewhere, "/standup", MEMBER,
                                                                       "stats fraud-team")
        assert "No standups yet" in await answer(elsewhere, "/standup", MEMBER, "list")
    finally:
        await elsewhere.aclose()
    assert "FRAUD" in await answer(world, "/headway", MEMBER, "project list")
