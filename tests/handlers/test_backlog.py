"""A full backlog answers at once: a command hears "busy" in its ack, other requests do their work before the ack.

The bound is set to zero here, so every request finds the work behind acks full."""

from __future__ import annotations

import httpx
import pytest

from bot.config import Settings, load_settings
from bot.slack_emulator import SlackEmulator
from tests.conftest import EXEC, PM, SIGNING_SECRET
from tests.handlers.test_home import open_home
from tests.support import all_text


@pytest.fixture
def settings(clean_database: str, emulator: SlackEmulator) -> Settings:
    return load_settings(
        slack_bot_token=emulator.config.bot_token, slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.api_url, database_url=clean_database, host="127.0.0.1", port=0,
        scheduler_enabled=False, backlog_max_queued=0,
    )


async def test_a_command_is_answered_busy_in_its_ack_when_the_backlog_is_full(slack, emulator, headway):
    result = await slack.slash_command(PM, "/gate", "status")
    assert result.status == 200
    assert result.body["response_type"] == "ephemeral" and "busy" in result.body["text"]
    await slack.slash_command(PM, "/gate", "status")
    scraped = await scrape(headway)
    assert 'headway_background_shed_total{how="command"} 2.0' in scraped
    assert not emulator.responses  # nothing was queued to answer later


async def test_other_requests_do_their_work_before_the_ack_when_the_backlog_is_full(slack, emulator, headway):
    before = len(emulator.calls_to("views.publish"))
    result = await slack.event({"type": "app_home_opened", "user": EXEC, "tab": "home", "channel": "D0HOME"})
    assert result.status == 200
    # the Home tab was published before Slack got its answer: inline, not queued
    assert len(emulator.calls_to("views.publish")) == before + 1
    assert "Portfolio" in all_text((await open_home(slack, emulator, EXEC))["blocks"])
    scraped = await scrape(headway)
    assert 'headway_background_shed_total{how="inline"}' in scraped


async def scrape(headway) -> str:
    async with httpx.AsyncClient() as client:
        return (await client.get(headway.url + "/metrics")).text
