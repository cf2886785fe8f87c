"""The HTTP surface: /slack/events (Bolt, from bot.slack_app), /healthz, /metrics and the API, served by uvicorn."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.alertmanager import alertmanager_routes
from bot.api import api_routes
from bot.app import Headway
from bot.body_limit import BodyLimit
from bot.delivery import backlog
from bot.health import SlackAuthProbe
from bot.jobs import schedule_all
from bot.mlflow_webhook import mlflow_webhook_routes
from bot.openapi import openapi_routes
from bot.wandb import wandb_routes

log = logging.getLogger(__name__)
request_log = logging.getLogger("headway.requests")


Endpoint = Callable[[Request], Awaitable[Response]]


def build_web_app(hw: Headway, slack_events: Endpoint, *, run_scheduler: bool = True,
                  slack_oauth: Endpoint | None = None) -> Starlette:
    """`slack_events` is the Bolt endpoint (bot.slack_app.slack_endpoint), `slack_oauth` Bolt's OAuth flow
    (bot.slack_app.oauth_endpoint, with "Add to Slack" only); the rest is Headway's own."""

    slack_auth = SlackAuthProbe(hw.gateway.client, hw.outbox.paused)

    async def healthz(_: Request) -> Response:
        database = await hw.db.ping()
        scheduler = hw.scheduler.running or not run_scheduler
        paused = dict(hw.outbox.paused.why)  # team_id -> why sending stopped (token revoked, app uninstalled)
        if hw.installations is None:  # one workspace: its token is the replica's health
            slack_ok, slack_problem = await slack_auth.status()
            status = "ok" if database and scheduler and slack_ok and not paused else "degraded"
        else:  # many: one workspace's uninstall is that workspace's state, not the replica's failure
            slack_ok, slack_problem = True, None
            status = "ok" if database and scheduler else "degraded"
        answer = {"status": status, "database": database, "scheduler": hw.scheduler.running,
                  "leader": hw.leadership.is_leader, "slack": slack_problem or "ok",
                  "delivery": {"paused": bool(paused), "why": paused}}
        if hw.installations is not None:  # "Add to Slack": each installed workspace's sending
            answer["workspaces"] = await workspace_health(hw, paused)
        return JSONResponse(answer, status_code=200 if status == "ok" else 503)

    async def metrics(_: Request) -> Response:
        await refresh_gauges(hw)
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

    app = Starlette(
        routes=[
            Route("/slack/events", slack_events, methods=["POST"]),
            *([Route("/slack/install", slack_oauth, methods=["GET"]),
               Route("/slack/oauth_redirect", slack_oauth, methods=["GET"])] if slack_oauth else []),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            *api_routes(hw),
            *alertmanager_routes(hw),
            *mlflow_webhook_routes(hw),
            *wandb_routes(hw),
            *openapi_routes(),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(BodyLimit)  # inside RequestLog, so its 413s are logged too
    app.add_middleware(RequestLog)
    return app


async def workspace_health(hw: Headway, paused: dict[str, str]) -> dict[str, str]:
    """Each workspace's sending: "ok", or why it is paused (token_revoked, app_uninstalled…) or its token
    refresh failed."""
    found = dict.fromkeys(paused, "")
    if hw.installations is not None:
        from bot.workspaces import service as workspaces

        try:
            async with hw.db.unit_of_work() as session:
                for info in await workspaces.listing(session):
                    found.setdefault(info.team_id, "uninstalled" if info.uninstalled_at else "")
        except Exception as error:
            log.warning("workspaces not listed in /healthz: %s", error)
    failures = getattr(hw.tokens, "rotation_failures", {})
    return {team: paused.get(team) or (f"token refresh failed: {failures[team]}" if team in failures else why)
            or "ok" for team, why in sorted(found.items())}


async def refresh_gauges(hw: Headway) -> None:
    """The outbox backlog and leadership, as of this scrape (a database that is down leaves the last values)."""
    hw.metrics.leader.set(1 if hw.leadership.is_leader else 0)
    try:
        async with hw.db.unit_of_work() as session:
            counts = await backlog.counts(session)
            oldest = await backlog.oldest_pending_age(session)
    except Exception as error:
        log.warning("outbox gauges not refreshed: %s", error)
        return
    for status, count in counts.items():
        hw.metrics.outbox_messages.labels(status).set(count)
    hw.metrics.outbox_oldest_pending.set(oldest)


class RequestLog:
    """One log line per handled request (method, path, what Slack asked for, status, duration); scrapes of
    /healthz and /metrics are not logged. Pure ASGI, so streaming and lifespan pass straight through."""

    QUIET = frozenset({"/healthz", "/metrics"})

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.QUIET:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            duration = round((time.perf_counter() - started) * 1000, 1)
            kind = scope.get("state", {}).get("headway_kind")
            what = f" ({kind})" if kind else ""
            outcome = "ok" if status < 400 else ("refused" if status < 500 else "error")
            request_log.info("%s %s%s → %s in %.1f ms", scope["method"], scope["path"], what, status, duration,
                             extra={"path": scope["path"], "kind": kind, "status": status, "outcome": outcome,
                                    "duration_ms": duration})
