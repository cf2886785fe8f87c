"""Sync use through EmulatorThread and the standalone `python -m bot.slack_emulator`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_emulator import EmulatorThread

from .conftest import make_config

REPO = Path(__file__).resolve().parents[3]


def test_emulator_thread_for_sync_code() -> None:
    with EmulatorThread(make_config()) as emu:
        client = WebClient(token="xoxb-emulator", base_url=emu.api_url)
        posted = client.chat_postMessage(channel="U0BOB", text="from sync code")
        assert emu.messages("U0BOB")[0]["ts"] == posted["ts"]
        assert [c.method for c in emu.calls] == ["chat.postMessage"]
        emu.fail_next("users.info", error="user_not_found")
        with pytest.raises(SlackApiError):
            client.users_info(user="U0BOB")
        assert emu.calls_to("users.info")[0].fault == "error:user_not_found"
        emu.reset()
        assert emu.calls == []


def test_standalone_process_prints_api_url(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    users.write_text(json.dumps([{"id": "U0DANA", "name": "dana", "tz": "Europe/Lisbon"}]))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.slack_emulator", "--port", "0", "--users", str(users), "--no-rate-limits"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        api_url = process.stdout.readline().strip()
        assert api_url.startswith("http://127.0.0.1:") and api_url.endswith("/api/")
        client = WebClient(token="xoxb-emulator", base_url=api_url)
        assert client.users_info(user="U0DANA")["user"]["tz"] == "Europe/Lisbon"
        calls = httpx.get(api_url.removesuffix("api/") + "_emulator/calls").json()["calls"]
        assert [c["method"] for c in calls] == ["users.info"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_standalone_process_serves_more_workspaces_each_with_its_own_post_budget(tmp_path: Path) -> None:
    """Slack limits "per API method per app per workspace" (docs.slack.dev/apis/web-api/rate-limits): a second
    workspace of the users file has its own token and its own chat.postMessage budget (burst 1 at 6 a minute)."""
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"team_id": "T0AAAA", "users": [{"id": "U0ANA", "name": "ana"}],
                                 "workspaces": [{"team_id": "T0BBBB", "bot_token": "xoxb-emulator-b",
                                                 "users": [{"id": "U0BEA", "name": "bea"}]}]}))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.slack_emulator", "--port", "0", "--users", str(users), "--post-budget", "6"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO,
    )
    try:
        api_url = process.stdout.readline().strip()
        alpha = WebClient(token="xoxb-emulator", base_url=api_url, retry_handlers=[])
        beta = WebClient(token="xoxb-emulator-b", base_url=api_url, retry_handlers=[])
        alpha.chat_postMessage(channel="U0ANA", text="one")
        with pytest.raises(SlackApiError) as refused:  # Alpha's budget is spent…
            alpha.chat_postMessage(channel="C0GENERAL", text="two")
        assert refused.value.response.status_code == 429
        beta.chat_postMessage(channel="U0BEA", text="…Beta's is its own")
        assert beta.auth_test()["team_id"] == "T0BBBB"
        control = api_url.removesuffix("api/") + "_emulator/calls"
        by_team = {team: [(c["method"], c["status"]) for c in httpx.get(control, params={"team_id": team}).json()[
            "calls"]] for team in ("T0AAAA", "T0BBBB")}
        assert by_team == {"T0AAAA": [("chat.postMessage", 200), ("chat.postMessage", 429)],
                           "T0BBBB": [("chat.postMessage", 200), ("auth.test", 200)]}
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_standalone_emulator_keeps_its_history_out_of_full_collections() -> None:
    """Its recorded calls only grow; a full collection walking them would pause answers (counted as Slack's)."""
    import asyncio
    import gc

    from bot.slack_emulator.__main__ import keep_history_out_of_gc

    gc.unfreeze()
    keeping = asyncio.create_task(keep_history_out_of_gc(every=0.01))
    try:
        await asyncio.sleep(0.05)
        assert gc.get_freeze_count() > 1000
    finally:
        keeping.cancel()
        gc.unfreeze()
