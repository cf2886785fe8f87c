"""Socket Mode end to end against the emulator's WebSocket: commands, actions, modals and events are served as over
HTTP; `headway serve --socket` with an app token Slack refuses exits with one line naming SLACK_APP_TOKEN."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.models import Project
from bot.server import HeadwayServer
from bot.slack_app import connect_socket_mode
from bot.slack_emulator import SlackDriver, SlackEmulator
from tests.bot.test_cli import run_headway
from tests.conftest import CHANNEL, MEMBER, PM, TEAM_ID
from tests.handlers.test_projects import FRAUD, create, make_pm
from tests.support import all_text, eventually, filled_view, rows

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def socket(headway: HeadwayServer, emulator: SlackEmulator) -> AsyncIterator[SlackDriver]:
    """Headway connected in Socket Mode; the driver sends envelopes through the emulator's WebSocket."""
    handler = await connect_socket_mode(headway.bolt, emulator.config.app_token)
    await emulator.wait_until(lambda: emulator.hub.connected)
    driver = SlackDriver.over_socket(emulator, team_id=TEAM_ID)
    yield driver
    await driver.aclose()
    await handler.close_async()


async def test_commands_modals_and_actions_over_the_socket(socket, emulator, clean_database):
    opened = emulator.calls_to("apps.connections.open")
    assert len(opened) == 1 and opened[0].ok
    result = await socket.slash_command(MEMBER, "/headway", "help", channel_id=CHANNEL)
    assert result.status == 200 and result.within_ack_deadline
    assert result.body["response_type"] == "ephemeral" and "/headway project new" in all_text(result.body["blocks"])

    await make_pm(socket)  # a slash command answered through its response_url
    answer = await create(socket, emulator)  # views.open + views.update, then view_submission over the socket
    assert answer.status == 200 and not answer.body
    [project] = await rows(clean_database, Project)
    assert project.key == FRAUD["key"].upper()

    again = await create(socket, emulator)  # the same key twice: inline errors come back in the ack
    assert again.body["response_action"] == "errors" and again.body["errors"]


async def test_events_and_home_actions_over_the_socket(socket, emulator):
    await make_pm(socket)
    await create(socket, emulator)
    result = await socket.event({"type": "app_home_opened", "user": PM, "tab": "home", "channel": "D0HOME"})
    assert result.status == 200
    publish = (await eventually(lambda: emulator.calls_to("views.publish")))[-1]
    assert publish.ok and "Portfolio by stage" in all_text(publish.response["view"]["blocks"])

    shown = len(emulator.calls)
    action = await socket.block_action(PM, "home_log_metric", view=publish.response["view"]["id"])
    assert action.status == 200
    await filled_view(emulator, shown)


async def test_slack_events_about_the_app_travel_over_the_socket(socket, emulator):
    emulator.config.bot_events = (*emulator.config.bot_events, "tokens_revoked")
    emulator.revoke_token()
    await emulator.flush_app_events()
    [delivery] = emulator.app_events()
    assert delivery["via"] == "socket" and delivery["type"] == "tokens_revoked"


# ------------------------------------------------------------------- the real process


def serve_env(emulator: SlackEmulator, database_url: str, app_token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "HEADWAY_", "DATABASE_URL"))}
    env.update(PYTHONPATH=str(REPO), SLACK_BOT_TOKEN=emulator.config.bot_token, SLACK_APP_TOKEN=app_token,
               SLACK_API_URL=emulator.api_url, DATABASE_URL=database_url, HEADWAY_PORT="0",
               HEADWAY_SCHEDULER="false")
    return env


async def start_serve(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--socket", cwd=str(REPO), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )


async def test_serve_socket_with_a_refused_app_token_exits_with_one_line(emulator, clean_database):
    env = serve_env(emulator, clean_database, "xapp-1-not-a-real-token")
    process = await asyncio.to_thread(run_headway, REPO, ["serve", "--socket"], env)
    lines = [line for line in process.stderr.splitlines() if line.strip()]
    assert process.returncode == 2
    assert len(lines) == 1 and "SLACK_APP_TOKEN" in lines[0] and "invalid_auth" in lines[0], lines
    assert [c.error for c in emulator.calls_to("apps.connections.open")] == ["invalid_auth"]


async def test_serve_socket_without_an_app_token_names_it(emulator, clean_database):
    env = serve_env(emulator, clean_database, "")
    process = await asyncio.to_thread(run_headway, REPO, ["serve", "--socket"], env)
    lines = [line for line in process.stderr.splitlines() if line.strip()]
    assert process.returncode == 2 and len(lines) == 1 and "SLACK_APP_TOKEN" in lines[0], lines


@pytest.mark.slow
async def test_serve_socket_process_answers_commands(emulator, clean_database):
    process = await start_serve(serve_env(emulator, clean_database, emulator.config.app_token))
    try:
        await emulator.wait_until(lambda: emulator.hub.connected or process.returncode is not None, timeout=60)
        if process.returncode is not None:
            _, stderr = await process.communicate()
            pytest.fail(f"serve --socket exited {process.returncode}:\n{stderr.decode()}")
        async with SlackDriver.over_socket(emulator, team_id=TEAM_ID) as driver:
            result = await driver.slash_command(MEMBER, "/headway", "help", channel_id=CHANNEL)
        assert result.status == 200 and "/headway project new" in all_text(result.body["blocks"])
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.communicate(), timeout=30)


@pytest.mark.parametrize(("command", "expected"), [("/headway", "/headway project new"),
                                                   ("/standup", "/standup away FROM TO"),
                                                   ("/gate", "/gate request KEY")])
async def test_every_command_answers_over_the_socket(socket, command, expected):
    result = await socket.slash_command(MEMBER, command, "help", channel_id=CHANNEL)
    assert result.status == 200
    if result.body is None:  # answered through the response_url instead of the ack
        posted = await result.wait_for_response()
        assert expected in all_text(posted.get("blocks") or []) + posted.get("text", "")
    else:
        assert expected in all_text(result.body["blocks"])


async def test_headway_reconnects_when_slack_asks(socket, emulator):
    """Slack refreshes Socket Mode connections; Headway gets a new URL (apps.connections.open is Tier 1, so this
    test lets it through sooner) and keeps serving."""
    emulator.set_rate_limit("apps.connections.open", 1.0, 5)
    assert await emulator.socket_disconnect() == 1
    await emulator.wait_until(lambda: len(emulator.calls_to("apps.connections.open")) >= 2 and emulator.hub.connected,
                              timeout=30)
    await asyncio.sleep(0.5)  # slack_sdk reconnects on the disconnect frame and again on the close: let it settle
    await emulator.wait_until(lambda: emulator.hub.connected, timeout=30)
    result = await socket.slash_command(MEMBER, "/headway", "help", channel_id=CHANNEL)
    assert result.status == 200 and "/headway project new" in all_text(result.body["blocks"])
