"""Two `headway serve` replicas on one database: both serve, one leads scheduled work, the other takes over."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.db import Database
from bot.migrate import upgrade
from bot.models import Person, Standup, StandupParticipant, Workspace
from bot.slack_emulator import EmulatorConfig, EmulatorThread, EmulatorUser
from tests.bot.test_cli import free_port
from tests.handlers.standup_support import outbox_key

PEOPLE = [f"UREP{i:04d}" for i in range(12)]


@pytest.fixture
def replica_db(scratch_database) -> str:
    url = scratch_database()
    upgrade(url)
    return url


async def seed_due_standup(url: str) -> None:
    """A standup whose 'now' (UTC) prompt is due, with twelve people in UTC."""
    now = datetime.now(UTC)
    db = Database(url)
    async with db.unit_of_work() as session:
        session.add(Workspace(team_id="T0HEADWAY", name="demo"))
        await session.flush()
        due = (now - timedelta(minutes=1)).strftime("%H:%M")
        standup = Standup(team_id="T0HEADWAY", name="replicas", channel_id="C0GENERAL",
                          weekdays="mon,tue,wed,thu,fri,sat,sun", local_time=due,
                          reminder_minutes=120, cutoff_minutes=600, questions='["How is it going?"]')
        session.add(standup)
        await session.flush()
        for user_id in PEOPLE:
            session.add(Person(team_id="T0HEADWAY", user_id=user_id, name=user_id.lower(), tz="UTC"))
            session.add(StandupParticipant(team_id="T0HEADWAY", standup_id=standup.id, user_id=user_id))
    await db.dispose()


def start_replica(tmp_path: Path, name: str, url: str, api_url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "DATABASE_URL": url, "SLACK_API_URL": api_url,
           "SLACK_BOT_TOKEN": "xoxb-emulator", "SLACK_SIGNING_SECRET": "secret", "HEADWAY_PORT": str(port)}
    if os.environ.get("PYTHONPATH"):  # which checkout's code runs, when a shared virtualenv serves several
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    log = (tmp_path / f"{name}.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], cwd=tmp_path, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    return process, f"http://127.0.0.1:{port}"


def health(base: str) -> dict | None:
    try:
        response = httpx.get(base + "/healthz", timeout=2)
        return response.json() if response.status_code == 200 else None
    except httpx.TransportError:
        return None


def wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_one_leader_exactly_once_work_and_failover(tmp_path: Path, replica_db: str) -> None:
    asyncio.run(seed_due_standup(replica_db))
    users = [EmulatorUser(id=u, name=u.lower(), tz="UTC") for u in PEOPLE]
    with EmulatorThread(EmulatorConfig(users=users)) as slack:
        first, first_url = start_replica(tmp_path, "first", replica_db, slack.api_url)
        second, second_url = start_replica(tmp_path, "second", replica_db, slack.api_url)
        try:
            states = wait(lambda: (h1 := health(first_url)) and (h2 := health(second_url)) and (h1, h2), 30,
                          "both replicas to serve")
            leaders = [name for name, state in zip(("first", "second"), states, strict=True) if state["leader"]]
            assert len(leaders) == 1, states

            def prompts() -> Counter:
                return Counter(outbox_key(c) for c in slack.calls_to("chat.postMessage") if c.response.get("ok")
                               and outbox_key(c).endswith(":prompt"))

            wait(lambda: len(prompts()) == len(PEOPLE), 30, "every prompt")
            time.sleep(1.5)  # give a second scheduler the chance to misbehave
            assert set(prompts().values()) == {1}, prompts()

            leader, follower_url = (first, second_url) if leaders == ["first"] else (second, first_url)
            leader.send_signal(signal.SIGKILL)
            leader.wait(timeout=10)
            started = time.monotonic()
            wait(lambda: (h := health(follower_url)) and h["leader"], 15, "the other replica to take over")
            assert time.monotonic() - started < 10
        finally:
            for process in (first, second):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=15)
