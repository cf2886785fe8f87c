"""Slack Bolt accepts what the driver sends and its client works against the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_emulator import SlackDriver, SlackEmulator

from .conftest import SIGNING_SECRET

MODAL = {
    "type": "modal",
    "callback_id": "goal",
    "title": {"type": "plain_text", "text": "Goal"},
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


@pytest.fixture
async def bolt_url(emu: SlackEmulator) -> AsyncIterator[str]:
    app = AsyncApp(
        signing_secret=SIGNING_SECRET,
        client=AsyncWebClient(token="xoxb-emulator", base_url=emu.api_url),
        token="xoxb-emulator",
    )

    @app.command("/goal")
    async def open_goal(ack, body, client, respond) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=MODAL)
        await respond("Opened")

    @app.view("goal")
    async def save_goal(ack, view, client, body) -> None:
        text = view["state"]["values"]["goal"]["text"]["value"]
        if len(text) < 5:
            await ack(response_action="errors", errors={"goal": "Say a bit more"})
            return
        await ack()
        await client.chat_postMessage(channel=body["user"]["id"], text=f"Goal saved: {text}")

    @app.event("app_mention")
    async def mention(event, say) -> None:
        await say(f"Hi <@{event['user']}>")

    runner = web.AppRunner(app.web_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_bolt_round_trip(emu: SlackEmulator, bolt_url: str) -> None:
    async with SlackDriver(bolt_url, SIGNING_SECRET, emu) as slack:
        command = await slack.slash_command("U0ALICE", "/goal")
        assert command.ok and (await command.wait_for_response())["text"] == "Opened"
        view = emu.top_view("U0ALICE")
        too_short = await slack.view_submission("U0ALICE", view["id"], {"goal": "hm"})
        assert too_short.errors == {"goal": "Say a bit more"} and view["id"] in emu.views
        saved = await slack.view_submission("U0ALICE", view["id"], {"goal": "Ship the ranker"})
        assert saved.ok and emu.views == {}
        assert emu.messages("U0ALICE")[-1]["text"] == "Goal saved: Ship the ranker"
        await slack.event({"type": "app_mention", "user": "U0BOB", "text": "<@U0HEADBOT> hi", "channel": "C0GENERAL"})
        await emu.wait_until(lambda: emu.messages("C0GENERAL"))
        assert emu.messages("C0GENERAL")[0]["text"] == "Hi <@U0BOB>"
        assert (await slack.slash_command("U0ALICE", "/goal", wrong_signature=True)).status == 401
