"""The HTTP surface: Slack's signature is checked, /healthz and /metrics answer."""

import httpx

from bot.db import Database
from bot.models import Person
from tests.conftest import ADMIN, CHANNEL, MEMBER
from tests.support import rows


async def test_wrong_signature_is_401_and_changes_nothing(slack, emulator, clean_database):
    result = await slack.slash_command(ADMIN, "/headway", f"role <@{MEMBER}> pm", channel_id=CHANNEL,
                                       wrong_signature=True)
    assert result.status == 401
    assert await rows(clean_database, Person) == []
    assert not emulator.calls_to("users.info")


async def test_stale_timestamp_is_401(slack, clean_database):
    result = await slack.slash_command(ADMIN, "/headway", f"role <@{MEMBER}> pm", channel_id=CHANNEL,
                                       old_timestamp=True)
    assert result.status == 401
    assert await rows(clean_database, Person) == []


async def test_healthz_reports_database_and_scheduler(headway):
    async with httpx.AsyncClient() as client:
        response = await client.get(headway.url + "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "scheduler": False, "leader": False, "slack": "ok",
                               "delivery": {"paused": False, "why": {}}}


async def test_healthz_is_503_when_the_database_is_unreachable(headway):
    working = headway.hw.db
    headway.hw.db = Database("postgresql+asyncpg://127.0.0.1:1/nowhere")  # nothing listens on port 1
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(headway.url + "/healthz")
    finally:
        await headway.hw.db.dispose()
        headway.hw.db = working
    assert response.status_code == 503
    assert response.json()["database"] is False


async def test_metrics_count_requests_acks_and_slack_calls(slack, headway):
    result = await slack.slash_command(ADMIN, "/headway", f"role <@{MEMBER}>", channel_id=CHANNEL)
    await result.wait_for_response()
    async with httpx.AsyncClient() as client:
        text = (await client.get(headway.url + "/metrics")).text
    assert 'headway_slack_requests_total{kind="command"} 1.0' in text
    assert 'headway_ack_seconds_count{kind="command"} 1.0' in text
    assert 'headway_slack_api_calls_total{method="users.info",status="ok"}' in text
    assert 'headway_slack_api_calls_total{method="response_url",status="ok"} 1.0' in text


async def test_healthz_says_when_slack_refuses_the_bot_token(headway, emulator):
    emulator.disable_token("invalid_auth")  # the token Headway holds is no longer valid
    async with httpx.AsyncClient() as client:
        response = await client.get(headway.url + "/healthz")
    assert response.status_code == 503
    assert response.json()["slack"] == "invalid_auth" and response.json()["status"] == "degraded"
