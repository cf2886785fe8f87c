"""Scheduled work on APScheduler 3 (asyncio), each run counted and isolated from the others."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from bot.metrics import Metrics

log = logging.getLogger("headway.jobs")
SLOW_MS = 1000.0


def _did_something(result: object) -> bool:
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return any(bool(getattr(result, f.name)) for f in dataclasses.fields(result))
    return bool(result)


def _summary(result: object) -> str:
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return ", ".join(f"{f.name} {getattr(result, f.name)}" for f in dataclasses.fields(result)
                         if getattr(result, f.name))
    return str(result)

Job = Callable[[], Awaitable[object]]


class Scheduler:
    def __init__(self, metrics: Metrics, should_run: Callable[[], bool] = lambda: True) -> None:
        self._metrics = metrics
        self._should_run = should_run  # False on replicas that are not the leader
        self._scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
        self._running: set[asyncio.Task[Any]] = set()

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
            started = time.perf_counter()
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                result = await job()
            except Exception:
                duration = round((time.perf_counter() - started) * 1000, 1)
                log.exception("job %s failed after %.1f ms", name, duration,
                              extra={"job": name, "outcome": "error", "duration_ms": duration})
                self._metrics.jobs.labels(name, "error").inc()
            else:
                duration = round((time.perf_counter() - started) * 1000, 1)
                # A run that did nothing is the normal case every minute: INFO only when it did something.
                level = logging.INFO if _did_something(result) or duration >= SLOW_MS else logging.DEBUG
                log.log(level, "job %s ok in %.1f ms%s", name, duration, f": {_summary(result)}" if result else "",
                        extra={"job": name, "outcome": "ok", "duration_ms": duration})
                self._metrics.jobs.labels(name, "ok").inc()
            finally:
                self._running.discard(task)  # type: ignore[arg-type]
                self._metrics.job_seconds.labels(name).observe(time.perf_counter() - started)

        return run

    def start(self) -> None:
        if not self._scheduler.running:
            self._scheduler.start()

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Stop scheduling, then end the jobs still running and wait until they have: APScheduler only cancels
        them, and a job left to unwind after the database is closed held its connection (and its thread) open."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        running = list(self._running)
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=timeout)
