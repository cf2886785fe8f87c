"""The Bolt app: verifies Slack's signature, acks fast (process_before_response; work queued after the ack)."""

from __future__ import annotations

import json
import logging
import re
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

from bot import save_budget
from bot.app import Headway
from bot.delivery.tokens import act_for
from bot.events import first_delivery
from bot.slack_shape import payload_problem

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
        name="headway",  # named, or Bolt reads the whole call stack (inspect.stack) to name the app after a file
        client=hw.gateway.client,
        signing_secret=secret.get_secret_value() if secret else "",
        process_before_response=True,
        request_verification_enabled=secret is not None,
        logger=log,
        **_oauth_arguments(hw),
    )
    app.error(_answer_instead_of_500(hw))
    app.use(_well_formed)
    app.use(_acting_for_workspace)
    app.use(_without_control_characters)
    app.use(_once_per_event(hw))
    from handlers import register_all

    register_all(app, hw)
    return app


def _oauth_arguments(hw: Headway) -> dict[str, Any]:
    """With "Add to Slack" (bot.oauth): Bolt's OAuth flow, and authorization from Headway's token source."""
    if hw.installations is None:
        return {}
    from bot.installs import installed, tell_admins_refresh_failed
    from bot.oauth import HeadwayAuthorize, build_oauth_flow

    async def on_installed(installation: Any) -> None:
        await installed(hw, installation)

    async def on_rotation_failed(team_id: str, why: str) -> None:
        await tell_admins_refresh_failed(hw, team_id, why)

    hw.tokens.on_rotation_failed = on_rotation_failed  # type: ignore[union-attr]

    flow = build_oauth_flow(hw.settings, hw.renderer, hw.installations, hw.oauth_states, on_installed)
    return {"oauth_flow": flow, "authorize": HeadwayAuthorize(hw.tokens, hw.organizations.note)}  # type: ignore[arg-type, union-attr]


async def _acting_for_workspace(context: Any, next_: Any) -> Any:
    """Every Slack call made for this request (and the work it queues) uses its workspace's token and budget.

    Set for the rest of the task, not around next(): Bolt runs the listeners after the middleware chain has
    returned. Each request is its own task (uvicorn; Socket Mode too), so nothing leaks into another's."""
    act_for(context.team_id)
    return await next_()


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def remove_control_characters(node: Any) -> Any:
    """Every string in a parsed Slack payload without control characters (NUL, ESC…; tab and newlines stay) or
    lone surrogates: people never mean them, Slack shows nothing for them and PostgreSQL refuses NUL in text.
    Changes dicts and lists in place, so every listener argument Bolt derives from the body sees clean text."""
    if isinstance(node, str):
        return _CONTROL.sub("", node)
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = remove_control_characters(value)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            node[index] = remove_control_characters(value)
    return node


async def _well_formed(body: dict[str, Any], next_: Any) -> Any:
    """A payload Bolt's matchers would trip over (bot.slack_shape) is acked and logged in one line, never a
    traceback; over Socket Mode the envelope is acked too, so Slack does not send it again."""
    problem = payload_problem(body)
    if problem is not None:
        log.warning("malformed Slack payload ignored: %s", problem)
        return BoltResponse(status=200, body="")
    return await next_()


async def _without_control_characters(body: dict[str, Any], next_: Any) -> Any:
    """Every entry point (commands, buttons, modal values, events, HTTP or Socket Mode) gets clean text."""
    remove_control_characters(body)
    return await next_()


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


def _sent_at(request: Request) -> float | None:
    """When Slack sent the request, by its X-Slack-Request-Timestamp (whole seconds); None if absent or not a
    plausible time. Only a request whose signature Bolt then accepts gets as far as a save that reads it."""
    stamp = request.headers.get("x-slack-request-timestamp", "")
    if not (stamp.isdigit() and len(stamp) <= 12):
        return None
    sent = float(stamp)
    return sent if abs(time.time() - sent) < 300 else None  # Slack's own window for a valid signature


def slack_endpoint(hw: Headway, bolt: AsyncApp) -> Callable[[Request], Awaitable[Response]]:
    """POST /slack/events: Bolt answers; a body it cannot parse is a 400 with a reason (401 if unsigned), never a
    500. Every request is counted and timed by kind, and marked in flight so queued work waits for it."""
    secret = hw.settings.slack_signing_secret
    verifier = SignatureVerifier(secret.get_secret_value()) if secret else None

    async def slack_events(request: Request) -> Response:
        started = time.perf_counter()
        save_budget.arrived(_sent_at(request))  # a form saved in its ack counts its budget from here
        raw = await request.body()  # at most 1 MiB: bot.body_limit refused anything bigger unread
        refusal = _refuse_before_parsing(request, raw)
        if refusal is not None:
            hw.metrics.requests.labels("malformed").inc()
            return refusal
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


def oauth_endpoint(bolt: AsyncApp) -> Callable[[Request], Awaitable[Response]]:
    """GET /slack/install and /slack/oauth_redirect: Bolt's OAuth flow (only with "Add to Slack"). A failure is
    Headway's page with a 4xx (bot.oauth.FAILURES), never a traceback."""
    from bot.oauth import INSTALL_PATH

    async def oauth(request: Request) -> Response:
        flow = bolt.oauth_flow
        if flow is None:
            return JSONResponse({"error": "\"Add to Slack\" is not set up (SLACK_CLIENT_ID)"}, status_code=404)
        bolt_request = to_async_bolt_request(request, b"")
        if request.url.path == INSTALL_PATH:
            bolt_response = await flow.handle_installation(bolt_request)
        else:
            bolt_response = await flow.handle_callback(bolt_request)
        return to_starlette_response(bolt_response)

    return oauth


def _refuse_before_parsing(request: Request, raw: bytes) -> Response | None:
    """What is wrong with a request before Bolt sees it (its size was checked by bot.body_limit): a timestamp that
    is not a number of seconds (401, as Slack's signature check would), or not UTF-8 (400). None when it may go on."""
    timestamp = request.headers.get("x-slack-request-timestamp")
    if timestamp is not None and not timestamp.strip().isdigit():
        return JSONResponse({"error": "invalid X-Slack-Request-Timestamp"}, status_code=401)
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return JSONResponse({"error": "request body is not UTF-8"}, status_code=400)
    return None


async def connect_socket_mode(bolt: AsyncApp, app_token: str) -> Any:
    """Slack over a WebSocket instead of HTTP (`headway serve --socket`); the caller closes it with close_async().

    The WebSocket URL is asked for here, once: slack_sdk's client retries a refused app token forever, logging a
    traceback each time, so a token Slack refuses (or a Slack that cannot be reached) is a ConfigError naming
    SLACK_APP_TOKEN instead (https://docs.slack.dev/reference/methods/apps.connections.open).
    """
    from slack_sdk.errors import SlackApiError

    from bot.config import ConfigError
    from bot.socket_mode import GuardedSocketModeHandler

    try:
        opened = await bolt.client.apps_connections_open(app_token=app_token)
    except SlackApiError as error:
        reason = error.response.get("error") or f"HTTP {error.response.status_code}"
        raise ConfigError(f"SLACK_APP_TOKEN was refused by Slack ({reason}): create an app-level token (xapp-…) "
                          "with connections:write under Basic Information → App-Level Tokens") from None
    except Exception as error:  # network: DNS, refused connection, timeout
        raise ConfigError(f"SLACK_APP_TOKEN could not be checked: Slack is unreachable "
                          f"({type(error).__name__}: {error})") from None
    handler = GuardedSocketModeHandler(bolt, app_token)
    handler.client.wss_uri = opened["url"]
    await handler.connect_async()
    return handler
