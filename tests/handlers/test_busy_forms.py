"""A form saved in its ack answers within the budget: saved, or "busy" inline with nothing saved."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest

from bot import save_budget
from bot.models import Project
from bot.slack_emulator import slack_signature
from tests.conftest import PM, SIGNING_SECRET
from tests.handlers.test_projects import FRAUD, make_pm, open_form
from tests.support import eventually, rows


@contextlib.asynccontextmanager
async def database_busy(headway) -> AsyncIterator[None]:
    """Every turn at the database is taken by other work (a burst): a save must wait for one."""
    release = asyncio.Event()
    started: list[int] = []

    async def hold() -> None:
        async with headway.hw.db.unit_of_work():
            started.append(1)
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(headway.hw.db.turns)]
    await eventually(lambda: len(started) == len(holders))
    try:
        yield
    finally:
        release.set()
        await asyncio.gather(*holders)


async def test_a_form_that_cannot_be_saved_in_time_says_busy_inline_and_saves_nothing(
    slack, emulator, headway, clean_database, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(save_budget, "SAVE_BUDGET", 0.3)  # the budget is 2 s; a test need not wait that long
    await make_pm(slack)
    view_id = await open_form(slack, emulator, PM)
    async with database_busy(headway):
        refused = await slack.view_submission(PM, view_id, FRAUD)
    assert refused.status == 200
    assert refused.body["response_action"] == "errors"
    assert list(refused.body["errors"].values()) == [save_budget.BUSY]
    assert set(refused.body["errors"]) <= {b.get("block_id") for b in emulator.views[view_id]["blocks"]}
    assert await rows(clean_database, Project) == []  # busy means nothing saved

    monkeypatch.undo()  # the usual budget again
    saved = await slack.view_submission(PM, view_id, FRAUD)  # submitted again once the burst is over
    assert saved.status == 200 and not saved.body
    assert [p.key for p in await rows(clean_database, Project)] == ["FRAUD"]


async def test_a_form_that_waited_before_headway_saw_it_says_busy_at_once(slack, emulator, headway, clean_database):
    """Slack sent it 3 s ago (it queued in front of the server during a burst): waiting for a turn now could only
    answer after Slack gave up, so it is answered busy at once, with nothing saved."""
    await make_pm(slack)
    view_id = await open_form(slack, emulator, PM)
    template = (await slack.view_submission(PM, view_id, dict(FRAUD, key="FIRST"))).payload
    body = urlencode({"payload": json.dumps(template).replace('"FIRST"', '"LATE"')})
    sent = int(time.time()) - 3
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": str(sent),
               "X-Slack-Signature": slack_signature(SIGNING_SECRET, sent, body)}
    async with database_busy(headway), httpx.AsyncClient(timeout=10) as http:
        began = time.monotonic()
        refused = await http.post(headway.url + "/slack/events", content=body.encode(), headers=headers)
        waited = time.monotonic() - began
    assert refused.status_code == 200 and list(refused.json()["errors"].values()) == [save_budget.BUSY]
    assert waited < save_budget.SAVE_BUDGET / 2  # not after the 2 s a fresh request may wait for its turn
    assert [p.key for p in await rows(clean_database, Project)] == ["FIRST"]  # the late one saved nothing


async def test_a_form_saved_while_the_work_behind_acks_is_full_answers_at_once_and_is_confirmed_after(
        slack, emulator, headway, clean_database, monkeypatch):
    """Nothing more can be queued, yet a form's confirmation is not run inside its ack: it may wait (here Slack's
    response_url is slow), and the ack would come after Slack gave up. It is queued all the same."""
    await make_pm(slack)
    view_id = await open_form(slack, emulator, PM)
    monkeypatch.setattr(headway.hw.background, "max_queued", 0)  # every request finds the backlog full
    emulator.slow_next("response_url", seconds=2.0)
    began = time.monotonic()
    saved = await slack.view_submission(PM, view_id, FRAUD)
    assert saved.status == 200 and not saved.body
    assert time.monotonic() - began < 1.5  # not after the slow confirmation
    assert [p.key for p in await rows(clean_database, Project)] == ["FRAUD"]
    await eventually(lambda: [r for r in emulator.responses if r["user_id"] == PM], timeout=10)
