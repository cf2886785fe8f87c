"""First contact over signed requests: the welcome DM, "Get started" on the Home, DMs to the bot, shortcuts."""

from __future__ import annotations

import json

from bot.manifest import BOT_EVENTS, BOT_SCOPES, SHORTCUTS, build_manifest
from bot.models import DigestSubscription, Measurement, OutboxMessage, WeeklyGoal
from tests.conftest import ADMIN, EXEC, MEMBER, PM
from tests.handlers.test_home import open_home
from tests.handlers.test_projects import create, make_pm
from tests.support import all_text, eventually, filled_view, rows


def blocks_of(call) -> list:
    blocks = call.params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def dms_to(emulator, user: str, words: str) -> list:
    return [c for c in emulator.calls_to("chat.postMessage")
            if c.params.get("channel") == user and c.response.get("ok")
            and words in all_text(blocks_of(c)) + str(c.params.get("text"))]


def buttons(view: dict) -> dict[str, str]:
    return {e["action_id"]: e["text"]["text"] for b in view["blocks"] if b["type"] == "actions"
            for e in b["elements"]}


async def shortcut(slack, user: str, callback_id: str, message: dict | None = None):
    """A global shortcut (or, with `message`, a message shortcut) as Slack posts it."""
    payload = {"type": "message_action" if message else "shortcut", "callback_id": callback_id,
               **await slack._common(user), "action_ts": "1700000000.000001"}
    payload["trigger_id"] = await slack.link.call("issue_trigger", user_id=user)
    if message:
        payload.update(message=message, channel={"id": "CGENERAL1", "name": "general"},
                       response_url="https://hooks.invalid/none")
    return await slack._interactive(payload)


async def test_the_first_admin_to_open_home_gets_one_welcome(slack, emulator, clean_database):
    await open_home(slack, emulator, MEMBER)  # not an admin: no welcome
    await open_home(slack, emulator, ADMIN)
    [welcome] = await eventually(lambda: dms_to(emulator, ADMIN, "Welcome to Headway"))
    text = all_text(blocks_of(welcome))
    for words in ("/headway", "/standup", "/gate", "Who can do what", "/headway role @person pm"):
        assert words in text
    await open_home(slack, emulator, ADMIN)
    await slack.slash_command(ADMIN, "/headway", f"role <@{EXEC}> admin")
    await open_home(slack, emulator, EXEC)
    assert len([m for m in await rows(clean_database, OutboxMessage) if m.kind == "welcome"]) == 1
    assert not dms_to(emulator, MEMBER, "Welcome") and not dms_to(emulator, EXEC, "Welcome")


async def test_get_started_is_role_aware(slack, emulator):
    admin = buttons(await open_home(slack, emulator, ADMIN))
    assert set(admin) >= {"home_new_project", "home_new_standup", "home_subscribe_digest", "home_give_roles"}
    member = await open_home(slack, emulator, MEMBER)
    assert "Get started" in all_text(member["blocks"])
    assert "home_new_project" not in buttons(member) and "home_give_roles" not in buttons(member)
    assert "home_subscribe_digest" in buttons(member)


async def test_get_started_goes_once_there_is_something(slack, emulator):
    await make_pm(slack)
    await create(slack, emulator)
    assert "Get started" not in all_text((await open_home(slack, emulator, PM))["blocks"])


async def test_subscribe_and_create_from_get_started(slack, emulator, clean_database):
    home = await open_home(slack, emulator, EXEC)
    publishes = len(emulator.calls_to("views.publish"))
    await slack.block_action(EXEC, "home_subscribe_digest", view=home["id"])
    await eventually(lambda: len(emulator.calls_to("views.publish")) > publishes)
    [sub] = await rows(clean_database, DigestSubscription)
    assert (sub.user_id, sub.kind, sub.active) == (EXEC, "exec", True)
    assert "home_subscribe_digest" not in buttons(emulator.calls_to("views.publish")[-1].response["view"])

    home = await open_home(slack, emulator, ADMIN)
    shown = len(emulator.calls)
    await slack.block_action(ADMIN, "home_new_project", view=home["id"])
    modal = await filled_view(emulator, shown)
    assert modal["callback_id"] == "project_form"


async def test_a_dm_to_the_bot_gets_help_or_a_did_you_mean(slack, emulator):
    dm = (await slack.link.call("add_message", channel=MEMBER, user_id=MEMBER, text="hi"))["channel"]
    await slack.message(MEMBER, dm, "help")
    [answer] = await eventually(lambda: dms_to(emulator, dm, "/headway help"))
    assert "Team members" in all_text(blocks_of(answer))
    await slack.message(MEMBER, dm, "projcet list")
    # the guess is shown with its usage (`/headway project list [active|paused|…]`), as the command itself answers
    await eventually(lambda: dms_to(emulator, dm, "Did you mean `/headway project list ["))
    await slack.message(MEMBER, dm, "hello there")
    await eventually(lambda: len(dms_to(emulator, dm, "/headway help")) == 2)
    await slack.message(MEMBER, dm, "gate request help")
    await eventually(lambda: dms_to(emulator, dm, "/gate request KEY"))
    before = len(emulator.calls_to("chat.postMessage"))
    await slack.event({"type": "message", "channel": dm, "channel_type": "im", "bot_id": "B0HEADWAY",
                       "text": "our own message", "ts": "1.2"})
    await slack.message(MEMBER, dm, "help")  # a later message is still answered: ours was ignored, not queued
    await eventually(lambda: len(emulator.calls_to("chat.postMessage")) > before)
    assert len(emulator.calls_to("chat.postMessage")) == before + 1


async def test_log_a_metric_shortcut(slack, emulator, clean_database):
    await make_pm(slack)
    await create(slack, emulator)
    shown = len(emulator.calls)
    result = await shortcut(slack, PM, "shortcut_log_metric")
    assert result.status == 200
    view = await filled_view(emulator, shown)
    assert view["callback_id"] == "shortcut_log_metric"
    bad = await slack.view_submission(PM, view["id"], {"project": "FRAUD", "value": "7"})
    assert "between 0 and 1" in bad.body["errors"]["value"]
    ok = await slack.view_submission(PM, view["id"], {"project": "FRAUD", "value": "0.8", "note": "from a shortcut"})
    assert ok.status == 200 and not ok.body
    [m] = await rows(clean_database, Measurement)
    assert (m.value, m.note) == (0.8, "from a shortcut")
    await eventually(lambda: dms_to(emulator, PM, "Logged"))


async def test_set_as_weekly_goal_message_shortcut(slack, emulator, clean_database):
    await make_pm(slack)
    await create(slack, emulator)
    shown = len(emulator.calls)
    await shortcut(slack, PM, "shortcut_weekly_goal",
                   message={"type": "message", "user": MEMBER, "text": "try merchant features target=0.8",
                            "ts": "1700000000.000100"})
    view = await filled_view(emulator, shown)
    assert "try merchant features" in json.dumps(view)
    result = await slack.view_submission(PM, view["id"], {"project": "FRAUD"})
    assert result.status == 200 and not result.body, result.body
    [goal] = await rows(clean_database, WeeklyGoal)
    assert "merchant features" in goal.goal and goal.target_value == 0.8


def test_the_manifest_asks_for_what_onboarding_needs():
    manifest = build_manifest("https://headway.example")
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == list(BOT_EVENTS) == [
        "app_home_opened", "message.im", "app_uninstalled", "tokens_revoked", "function_executed", "user_change",
        "app_uninstalled_team", "team_access_revoked", "member_left_channel", "member_joined_channel",
        "channel_archive", "group_archive"]
    assert {"im:history", "chat:write", "im:write", "commands", "channels:read", "groups:read"} <= set(BOT_SCOPES)
    assert [s["callback_id"] for s in manifest["features"]["shortcuts"]] == [s["callback_id"] for s in SHORTCUTS]
    assert manifest["features"]["app_home"]["messages_tab_enabled"] is True
