"""Channel membership and privacy, scopes, revoked tokens, uninstall/reinstall: refused the way Slack refuses."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.manifest import BOT_SCOPES
from bot.slack_emulator import SlackEmulator

from .conftest import SIGNING_SECRET, Receiver, make_config


async def answer_of(awaitable) -> dict:
    with pytest.raises(SlackApiError) as info:
        await awaitable
    return dict(info.value.response.data)


async def error_of(awaitable) -> str:
    return (await answer_of(awaitable))["error"]


@pytest.fixture
def channels(emu: SlackEmulator) -> SlackEmulator:
    emu.add_channel(id="C0PUBLIC", name="public")  # the app was never invited
    emu.add_channel(id="C0HIDDEN", name="hidden", is_private=True, members=["U0ALICE"])
    emu.add_channel(id="C0OLD", name="old", is_archived=True, bot_member=True)
    return emu


async def test_private_channel_needs_membership(channels: SlackEmulator, client: AsyncWebClient) -> None:
    assert await error_of(client.chat_postMessage(channel="C0HIDDEN", text="hi")) == "channel_not_found"
    assert await error_of(client.conversations_info(channel="C0HIDDEN")) == "channel_not_found"
    assert channels.messages("C0HIDDEN") == []
    channels.invite_bot("C0HIDDEN")
    await client.chat_postMessage(channel="C0HIDDEN", text="hi")
    assert [m["text"] for m in channels.messages("C0HIDDEN")] == ["hi"]
    channels.remove_bot("C0HIDDEN")
    assert await error_of(client.chat_postMessage(channel="C0HIDDEN", text="again")) == "channel_not_found"


async def test_public_channel_needs_membership_or_chat_write_public(
    channels: SlackEmulator, client: AsyncWebClient
) -> None:
    assert "chat:write.public" in BOT_SCOPES  # the manifest asks for it, so a public channel takes posts
    await client.chat_postMessage(channel="C0PUBLIC", text="via chat:write.public")
    channels.set_scopes([s for s in BOT_SCOPES if s != "chat:write.public"])
    assert await error_of(client.chat_postMessage(channel="C0PUBLIC", text="x")) == "not_in_channel"
    channels.invite_bot("C0PUBLIC")
    await client.chat_postMessage(channel="C0PUBLIC", text="as a member")
    assert [m["text"] for m in channels.messages("C0PUBLIC")] == ["via chat:write.public", "as a member"]


async def test_reading_history_needs_membership_even_with_chat_write_public(
    channels: SlackEmulator, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel="C0PUBLIC", text="posted")
    assert await error_of(client.conversations_history(channel="C0PUBLIC")) == "not_in_channel"
    channels.invite_bot("C0PUBLIC")
    assert len((await client.conversations_history(channel="C0PUBLIC"))["messages"]) == 1


async def test_archived_channel(channels: SlackEmulator, client: AsyncWebClient) -> None:
    assert await error_of(client.chat_postMessage(channel="C0OLD", text="x")) == "is_archived"
    channels.archive_channel("C0GENERAL")
    assert await error_of(client.chat_postMessage(channel="C0GENERAL", text="x")) == "is_archived"
    channels.archive_channel("C0GENERAL", archived=False)
    await client.chat_postMessage(channel="C0GENERAL", text="back")


async def test_conversations_info_reports_membership_privacy_archive(
    channels: SlackEmulator, client: AsyncWebClient
) -> None:
    without_read = [s for s in BOT_SCOPES if s not in ("channels:read", "groups:read")]
    channels.set_scopes(without_read)
    assert await error_of(client.conversations_info(channel="C0PUBLIC")) == "missing_scope"  # channels:read
    channels.set_scopes([*without_read, "channels:read", "groups:read"])
    public = (await client.conversations_info(channel="C0PUBLIC"))["channel"]
    assert (public["is_member"], public["is_private"], public["is_archived"]) == (False, False, False)
    channels.invite_bot("C0HIDDEN")
    hidden = (await client.conversations_info(channel="C0HIDDEN"))["channel"]
    assert (hidden["is_member"], hidden["is_private"], hidden["is_archived"]) == (True, True, False)
    old = (await client.conversations_info(channel="C0OLD"))["channel"]
    assert old["is_archived"] is True


async def test_conversations_join(channels: SlackEmulator, client: AsyncWebClient) -> None:
    answer = await answer_of(client.conversations_join(channel="C0PUBLIC"))
    assert answer["error"] == "missing_scope" and answer["needed"] == "channels:join"
    channels.set_scopes([*BOT_SCOPES, "channels:join"])
    await client.conversations_join(channel="C0PUBLIC")
    assert (await client.conversations_history(channel="C0PUBLIC"))["ok"]
    assert await error_of(client.conversations_join(channel="C0HIDDEN")) == "channel_not_found"
    assert await error_of(client.conversations_join(channel="C0OLD")) == "is_archived"


async def test_missing_scope_names_needed_and_provided(emu: SlackEmulator, client: AsyncWebClient) -> None:
    emu.set_scopes(["commands", "users:read"])
    answer = await answer_of(client.chat_postMessage(channel="C0GENERAL", text="x"))
    assert answer["needed"] == "chat:write" and answer["provided"] == "commands,users:read"
    assert (await answer_of(client.conversations_open(users="U0ALICE")))["needed"] == "im:write"
    assert (await answer_of(client.conversations_history(channel="C0GENERAL")))["needed"] == "channels:history"
    assert (await client.users_info(user="U0ALICE"))["ok"]
    assert emu.messages("C0GENERAL") == []


async def test_auth_test_returns_granted_scopes_header(emu: SlackEmulator, client: AsyncWebClient) -> None:
    answer = await client.auth_test()
    assert answer.headers["x-oauth-scopes"] == ",".join(BOT_SCOPES)
    emu.set_scopes(["chat:write"])
    assert (await client.auth_test()).headers["x-oauth-scopes"] == "chat:write"


async def test_token_errors(emu: SlackEmulator, client: AsyncWebClient) -> None:
    emu.disable_token("account_inactive")
    assert await error_of(client.auth_test()) == "account_inactive"
    emu.disable_token("invalid_auth")
    assert await error_of(client.chat_postMessage(channel="C0GENERAL", text="x")) == "invalid_auth"
    app_client = AsyncWebClient(token=emu.config.app_token, base_url=emu.api_url, retry_handlers=[])
    assert await error_of(app_client.chat_postMessage(channel="C0GENERAL", text="x")) == "not_allowed_token_type"


async def test_uninstall_revokes_and_tells_the_app_reinstall_issues_a_new_token(receiver: Receiver) -> None:
    config = make_config(bot_events=("app_home_opened", "app_uninstalled", "tokens_revoked"))
    async with SlackEmulator(config) as emu:
        emu.set_app_endpoint(receiver.url + "/slack/events", SIGNING_SECRET)
        old = AsyncWebClient(token=emu.bot_token, base_url=emu.api_url, retry_handlers=[])
        await old.chat_postMessage(channel="C0GENERAL", text="before")
        emu.uninstall()
        await emu.flush_app_events()
        assert await error_of(old.chat_postMessage(channel="C0GENERAL", text="lost?")) == "token_revoked"
        assert await error_of(old.auth_test()) == "token_revoked"
        delivered = [(r["body"]["event"]["type"], r["valid"]) for r in receiver.requests]
        assert delivered == [("tokens_revoked", True), ("app_uninstalled", True)]
        assert receiver.requests[0]["body"]["event"]["tokens"]["bot"] == [emu.config.bot_user_id]
        assert [e["status"] for e in emu.app_events()] == [200, 200]
        token = emu.reinstall()
        assert token != old.token and token == emu.bot_token
        fresh = AsyncWebClient(token=token, base_url=emu.api_url, retry_handlers=[])
        await fresh.chat_postMessage(channel="C0GENERAL", text="after")
        assert await error_of(old.auth_test()) == "token_revoked"
        assert [m["text"] for m in emu.messages("C0GENERAL")] == ["before", "after"]


async def test_events_reach_only_subscribed_apps(receiver: Receiver) -> None:
    async with SlackEmulator(make_config(bot_events=("app_home_opened",))) as emu:
        emu.set_app_endpoint(receiver.url + "/slack/events", SIGNING_SECRET)
        emu.revoke_token()
        await emu.flush_app_events()
        assert receiver.requests == [] and emu.app_events()[0]["status"] == "not_subscribed"


async def test_control_api_over_http(emu: SlackEmulator) -> None:
    async with httpx.AsyncClient(base_url=emu.base_url) as http:

        async def rpc(op: str, **args) -> object:
            response = await http.post("/_emulator/rpc", json={"op": op, "args": args})
            assert response.status_code == 200, response.text
            return response.json()["result"]

        await rpc("archive_channel", channel="C0GENERAL")
        await rpc("invite_bot", channel="C0PRIVATE")
        await rpc("set_scopes", scopes=["chat:write"])
        assert await rpc("granted_scopes") == ["chat:write"]
        token = await rpc("reinstall")
        assert token == emu.bot_token
    assert emu.state.channels["C0GENERAL"].is_archived and emu.state.is_member("C0PRIVATE", emu.config.bot_user_id)
