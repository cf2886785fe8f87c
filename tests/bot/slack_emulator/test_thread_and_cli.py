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
