"""The HTTP surface: /slack/events (Bolt), /healthz and /metrics, served by uvicorn."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.api import api_routes
from bot.app import Headway
from bot.jobs import schedule_all

log = logging.getLogger(__name__)


def request_kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return "command"
    kind = body.get("type") or "unknown"
    return kind if kind in {"block_actions", "view_submission", "view_closed", "event_callback",
                            "url_verification", "shortcut", "message_action", "block_suggestion"} else "other"


def build_web_app(hw: Headway, bolt: AsyncApp, *, run_scheduler: bool = True) -> Starlette:
    verifier = SignatureVerifier(hw.settings.slack_signing_secret.get_secret_value()) \
        if hw.settings.slack_signing_secret else None

    async def slack_events(request: Request) -> Response:
        started = time.perf_counter()
        raw = await request.body()
        try:
            bolt_request = to_async_bolt_request(request, raw)
            with hw.background.foreground():
                bolt_response = await bolt.async_dispatch(bolt_request)
        except Exception:  # a body Bolt cannot parse or route: 4xx with a reason, never a 500
            if verifier is not None and not verifier.is_valid_request(raw, dict(request.headers)):
                return JSONResponse({"error": "invalid signature"}, status_code=401)
            log.warning("malformed Slack request rejected", exc_info=True)
            hw.metrics.requests.labels("malformed").inc()
            return JSONResponse({"error": "malformed request"}, status_code=400)
        if bolt_response.status >= 500:  # Bolt gave up on a body it could parse but not handle
            log.warning("Slack request failed inside Bolt (status %s)", bolt_response.status)
            return JSONResponse({"error": "malformed request"}, status_code=400)
        kind = request_kind(bolt_request.body)
        hw.metrics.requests.labels(kind).inc()
        hw.metrics.ack_seconds.labels(kind).observe(time.perf_counter() - started)
        return to_starlette_response(bolt_response)

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
        ],
        lifespan=lifespan,
    )
