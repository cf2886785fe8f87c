"""Faults while fanning out: 20% of Slack calls fail (429, 5xx, timeouts) and PostgreSQL restarts."""

from __future__ import annotations

import os
import subprocess
from collections import Counter

import httpx
import pytest

from bot.db import Database
from bot.delivery.outbox import enqueue
from bot.render import Message
from bot.server import HeadwayServer
from tests.bot.delivery.test_sender import add_people, delivered_keys, queue, wait_settled
from tests.conftest import TEAM_ID


@pytest.mark.slow
@pytest.mark.real_pace
async def test_a_fifth_of_calls_failing_still_delivers_everything_exactly_once(settings, clock, emulator,
                                                                                clean_database):
    people = add_people(emulator, 40)
    emulator.faults.timeout_seconds = 1.5  # a "timeout" answers after the client gave up (the post went through)
    emulator.set_fault_rate("chat.postMessage", 0.2, kinds=("500", "timeout", "429"), seed=7)
    impatient = settings.model_copy(update={"slack_timeout_seconds": 0.5})
    async with HeadwayServer(impatient, clock=clock) as server:
        server.hw.outbox.max_attempts = 20
        await queue(server, [{"key": f"chaos:{p}", "channel": p} for p in people])
        await wait_settled(clean_database, timeout=60)
    failures = Counter(c.fault for c in emulator.calls_to("chat.postMessage") if c.fault)
    assert sum(failures.values()) >= 5, failures  # the storm really happened
    assert delivered_keys(emulator) == Counter({f"chaos:{p}": 1 for p in people})


def _restart_postgres() -> None:
    version = os.listdir("/etc/postgresql")[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True,
                   capture_output=True, timeout=60)


@pytest.mark.skipif(not os.environ.get("HEADWAY_TEST_DATABASE_URL") or not os.path.isdir("/etc/postgresql"),
                    reason="needs the local PostgreSQL (HEADWAY_TEST_DATABASE_URL) and pg_ctlcluster")
# Restarting the server ends every other worker's connections: it runs alone (`.ci/run` runs it after the suite,
# `pytest -n0 -m restarts_postgresql`), never beside other tests.
@pytest.mark.skipif(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1,
                    reason="restarts PostgreSQL: run alone with -n0 -m restarts_postgresql (.ci/run does)")
@pytest.mark.slow
@pytest.mark.real_pace
@pytest.mark.restarts_postgresql
async def test_headway_recovers_by_itself_when_postgresql_restarts(headway, emulator, clean_database):
    people = add_people(emulator, 10)
    await queue(headway, [{"key": f"before:{p}", "channel": p} for p in people])
    await wait_settled(clean_database)
    _restart_postgres()  # every pooled connection of the running server is now dead
    outsider = Database(clean_database)  # rows written by someone else: the server's sender must find them
    try:
        async with outsider.unit_of_work() as session:
            for p in people:
                await enqueue(session, team_id=TEAM_ID, key=f"after:{p}", kind="test", channel=p,
                              message=Message(text="after"))
    finally:
        await outsider.dispose()
    await wait_settled(clean_database, timeout=30)
    keys = delivered_keys(emulator)
    assert all(keys[f"after:{p}"] == 1 and keys[f"before:{p}"] == 1 for p in people)
    async with httpx.AsyncClient() as client:
        health = (await client.get(headway.url + "/healthz")).json()
    assert health["database"] is True
