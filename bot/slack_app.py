"""The Bolt app: verifies Slack's signature, acks fast (process_before_response; work queued after the ack)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.app import Headway
from bot.events import first_delivery

log = logging.getLogger("headway.slack")


class _NoTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment itself and warns that our client wins; it does, on purpose.
    Matched with Bolt's own message function, so a reworded warning cannot slip past."""

    _text = warning_client_prioritized_and_token_skipped()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self._text


log.addFilter(_NoTokenWarning())


def build_bolt_app(hw: Headway) -> AsyncApp:
    secret = hw.settings.slack_signing_secret
    app = AsyncApp(
        client=hw.gateway.client,
        signing_secret=secret.get_secret_value() if secret else "",
        process_before_response=True,
        request_verification_enabled=secret is not None,
        logger=log,
    )
    app.error(_answer_instead_of_500(hw))
    app.use(_once_per_event(hw))
    from handlers import register_all

    register_all(app, hw)
    return app


def _once_per_event(hw: Headway) -> Any:
    """Events are handled once, however often Slack delivers them. The session closes before next()."""

    async def middleware(body: dict[str, Any], next_: Any, response: BoltResponse) -> BoltResponse:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            async with hw.db.unit_of_work() as session:
                first = await first_delivery(session, str(event_id), str(body.get("team_id", "")))
            if not first:
                return BoltResponse(status=200, body="")
        await next_()
        return response

    return middleware


def _answer_instead_of_500(hw: Headway) -> Any:
    """A listener that crashed still answers Slack politely; the traceback goes to the log only."""

    async def handle(error: Exception, body: dict[str, Any]) -> BoltResponse:
        log.exception("listener failed", exc_info=error)
        if body.get("type") == "view_submission":
            notice = hw.renderer.view(
                "views/notice.json.j2", title="Sorry",
                text=":warning: Something went wrong on Headway's side. Your form is still open behind this "
                     "message: close this one and try again.",
            )
            payload: dict[str, Any] = {"response_action": "push", "view": notice}
        elif "command" in body:
            message = hw.renderer.message("errors/internal.json.j2")
            payload = {"response_type": "ephemeral", "text": message.text, "blocks": message.blocks}
        else:
            return BoltResponse(status=200, body="")
        return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": ["application/json"]})

    return handle


def request_kind(body: dict[str, Any]) -> str:
    if "command" in body:
        return "command"
    kind = body.get("type") or "unknown"
    return kind if kind in {"block_actions", "view_submission", "view_closed", "event_callback",
                            "url_verification", "shortcut", "message_action", "block_suggestion"} else "other"


def describe(body: dict[str, Any], kind: str) -> str:
    """A few words on what Slack asked for, for the log: `command /gate`, `action gate_vote`… Bodies that passed
    the signature check may still have any shape: whatever is not where Slack puts it reads as nothing."""

    def field(container: Any, key: str) -> str:
        value = container.get(key) if isinstance(container, dict) else None
        return value[:80] if isinstance(value, str) else ""

    if kind == "command":
        return f"command {field(body, 'command')}"
    if kind == "event_callback":
        return f"event {field(body.get('event'), 'type')}"
    if kind == "block_actions":
        actions = body.get("actions")
        return f"action {field(actions[0] if isinstance(actions, list) and actions else None, 'action_id')}"
    if kind in ("view_submission", "view_closed"):
        return f"{kind} {field(body.get('view'), 'callback_id')}"
    if kind in ("shortcut", "message_action"):
        return f"{kind} {field(body, 'callback_id')}"
    return kind


def slack_endpoint(hw: Headway, bolt: AsyncApp) -> Callable[[Request], Awaitable[Response]]:
    """POST /slack/events: Bolt answers; a body it cannot parse is a 400 with a reason (401 if unsigned), never a
    500. Every request is counted and timed by kind, and marked in flight so queued work waits for it."""
    secret = hw.settings.slack_signing_secret
    verifier = SignatureVerifier(secret.get_secret_value()) if secret else None

    async def slack_events(request: Request) -> Response:
        started = time.perf_counter()
        raw = await request.body()
        try:
            bolt_request = to_async_bolt_request(request, raw)
            with hw.background.foreground():
                bolt_response = await bolt.async_dispatch(bolt_request)
        except Exception:
            if verifier is not None and not verifier.is_valid_request(raw, dict(request.headers)):
                return JSONResponse({"error": "invalid signature"}, status_code=401)
            log.warning("malformed Slack request rejected", exc_info=True)
            hw.metrics.requests.labels("malformed").inc()
            return JSONResponse({"error": "malformed request"}, status_code=400)
        if bolt_response.status >= 500:  # Bolt gave up on a body it could parse but not handle
            log.warning("Slack request failed inside Bolt (status %s)", bolt_response.status)
            return JSONResponse({"error": "malformed request"}, status_code=400)
        kind = request_kind(bolt_request.body)
        request.state.headway_kind = describe(bolt_request.body, kind)  # for the request log line
        hw.metrics.requests.labels(kind).inc()
        hw.metrics.ack_seconds.labels(kind).observe(time.perf_counter() - started)
        return to_starlette_response(bolt_response)

    return slack_events


async def connect_socket_mode(bolt: AsyncApp, app_token: str) -> Any:
    """Slack over a WebSocket instead of HTTP (`headway serve --socket`); the caller closes it with close_async()."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(bolt, app_token)
    await handler.connect_async()
    return handler
