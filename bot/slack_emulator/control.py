"""HTTP control surface under /_emulator/ for out-of-process use.

Tests in another process, `headway demo` and benchmarks inspect and steer the
emulator through these routes; the driver uses `/_emulator/rpc` when the
emulator is not in its own process. Also hosts response_url and upload endpoints.

The workspace admin's moves are RPC ops too (see install.py): invite_bot / remove_bot / archive_channel (channel),
set_scopes (scopes[, token]), granted_scopes, revoke_token, disable_token (error), uninstall, reinstall (returns the
new bot token), set_app_endpoint (events_url, signing_secret), app_events, set_post_budget (per_minute),
socket_disconnect (reason), set_status (user_id, text, emoji, expiration: sends `user_change`),
uninstall_from_workspace (user: an org-wide app removed from one workspace of its organization).
With several workspaces, `team_id` (an RPC body field, or a query parameter of /_emulator/calls) picks the
workspace an op or a listing acts on; without it, the first workspace.
Any listed error can be forced with POST /_emulator/faults
{"op": "fail_next", "method": …, "error": …, "extra": {…}}.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from aiohttp import web

from . import interactions

if TYPE_CHECKING:
    from .server import SlackEmulator

EMULATOR_KEY: web.AppKey[Any] = web.AppKey("slack_emulator", object)

# Emulator methods callable over POST /_emulator/rpc (all synchronous, JSON in/out).
RPC_OPS = frozenset(
    {
        "workspace_info",
        "user_info",
        "user_names",
        "channel_name",
        "issue_trigger",
        "new_response_url",
        "responses_for",
        "get_view",
        "top_view",
        "home_view",
        "view_values",
        "set_view_value",
        "apply_view_response",
        "close_view",
        "get_message",
        "add_message",
        "messages",
        "thread",
        "reset",
        "fail_next",
        "slow_next",
        "set_fault_rate",
        "clear_faults",
        "set_rate_limit",
        "set_rate_limits_enabled",
        "invite_bot",
        "remove_bot",
        "archive_channel",
        "granted_scopes",
        "set_scopes",
        "disable_token",
        "revoke_token",
        "uninstall",
        "uninstall_from_workspace",
        "reinstall",
        "set_app_endpoint",
        "app_events",
        "set_post_budget",
        "socket_disconnect",
        "start_function",
        "function_execution",
        "set_status",
    }
)
FAULT_OPS = {
    "fail_next": "fail_next",
    "slow_next": "slow_next",
    "fault_rate": "set_fault_rate",
    "set_fault_rate": "set_fault_rate",
    "clear": "clear_faults",
    "rate_limit": "set_rate_limit",
    "rate_limits": "set_rate_limits_enabled",
}


def _emu(request: web.Request, team_id: str | None = None) -> SlackEmulator:
    """The emulator, or the workspace `team_id` (default: the `team_id` query parameter) of it."""
    emu = request.app[EMULATOR_KEY]
    team_id = team_id or request.query.get("team_id")
    if not team_id:
        return emu
    found = emu.workspace(team_id)
    if found is None:
        raise web.HTTPNotFound(text=f"no workspace {team_id!r}")
    return found


async def _json_body(request: web.Request) -> Any:
    if not request.can_read_body:
        return {}
    try:
        return await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="invalid JSON body") from None


async def calls(request: web.Request) -> web.Response:
    method = request.query.get("method")
    found = [c.to_dict() for c in _emu(request).calls if method is None or c.method == method]
    return web.json_response({"calls": found})


async def reset(request: web.Request) -> web.Response:
    _emu(request).reset()
    return web.json_response({"ok": True})


async def faults(request: web.Request) -> web.Response:
    """Body: one op or a list, e.g. {"op": "fail_next", "method": "chat.postMessage", "status": 500}."""
    body = await _json_body(request)
    emu = _emu(request)
    for item in body if isinstance(body, list) else [body]:
        args = dict(item)
        name = FAULT_OPS.get(args.pop("op", ""))
        if name is None:
            raise web.HTTPBadRequest(text=f"unknown op; use one of {sorted(FAULT_OPS)}")
        method = args.pop("method", None)
        try:
            if name in ("fail_next", "slow_next", "set_fault_rate", "set_rate_limit"):
                getattr(emu, name)(method, **args)
            else:
                getattr(emu, name)(**args)
        except TypeError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
    return web.json_response({"ok": True})


async def messages(request: web.Request) -> web.Response:
    channel = request.query.get("channel")
    if not channel:
        raise web.HTTPBadRequest(text="channel query parameter required")
    return web.json_response({"messages": _emu(request).messages(channel)})


async def responses(request: web.Request) -> web.Response:
    response_id = request.query.get("id")
    emu = _emu(request)
    found = emu.responses_for(response_id) if response_id else emu.responses
    return web.json_response({"responses": found})


async def views(request: web.Request) -> web.Response:
    return web.json_response({"views": _emu(request).views})


async def health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True, "api_url": _emu(request).api_url})


async def rpc(request: web.Request) -> web.Response:
    body = await _json_body(request)
    op = body.get("op") if isinstance(body, dict) else None
    if op not in RPC_OPS:
        raise web.HTTPBadRequest(text=f"unknown op {op!r}")
    try:
        result = getattr(_emu(request, body.get("team_id")), op)(**(body.get("args") or {}))
        if inspect.isawaitable(result):
            result = await result
    except (TypeError, ValueError, KeyError) as exc:
        return web.json_response({"ok": False, "error": repr(exc)}, status=400)
    return web.json_response({"ok": True, "result": result}, dumps=lambda o: json.dumps(o, default=str))


async def response_url(request: web.Request) -> web.Response:
    """A response_url: JSON (or form `payload=`) with text/blocks/response_type/replace_original."""
    raw = await request.text()
    try:
        body = json.loads(raw) if raw.strip().startswith("{") else json.loads(parse_qs(raw)["payload"][0])
    except (ValueError, KeyError):
        return web.Response(status=400, text="invalid_payload")
    emu = _emu(request).holding("response_urls", request.match_info["response_id"])
    failure, delay, _ = emu.faults.draw("response_url")  # fail_next("response_url", status=404, error=…)
    if delay:  # slow_next("response_url", seconds=…): a slow answer, as the Web API methods have
        await asyncio.sleep(delay)
    if failure is not None:
        return web.Response(status=failure.status, text=failure.error or "internal_error")
    status, text = interactions.capture_response(emu.state, request.match_info["response_id"], body)
    return web.Response(status=status, text=text)


async def upload(request: web.Request) -> web.Response:
    """The upload_url of files.getUploadURLExternal: accepts raw bytes or multipart."""
    file_id = request.match_info["file_id"]
    stored = _emu(request).holding("files", file_id).state.files.get(file_id)
    if stored is None:
        return web.Response(status=404, text="file_not_found")
    if request.content_type == "multipart/form-data":
        form = await request.post()
        part = next((v for v in form.values() if not isinstance(v, str)), None)
        data = part.file.read() if part is not None else b""  # type: ignore[union-attr]
    else:
        data = await request.read()
    # files.getUploadURLExternal: `length` is the "size in bytes of the file being uploaded", and the upload
    # answers "HTTP 200 if the upload is successful; a non-200 response indicates a failure"
    # (https://docs.slack.dev/reference/methods/files.getUploadURLExternal): other sizes are refused here.
    if stored.get("size") is not None and len(data) != stored["size"]:
        return web.Response(status=400, text=f"length_mismatch: {len(data)} bytes, {stored['size']} announced")
    stored["data"] = data
    stored["uploaded"] = True
    return web.Response(text=f"OK - {len(data)}", content_type="text/plain")


async def download(request: web.Request) -> web.Response:
    file_id = request.match_info["file_id"]
    stored = _emu(request).holding("files", file_id).state.files.get(file_id)
    if stored is None or not stored["uploaded"]:
        return web.Response(status=404, text="file_not_found")
    return web.Response(body=stored["data"], content_type="application/octet-stream")


def add_control_routes(app: web.Application, emulator: SlackEmulator) -> None:
    app[EMULATOR_KEY] = emulator
    app.router.add_get("/_emulator/calls", calls)
    app.router.add_post("/_emulator/reset", reset)
    app.router.add_post("/_emulator/faults", faults)
    app.router.add_get("/_emulator/messages", messages)
    app.router.add_get("/_emulator/responses", responses)
    app.router.add_get("/_emulator/views", views)
    app.router.add_get("/_emulator/health", health)
    app.router.add_post("/_emulator/rpc", rpc)
    app.router.add_post("/_emulator/response/{response_id}", response_url)
    app.router.add_post("/_emulator/upload/{file_id}", upload)
    app.router.add_get("/_emulator/files/{file_id}", download)
