"""The playground's HTTP surface on the emulator's own server: the page, a small JSON API and a WebSocket feed.

Everything a person does on the page goes to the app the way Slack would send it — signed slash commands,
block_actions, view_submission and view_closed built by the `SlackDriver` — so the page exercises the app exactly
like a Slack client does. The WebSocket only says "something changed"; the page then re-reads what it shows.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from ..payloads import DriverError
from ..server import SlackEmulator
from .hub import Playground
from .openapi import playground_openapi
from .workflows import run_workflow

STATIC = Path(__file__).with_name("static")
PLAYGROUND_KEY: web.AppKey[Playground] = web.AppKey("playground", Playground)
POLL_SECONDS = 0.15


def _hub(request: web.Request) -> Playground:
    """The workspace the page shows: `?team=T…` (the workspace switcher), by default the first."""
    found = request.app[PLAYGROUND_KEY].for_team(request.query.get("team"))
    if found is None:
        raise web.HTTPNotFound(text="no such workspace")
    return found


def _fail(status: int, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": message}, status=status)


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON object the page sent (its size and type were checked by guard.py before this reads it)."""
    try:
        body = json.loads(await request.text() or "{}")
    except ValueError:
        raise web.HTTPBadRequest(text="the body is not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body must be a JSON object")
    return body


def _person(hub: Playground, value: Any) -> str:
    if not isinstance(value, str) or value not in hub.state.users:
        raise web.HTTPBadRequest(text="`as` must name a person of the workspace")
    return value


def _driver(hub: Playground) -> Any:
    if hub.driver is None:
        raise web.HTTPServiceUnavailable(text="the app is still starting")
    return hub.driver


def _result(result: Any, **extra: Any) -> web.Response:
    """What the page needs to know about a request the app answered."""
    body = result.body if isinstance(result.body, (dict, list)) else None
    return web.json_response({"ok": result.status == 200 and not result.timed_out, "status": result.status,
                              "body": body, "text": result.text[:500], **extra})


# ---------------------------------------------------------------- page and reads
async def to_page(request: web.Request) -> web.Response:
    raise web.HTTPFound("/playground/")


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def workspace(request: web.Request) -> web.Response:
    hub = _hub(request)
    user = request.query.get("as") or hub.people()[0]["id"]
    return web.json_response(hub.workspace(_person(hub, user)))


async def conversation(request: web.Request) -> web.Response:
    hub = _hub(request)
    user = _person(hub, request.query.get("as"))
    channel = hub.state.resolve_channel(request.query.get("channel"))
    if channel is None or not hub.state.is_member(channel, user):
        return _fail(404, "no such conversation for this person")
    return web.json_response(hub.conversation(user, channel))


async def thread(request: web.Request) -> web.Response:
    hub = _hub(request)
    user = _person(hub, request.query.get("as"))
    channel, ts = request.query.get("channel", ""), request.query.get("ts", "")
    if not hub.state.is_member(channel, user) or hub.state.get_message(channel, ts) is None:
        return _fail(404, "no such message")
    return web.json_response(hub.thread(channel, ts))


async def views(request: web.Request) -> web.Response:
    hub = _hub(request)
    return web.json_response(hub.views(_person(hub, request.query.get("as"))))


async def file(request: web.Request) -> web.Response:
    found = _hub(request).file(request.match_info["file_id"])
    if found is None:
        return web.Response(status=404, text="file_not_found")
    data, kind = found
    media, _, charset = kind.partition("; charset=")
    return web.Response(body=data, content_type=media, charset=charset or None)


async def canvas(request: web.Request) -> web.Response:
    """A canvas's content, as its Markdown (the page opens it in a new tab)."""
    found = _hub(request).canvas(request.match_info["canvas_id"])
    if found is None:
        return web.Response(status=404, text="canvas_not_found")
    return web.Response(text=found, content_type="text/plain", charset="utf-8")


# ---------------------------------------------------------------- what people do
async def compose(request: web.Request) -> web.Response:
    """A line typed in the composer: `/command text` becomes a slash command, anything else a message."""
    hub, body = _hub(request), await _body(request)
    user = _person(hub, body.get("as"))
    channel = hub.state.resolve_channel(str(body.get("channel") or ""))
    text = str(body.get("text") or "").strip()[:4000]
    if channel is None or not text:
        return _fail(400, "`channel` and `text` are required")
    driver = _driver(hub)
    if text.split(" ", 1)[0] == "/workflow":  # a one-step workflow with the app's custom step (workflows.py)
        hub.remember_ack(user, channel, await run_workflow(hub, user, text))
        return web.json_response({"ok": True, "status": 200})
    if text.startswith("/"):
        command, _, rest = text.partition(" ")
        result = await driver.slash_command(user, command, rest.strip(), channel_id=channel)
        if result.status == 200 and isinstance(result.body, dict):
            hub.remember_ack(user, channel, result.body)
        return _result(result)
    thread_ts = body.get("thread_ts") if isinstance(body.get("thread_ts"), str) else None
    return _result(await driver.message(user, channel, text, thread_ts=thread_ts))


async def action(request: web.Request) -> web.Response:
    """A click or a choice on an element of a message or a view."""
    hub, body = _hub(request), await _body(request)
    user = _person(hub, body.get("as"))
    where: dict[str, Any] = {}
    if body.get("view_id"):
        where["view"] = str(body["view_id"])
    elif body.get("channel") and body.get("ts"):  # a message, or an ephemeral one (the emulator keeps both)
        where["message"] = (str(body["channel"]), str(body["ts"]))
    try:
        result = await _driver(hub).block_action(user, str(body.get("action_id") or ""), value=body.get("value"),
                                                 block_id=body.get("block_id"),
                                                 element_type=str(body.get("type") or "button"), **where)
    except DriverError as error:
        return _fail(400, str(error))
    return _result(result)


async def submit(request: web.Request) -> web.Response:
    hub, body = _hub(request), await _body(request)
    user = _person(hub, body.get("as"))
    values = body.get("values") if isinstance(body.get("values"), dict) else {}
    try:
        result = await _driver(hub).view_submission(user, str(body.get("view_id") or "") or None, values)
    except DriverError as error:  # what Slack's own client refuses before sending (an empty required field)
        return _fail(400, str(error))
    return _result(result, errors=result.errors if result.response_action == "errors" else {},
                   outcome=result.view_outcome)


async def close(request: web.Request) -> web.Response:
    hub, body = _hub(request), await _body(request)
    user = _person(hub, body.get("as"))
    try:
        result = await _driver(hub).view_closed(user, str(body.get("view_id") or "") or None)
    except DriverError as error:
        return _fail(400, str(error))
    return web.json_response({"ok": True, "sent": result.sent, "status": result.status})


async def home(request: web.Request) -> web.Response:
    """The App Home tab opened: Slack sends `app_home_opened`, the app publishes the view."""
    hub, body = _hub(request), await _body(request)
    user = _person(hub, body.get("as"))
    return _result(await _driver(hub).event({"type": "app_home_opened", "user": user, "tab": "home"}))


async def status(request: web.Request) -> web.Response:
    """The person sets their Slack status ({"as", "text", "emoji", "expiration"}): apps get `user_change`."""
    hub, body = _hub(request), await _body(request)
    user = _person(hub, body.get("as"))
    try:
        profile = hub.emulator.set_status(user, str(body.get("text") or ""), str(body.get("emoji") or ""),
                                          int(body.get("expiration") or 0))
    except (TypeError, ValueError) as error:
        return _fail(400, str(error))
    return web.json_response({"ok": True, "profile": profile})


async def clock(request: web.Request) -> web.Response:
    hub, body = _hub(request), await _body(request)
    if hub.clock is None:
        return _fail(404, "this app runs on the real clock")
    try:
        moved = await hub.clock.move(str(body.get("op") or ""))
    except ValueError as error:
        return _fail(400, str(error))
    (hub.root or hub).ticks += 1
    return web.json_response({"ok": True, **moved})


async def feed(request: web.Request) -> web.WebSocketResponse:
    """Sends {"type": "changed"} whenever the workspace changed; the page re-reads what it shows."""
    hub = _hub(request)
    socket = web.WebSocketResponse(heartbeat=20)
    await socket.prepare(request)
    seen: tuple[int, ...] = ()
    reader = asyncio.ensure_future(socket.receive())
    try:
        while not socket.closed:
            now = hub.version()
            if now != seen:
                seen = now
                await socket.send_json({"type": "changed", "version": list(now)})
            done, _ = await asyncio.wait({reader}, timeout=POLL_SECONDS)
            if done:
                if reader.result().type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR):
                    break
                reader = asyncio.ensure_future(socket.receive())
    finally:
        reader.cancel()
    return socket


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(playground_openapi())


def add_playground_routes(app: web.Application, hub: Playground) -> None:
    app[PLAYGROUND_KEY] = hub
    app.router.add_get("/", to_page)
    app.router.add_get("/playground/", page)
    app.router.add_static("/playground/static/", STATIC)
    app.router.add_get("/playground/files/{file_id}", file)
    app.router.add_get("/playground/canvases/{canvas_id}", canvas)
    app.router.add_get("/playground/ws", feed)
    app.router.add_get("/playground/api/openapi.json", openapi)
    for name, handler in (("workspace", workspace), ("conversation", conversation), ("thread", thread),
                          ("views", views)):
        app.router.add_get(f"/playground/api/{name}", handler)
    for name, handler in (("compose", compose), ("action", action), ("submit", submit), ("close", close),
                          ("home", home), ("clock", clock), ("status", status)):
        app.router.add_post(f"/playground/api/{name}", handler)


class PlaygroundEmulator(SlackEmulator):
    """The emulator with the playground's page and API on the same loopback server."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.playground = Playground(self)
        self._stamp(self)

    def add_workspace(self, config: Any) -> SlackEmulator:
        """Another workspace, its messages stamped with the app's clock too."""
        child = super().add_workspace(config)
        self._stamp(child)
        return child

    def _stamp(self, workspace: SlackEmulator) -> None:
        store = workspace.state.store_message

        def stamped(channel_id: str, message: dict[str, Any]) -> dict[str, Any]:
            """Note the app's clock on each message, so the page shows story time, not wall-clock time."""
            self.playground.stamps.setdefault(str(message.get("ts")), self.playground.clock_now())
            return store(channel_id, message)

        workspace.state.store_message = stamped  # type: ignore[method-assign]

    def build_app(self) -> web.Application:
        app = super().build_app()
        add_playground_routes(app, self.playground)
        return app

    @property
    def page_url(self) -> str:
        return f"{self.base_url}/playground/"
