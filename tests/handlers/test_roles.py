"""`/headway role`: Slack admins are Headway admins; only admins change roles; the last admin stays."""

from bot.models import Person, PersonRole
from tests.conftest import ADMIN, CHANNEL, MEMBER, PM
from tests.support import all_text, rows


async def run(slack, user, text):
    result = await slack.slash_command(user, "/headway", text, channel_id=CHANNEL)
    assert result.status == 200
    return all_text((await result.wait_for_response()).get("blocks", []))


async def roles_in_db(url, user_id):
    people = await rows(url, Person, Person.user_id == user_id)
    if not people:
        return set()
    return {r.role for r in await rows(url, PersonRole, PersonRole.person_id == people[0].id)}


async def test_admin_grants_and_clears_roles(slack, clean_database):
    text = await run(slack, ADMIN, f"role <@{PM}|pat> pm exec")
    assert f"<@{PM}> is now: pm, exec, member" in text
    assert await roles_in_db(clean_database, PM) == {"pm", "exec"}
    text = await run(slack, ADMIN, f"role <@{PM}> member")
    assert "is now: member" in text
    assert await roles_in_db(clean_database, PM) == set()


async def test_slack_admins_start_as_headway_admins(slack, clean_database):
    text = await run(slack, MEMBER, f"role <@{ADMIN}>")
    assert "admin" in text
    assert await roles_in_db(clean_database, ADMIN) == {"admin"}


async def test_non_admins_cannot_change_roles(slack, clean_database):
    text = await run(slack, MEMBER, f"role <@{MEMBER}> admin")
    assert "Only Headway admins can change roles" in text
    assert await roles_in_db(clean_database, MEMBER) == set()


async def test_the_last_admin_cannot_step_down(slack, clean_database):
    await run(slack, ADMIN, f"role <@{ADMIN}>")
    text = await run(slack, ADMIN, f"role <@{ADMIN}> member")
    assert "without a Headway admin" in text
    assert await roles_in_db(clean_database, ADMIN) == {"admin"}


async def test_bad_role_words_and_missing_mentions_get_help(slack):
    assert "is not a role" in await run(slack, ADMIN, f"role <@{PM}> wizard")
    assert "Mention the person" in await run(slack, ADMIN, "role pat pm")


async def test_a_user_slack_does_not_know_gets_a_clear_answer_and_no_row(slack, clean_database):
    text = await run(slack, ADMIN, "role <@UNOBODY42> pm")
    assert "Slack does not know the user UNOBODY42" in text
    assert await rows(clean_database, Person, Person.user_id == "UNOBODY42") == []
