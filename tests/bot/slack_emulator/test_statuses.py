"""Profile status fields and `user_change`, as Slack documents them (web-api.openapi.v2.json objs_user_profile;
events-api.asyncapi.v1.json "user.change"); users.profile.get needs users.profile:read."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.manifest import BOT_SCOPES
from bot.slack_emulator import SlackEmulator

from .conftest import SIGNING_SECRET, Receiver, make_config


async def test_status_fields_in_users_info_list_and_profile_get(emu: SlackEmulator, client: AsyncWebClient) -> None:
    profile = emu.set_status("U0ALICE", "On vacation until Friday", ":palm_tree:", 1796000000)
    assert (profile["status_text"], profile["status_emoji"], profile["status_expiration"]) == (
        "On vacation until Friday", ":palm_tree:", 1796000000)
    info = (await client.users_info(user="U0ALICE"))["user"]["profile"]
    assert (info["status_text"], info["status_emoji"], info["status_expiration"]) == (
        "On vacation until Friday", ":palm_tree:", 1796000000)
    listed = {m["id"]: m["profile"] for m in (await client.users_list())["members"]}
    assert listed["U0ALICE"]["status_emoji"] == ":palm_tree:" and listed["U0BOB"]["status_text"] == ""
    assert listed["U0BOB"]["status_expiration"] == 0
    with pytest.raises(SlackApiError) as refused:  # the manifest asks for users:read, not users.profile:read
        await client.users_profile_get(user="U0ALICE")
    assert refused.value.response["error"] == "missing_scope"
    assert refused.value.response["needed"] == "users.profile:read"
    emu.set_scopes([*BOT_SCOPES, "users.profile:read"])
    got = (await client.users_profile_get(user="U0ALICE"))["profile"]
    assert got["status_emoji"] == ":palm_tree:" and got["status_expiration"] == 1796000000
    with pytest.raises(SlackApiError) as unknown:
        await client.users_profile_get(user="U0NOBODY")
    assert unknown.value.response["error"] == "user_not_found"


async def test_setting_a_status_sends_user_change(receiver: Receiver) -> None:
    async with SlackEmulator(make_config()) as emu:  # subscribed to the manifest's events, user_change among them
        emu.set_app_endpoint(receiver.url + "/slack/events", SIGNING_SECRET)
        emu.set_status("U0CAROL", "Out sick", ":face_with_thermometer:")
        await emu.flush_app_events()
        [request] = receiver.requests
        event = request["body"]["event"]
        assert request["valid"] and event["type"] == "user_change" and "cache_ts" in event
        assert event["user"]["id"] == "U0CAROL" and event["user"]["profile"]["status_text"] == "Out sick"
        with pytest.raises(ValueError):
            emu.set_status("U0CAROL", "", "palm_tree")  # not an emoji code
    async with SlackEmulator(make_config(bot_events=("app_home_opened",))) as emu:
        emu.set_app_endpoint(receiver.url + "/slack/events", SIGNING_SECRET)
        emu.set_status("U0CAROL", "Out sick")
        await emu.flush_app_events()
        assert emu.app_events()[0]["status"] == "not_subscribed"


async def test_set_status_over_the_control_api(emu: SlackEmulator) -> None:
    async with httpx.AsyncClient(base_url=emu.base_url) as http:
        response = await http.post("/_emulator/rpc", json={"op": "set_status", "args": {
            "user_id": "U0BOB", "text": "Parental leave", "emoji": ":baby:"}})
        assert response.status_code == 200 and response.json()["result"]["status_emoji"] == ":baby:"
    assert emu.users["U0BOB"].status_text == "Parental leave"
