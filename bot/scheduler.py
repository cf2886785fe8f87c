"""Scheduled work on APScheduler 3 (asyncio), each run counted and isolated from the others."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from bot.metrics import Metrics

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class Scheduler:
    def __init__(self, metrics: Metrics, should_run: Callable[[], bool] = lambda: True) -> None:
        self._metrics = metrics
        self._should_run = should_run  # False on replicas that are not the leader
        self._scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})

    @property
    def running(self) -> bool:
        return self._scheduler.running

    def add(self, name: str, job: Job, trigger: BaseTrigger, *, run_at_start: bool = True) -> None:
        """Register a job; by default it also runs right after start, to catch up after downtime."""
        extra = {"next_run_time": datetime.now(UTC)} if run_at_start else {}
        self._scheduler.add_job(self._counted(name, job), trigger, id=name, name=name, replace_existing=True,
                                misfire_grace_time=60, **extra)

    def _counted(self, name: str, job: Job) -> Job:
        async def run() -> None:
            if not self._should_run():
                return
            try:
                await job()
            except Exception:
                log.exception("scheduled job %s failed", name)
                self._metrics.jobs.labels(name, "error").inc()
            else:
                self._metrics.jobs.labels(name, "ok").inc()

        return run

    def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
