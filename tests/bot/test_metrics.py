"""/metrics as Prometheus scrapes it: outbox backlog, leadership, build info, process collectors, API requests."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlmodel import select

from bot.db import Database
from bot.delivery.outbox import enqueue
from bot.models import Workspace
from bot.models.outbox import OutboxMessage, OutboxStatus
from bot.models.types import utcnow
from bot.render import Message
from tests.bot.test_api import api, auth  # noqa: F401  (fixture)
from tests.conftest import TEAM_ID


def value(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    assert match, f"{series} not in the scrape"
    return float(match.group(1))


async def scrape(url: str) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.get(url + "/metrics")
    assert response.status_code == 200
    return response.text


async def test_build_process_and_python_metrics_without_created_series(headway):
    text = await scrape(headway.url)
    assert re.search(r'^headway_build_info\{python="[\d.]+",version="[^"]+"\} 1\.0$', text, re.M)
    assert value(text, "process_resident_memory_bytes") > 0
    assert "python_info{" in text and "python_gc_collections_total" in text
    assert value(text, "headway_leader") == 0.0  # the scheduler is off in tests: not the leader
    assert "_created" not in text


async def test_outbox_backlog_counts_and_oldest_age(headway, clean_database):
    db = Database(clean_database)
    try:
        async with db.unit_of_work() as session:
            session.add(Workspace(team_id=TEAM_ID))
        async with db.unit_of_work() as session:
            for n in range(3):  # not due for an hour: the sender leaves them waiting
                await enqueue(session, team_id=TEAM_ID, key=f"m{n}", kind="test", channel="CNOWHERE",
                              message=Message(text="hi"), not_before=utcnow() + timedelta(hours=1))
        async with db.unit_of_work() as session:
            rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
            rows[0].status, rows[0].created_at = OutboxStatus.DEAD, utcnow() - timedelta(hours=2)
            rows[1].created_at = utcnow() - timedelta(minutes=10)
            rows[2].status = "held"  # waiting for someone to fix its channel (delivery's status)
            session.add_all(rows)
    finally:
        await db.dispose()
    text = await scrape(headway.url)
    assert value(text, 'headway_outbox_messages{status="dead"}') == 1
    assert value(text, 'headway_outbox_messages{status="pending"}') == 1
    assert value(text, 'headway_outbox_messages{status="held"}') == 1
    assert 600 <= value(text, "headway_outbox_oldest_pending_seconds") < 700  # the dead one does not count


async def test_measurement_api_requests_are_counted(api, headway):  # noqa: F811
    await api.post("/api/v1/projects/FRAUD/measurements", json={"metric": "recall", "value": 0.5},
                   headers=auth(api.token))
    await api.post("/api/v1/projects/FRAUD/measurements", json={"metric": "recall", "value": "x"},
                   headers=auth(api.token))
    text = await scrape(headway.url)
    assert value(text, 'headway_api_requests_total{endpoint="measurements",status="201"}') == 1
    assert value(text, 'headway_api_requests_total{endpoint="measurements",status="422"}') == 1
