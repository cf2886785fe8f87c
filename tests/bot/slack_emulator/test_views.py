"""Modals and App Home: trigger_id rules, stacks, hashes, validation."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_emulator import SlackEmulator

from .conftest import make_config

VIEW = {
    "type": "modal",
    "callback_id": "goal",
    "title": {"type": "plain_text", "text": "Weekly goal"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "goal",
            "label": {"type": "plain_text", "text": "Goal"},
            "element": {"type": "plain_text_input", "action_id": "text"},
        }
    ],
}


async def error_of(awaitable) -> tuple[str, dict]:
    with pytest.raises(SlackApiError) as info:
        await awaitable
    return info.value.response["error"], info.value.response.data


async def test_views_open_trigger_rules(emu: SlackEmulator, client: AsyncWebClient) -> None:
    trigger = emu.issue_trigger("U0ALICE")
    opened = await client.views_open(trigger_id=trigger, view=VIEW)
    view = opened["view"]
    assert view["id"].startswith("V") and view["hash"] and view["callback_id"] == "goal"
    assert view["root_view_id"] == view["id"] and view["state"] == {"values": {}}
    assert emu.views[view["id"]]["blocks"][0]["block_id"] == "goal"
    assert emu.top_view("U0ALICE")["id"] == view["id"]
    assert (await error_of(client.views_open(trigger_id=trigger, view=VIEW)))[0] == "exchanged_trigger_id"
    assert (await error_of(client.views_open(trigger_id="1.2.nope", view=VIEW)))[0] == "invalid_trigger_id"


async def test_views_open_expired_trigger() -> None:
    async with SlackEmulator(make_config(trigger_ttl_seconds=0.05)) as emu:
        client = AsyncWebClient(token="xoxb-emulator", base_url=emu.api_url)
        trigger = emu.issue_trigger("U0ALICE")
        await asyncio.sleep(0.1)
        assert (await error_of(client.views_open(trigger_id=trigger, view=VIEW)))[0] == "expired_trigger_id"
        assert emu.views == {}


async def test_invalid_view_is_rejected_and_trigger_kept(emu: SlackEmulator, client: AsyncWebClient) -> None:
    trigger = emu.issue_trigger("U0ALICE")
    bad = {**VIEW, "title": {"type": "plain_text", "text": "A title that is far too long"}}
    error, body = await error_of(client.views_open(trigger_id=trigger, view=bad))
    assert error == "invalid_arguments" and body["response_metadata"]["messages"]
    no_submit = {k: v for k, v in VIEW.items() if k != "submit"}
    assert (await error_of(client.views_open(trigger_id=trigger, view=no_submit)))[0] == "invalid_arguments"
    assert emu.views == {}
    assert (await client.views_open(trigger_id=trigger, view=VIEW))["ok"]


async def test_update_push_and_hash(emu: SlackEmulator, client: AsyncWebClient) -> None:
    root = (await client.views_open(trigger_id=emu.issue_trigger("U0BOB"), view={**VIEW, "external_id": "ext-1"}))[
        "view"
    ]
    changed = {**VIEW, "title": {"type": "plain_text", "text": "Changed"}}
    updated = (await client.views_update(view_id=root["id"], view=changed, hash=root["hash"]))["view"]
    assert updated["id"] == root["id"] and updated["hash"] != root["hash"]
    assert emu.views[root["id"]]["title"]["text"] == "Changed"
    assert (await error_of(client.views_update(view_id=root["id"], view=changed, hash=root["hash"])))[0] == (
        "hash_conflict"
    )
    by_external = await client.views_update(external_id="ext-1", view=VIEW)
    assert by_external["view"]["id"] == root["id"]
    assert (await error_of(client.views_update(view_id="V0MISSING", view=VIEW)))[0] == "not_found"
    pushed = [(await client.views_push(trigger_id=emu.issue_trigger("U0BOB"), view=VIEW))["view"] for _ in range(2)]
    assert pushed[0]["previous_view_id"] == root["id"] and pushed[1]["root_view_id"] == root["id"]
    error, _ = await error_of(client.views_push(trigger_id=emu.issue_trigger("U0BOB"), view=VIEW))
    assert error == "push_limit_reached"


async def test_views_publish_home(emu: SlackEmulator, client: AsyncWebClient) -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}]}
    first = (await client.views_publish(user_id="U0ALICE", view=home))["view"]
    second = (await client.views_publish(user_id="U0ALICE", view=home, hash=first["hash"]))["view"]
    assert first["id"] == second["id"] and emu.home_view("U0ALICE")["type"] == "home"
    assert (await error_of(client.views_publish(user_id="U0ALICE", view=home, hash="stale")))[0] == "hash_conflict"
    assert (await error_of(client.views_publish(user_id="U0ALICE", view=VIEW)))[0] == "invalid_arguments"
    assert (await error_of(client.views_publish(user_id="U0NOBODY", view=home)))[0] == "user_not_found"
