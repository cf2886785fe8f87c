"""The HTTP surface: /slack/events (Bolt, from bot.slack_app), /healthz, /metrics and the API, served by uvicorn."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.alertmanager import alertmanager_routes
from bot.api import api_routes
from bot.app import Headway
from bot.jobs import schedule_all

log = logging.getLogger(__name__)


Endpoint = Callable[[Request], Awaitable[Response]]


def build_web_app(hw: Headway, slack_events: Endpoint, *, run_scheduler: bool = True) -> Starlette:
    """`slack_events` is the Bolt endpoint (bot.slack_app.slack_endpoint); the rest is Headway's own."""

    async def healthz(_: Request) -> Response:
        database = await hw.db.ping()
        scheduler = hw.scheduler.running or not run_scheduler
        status = "ok" if database and scheduler else "degraded"
        return JSONResponse({"status": status, "database": database, "scheduler": hw.scheduler.running,
                             "leader": hw.leadership.is_leader},
                            status_code=200 if status == "ok" else 503)

    async def metrics(_: Request) -> Response:
        return Response(hw.metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        hw.outbox.start()
        if run_scheduler:
            await hw.leadership.try_acquire()  # so the catch-up run at start happens on the leader
            hw.leadership.start()
            schedule_all(hw)
            hw.scheduler.start()
        try:
            yield
        finally:
            await hw.close()

    return Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            *api_routes(hw),
            *alertmanager_routes(hw),
        ],
        lifespan=lifespan,
    )
