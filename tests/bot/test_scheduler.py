"""Scheduled jobs end with the scheduler: none is left running after Headway closes its database."""

from __future__ import annotations

import asyncio

from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text

from bot.db import Database
from bot.metrics import Metrics
from bot.scheduler import Scheduler


async def test_a_job_still_running_at_shutdown_has_ended_and_given_back_its_connection(clean_database):
    db = Database(clean_database)
    inside, ended = asyncio.Event(), asyncio.Event()

    async def slow_job() -> None:
        try:
            async with db.unit_of_work() as session:
                await session.exec(text("SELECT 1"))  # type: ignore[call-overload]
                inside.set()
                await asyncio.Event().wait()  # still at work when the process shuts down
        finally:
            ended.set()

    scheduler = Scheduler(Metrics())
    scheduler.add("slow", slow_job, IntervalTrigger(hours=1))  # runs at start
    scheduler.start()
    try:
        await asyncio.wait_for(inside.wait(), timeout=10)
        assert db.engine.pool.checkedout() == 1
        await scheduler.shutdown()
        # APScheduler only cancels a job: before, it was still unwinding here, holding its connection while the
        # database was closed after it (an aiosqlite thread left behind, a PostgreSQL connection never closed).
        assert ended.is_set()
        assert db.engine.pool.checkedout() == 0
    finally:
        await db.dispose()
