"""Web API behaviour over real HTTP with slack_sdk's AsyncWebClient."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_emulator import SlackEmulator


async def error_of(awaitable) -> str:
    with pytest.raises(SlackApiError) as info:
        await awaitable
    return info.value.response["error"]


async def test_auth_errors(emu: SlackEmulator, client: AsyncWebClient) -> None:
    assert (await client.auth_test())["user_id"] == emu.config.bot_user_id
    bad = AsyncWebClient(token="xoxb-wrong", base_url=emu.api_url)
    assert await error_of(bad.auth_test()) == "invalid_auth"
    async with httpx.AsyncClient() as http:
        response = await http.post(emu.api_url + "auth.test")
        assert response.json() == {"ok": False, "error": "not_authed"}
        response = await http.post(emu.api_url + "no.such", headers={"Authorization": "Bearer xoxb-emulator"})
        assert response.json()["error"] == "unknown_method"
        # token as a form parameter works too, as in Slack
        response = await http.post(emu.api_url + "auth.test", data={"token": "xoxb-emulator"})
        assert response.json()["ok"] is True
    assert [c.error for c in emu.calls_to("auth.test")] == [None, "invalid_auth", "not_authed", None]


async def test_post_update_thread_delete(emu: SlackEmulator, client: AsyncWebClient) -> None:
    first = await client.chat_postMessage(channel="C0GENERAL", text="hello")
    assert first["channel"] == "C0GENERAL" and first["message"]["text"] == "hello"
    reply = await client.chat_postMessage(channel="C0GENERAL", text="in thread", thread_ts=first["ts"])
    assert float(reply["ts"]) > float(first["ts"])
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*updated*"}}]
    updated = await client.chat_update(channel="C0GENERAL", ts=first["ts"], text="updated", blocks=blocks)
    assert updated["ts"] == first["ts"]
    messages = emu.messages("C0GENERAL")
    assert [m["text"] for m in messages] == ["updated", "in thread"]
    assert messages[0]["blocks"][0]["text"]["text"] == "*updated*" and messages[0]["reply_count"] == 1
    assert messages[1]["thread_ts"] == first["ts"]
    assert [m["ts"] for m in emu.thread("C0GENERAL", first["ts"])] == [first["ts"], reply["ts"]]
    # the recorded params hold decoded blocks
    assert emu.calls_to("chat.update")[0].params["blocks"][0]["type"] == "section"
    assert await error_of(client.chat_update(channel="C0GENERAL", ts="1.000001", text="x")) == "message_not_found"
    human = emu.add_message("C0GENERAL", "U0ALICE", "my own words")
    assert await error_of(client.chat_update(channel="C0GENERAL", ts=human["ts"], text="x")) == "cant_update_message"
    await client.chat_delete(channel="C0GENERAL", ts=reply["ts"])
    assert [m["text"] for m in emu.messages("C0GENERAL")] == ["updated", "my own words"]


async def test_post_message_errors(client: AsyncWebClient) -> None:
    assert await error_of(client.chat_postMessage(channel="C0NOPE", text="x")) == "channel_not_found"
    with pytest.warns(UserWarning, match="text"):
        assert await error_of(client.chat_postMessage(channel="C0GENERAL", text="")) == "no_text"
    assert await error_of(client.chat_postMessage(channel="C0GENERAL", text="x" * 40_001)) == "msg_too_long"
    assert await error_of(client.chat_postMessage(channel="U0GONE", text="hi")) == "user_disabled"


async def test_form_encoded_blocks_are_parsed(emu: SlackEmulator) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "from a form"}}]
    async with httpx.AsyncClient() as http:
        response = await http.post(
            emu.api_url + "chat.postMessage",
            data={"channel": "general", "text": "t", "blocks": json.dumps(blocks)},
            headers={"Authorization": "Bearer xoxb-emulator"},
        )
    assert response.json()["ok"] is True
    assert emu.messages("C0GENERAL")[0]["blocks"][0]["text"]["text"] == "from a form"


async def test_dm_by_user_id_and_conversations_open(emu: SlackEmulator, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="U0ALICE", text="psst")
    opened = await client.conversations_open(users="U0ALICE")
    assert opened["channel"]["id"] == posted["channel"] and posted["channel"].startswith("D")
    assert opened["already_open"] is True
    assert [m["text"] for m in emu.messages("U0ALICE")] == ["psst"]
    assert await error_of(client.conversations_info(channel=posted["channel"])) == "missing_scope"
    emu.set_scopes([*emu.granted_scopes(), "im:read", "channels:read"])
    info = await client.conversations_info(channel=posted["channel"])
    assert info["channel"]["is_im"] is True and info["channel"]["user"] == "U0ALICE"
    fresh = await client.conversations_open(users=["U0BOB"], return_im=True)
    assert fresh["already_open"] is False and fresh["channel"]["user"] == "U0BOB"
    assert await error_of(client.conversations_open(users="U0ALICE,U0BOB")) == "missing_scope"  # group DM
    emu.set_scopes([*emu.granted_scopes(), "mpim:write"])
    group = await client.conversations_open(users="U0ALICE,U0BOB")
    again = await client.conversations_open(users="U0BOB,U0ALICE")
    assert group["channel"]["id"] == again["channel"]["id"] and group["channel"]["id"].startswith("G")
    assert await error_of(client.conversations_open(users="U0NOBODY")) == "user_not_found"
    assert await error_of(client.conversations_info(channel="C0NOPE")) == "channel_not_found"
    general = await client.conversations_info(channel="C0GENERAL")
    assert general["channel"]["name"] == "general" and general["channel"]["is_general"] is True


async def test_post_ephemeral(emu: SlackEmulator, client: AsyncWebClient) -> None:
    result = await client.chat_postEphemeral(channel="C0GENERAL", user="U0BOB", text="only you")
    assert result["message_ts"]
    assert emu.ephemerals[0]["visible_to"] == "U0BOB" and emu.messages("C0GENERAL") == []
    # A private channel the app is not in does not exist for it; once invited, Bob must be a member too.
    assert await error_of(client.chat_postEphemeral(channel="C0PRIVATE", user="U0BOB", text="x")) == (
        "channel_not_found"
    )
    emu.invite_bot("C0PRIVATE")
    assert await error_of(client.chat_postEphemeral(channel="C0PRIVATE", user="U0BOB", text="x")) == (
        "user_not_in_channel"
    )
    assert await error_of(client.chat_postEphemeral(channel="C0GENERAL", user="U0NOBODY", text="x")) == (
        "user_not_in_channel"
    )


async def test_users_info_timezone_fields(emu: SlackEmulator, client: AsyncWebClient) -> None:
    assert "email" not in (await client.users_info(user="U0ALICE"))["user"]["profile"]  # needs users:read.email
    emu.set_scopes([*emu.granted_scopes(), "users:read.email"])
    user = (await client.users_info(user="U0ALICE"))["user"]
    expected = int(datetime.now(ZoneInfo("Europe/Berlin")).utcoffset().total_seconds())
    assert user["tz"] == "Europe/Berlin" and user["tz_offset"] == expected
    assert user["tz_label"] in ("Central European Time", "Central European Summer Time")
    assert user["profile"]["email"] == "alice@example.com" and user["profile"]["image_48"]
    assert user["team_id"] == "T0HEADWAY" and user["is_bot"] is False
    india = (await client.users_info(user="U0CAROL"))["user"]
    assert india["tz_offset"] == 19800 and india["tz_label"] == "India Standard Time"
    assert (await client.users_info(user="U0BOB"))["user"]["is_admin"] is True
    assert (await client.users_info(user="U0GONE"))["user"]["deleted"] is True
    assert await error_of(client.users_info(user="U0NOBODY")) == "user_not_found"


async def test_users_list_pagination(emu: SlackEmulator, client: AsyncWebClient) -> None:
    seen, cursor, pages = [], None, 0
    while True:
        page = await client.users_list(limit=2, cursor=cursor)
        pages += 1
        seen += [m["id"] for m in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == list(emu.users) and pages == 3  # 4 people + bot + Slackbot, 2 per page
    assert "USLACKBOT" in seen
    assert await error_of(client.users_list(cursor="bm9wZQ==")) == "invalid_cursor"
