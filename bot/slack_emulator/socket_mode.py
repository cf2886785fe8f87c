"""Socket Mode: Slack's WebSocket towards the app, instead of HTTP requests to its Request URL.

Source: https://docs.slack.dev/apis/events-api/using-socket-mode — the app calls `apps.connections.open` with an
app-level token and connects to the returned `url`; Slack sends `{"type": "hello", …}`, then envelopes
`{"envelope_id", "type": "slash_commands" | "interactive" | "events_api", "payload", "accepts_response_payload"}`;
the app acknowledges each with `{"envelope_id": …, "payload": {…}}` (the payload is what it would have answered over
HTTP), within 3 seconds. An unknown or used-up ticket is refused; `{"type": "disconnect"}` asks the app to reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .state import WorkspaceState

log = logging.getLogger(__name__)

ACK_SECONDS = 3.0
TICKET_TTL_SECONDS = 30.0  # the URL from apps.connections.open is short-lived
ENVELOPE_TYPES = {"slash_command": "slash_commands", "event_callback": "events_api"}  # the rest are interactive


def envelope_type(kind: str) -> str:
    return ENVELOPE_TYPES.get(kind, "interactive")


class SocketHub:
    """Open app connections, and the envelopes waiting for their ack."""

    def __init__(self, state: WorkspaceState) -> None:
        self.state = state
        self.connections: list[web.WebSocketResponse] = []
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._turn = itertools.count()

    @property
    def connected(self) -> bool:
        return any(not ws.closed for ws in self.connections)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        issued = self.state.socket_tickets.pop(ticket, None)
        if issued is None or time.monotonic() - issued > TICKET_TTL_SECONDS:
            return web.Response(status=401, text="invalid_ticket")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections.append(ws)
        hello = {
            "type": "hello",
            "num_connections": len([c for c in self.connections if not c.closed]),
            "debug_info": {"host": "emulator", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.state.config.app_id},
        }
        await ws.send_str(json.dumps(hello))
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._acknowledge(message.data)
        finally:
            with contextlib.suppress(ValueError):
                self.connections.remove(ws)
        return ws

    def _acknowledge(self, raw: str) -> None:
        try:
            ack = json.loads(raw)
        except ValueError:
            log.warning("socket mode: the app sent a non-JSON frame")
            return
        future = self._pending.get(str(ack.get("envelope_id"))) if isinstance(ack, dict) else None
        if future is not None and not future.done():
            future.set_result(ack)

    async def deliver(self, kind: str, payload: dict[str, Any], timeout: float = ACK_SECONDS) -> dict[str, Any]:
        """Send one envelope to a connected app; return {"acked", "ack", "envelope_id", "elapsed"}.

        While the app is between connections (it reconnects after a `disconnect`), the envelope waits for the next
        one within the same deadline."""
        started = time.monotonic()
        open_ = [ws for ws in self.connections if not ws.closed]
        while not open_ and time.monotonic() - started < timeout:
            await asyncio.sleep(0.02)
            open_ = [ws for ws in self.connections if not ws.closed]
        if not open_:
            return {"acked": False, "error": "no_connection", "elapsed": time.monotonic() - started}
        ws = open_[next(self._turn) % len(open_)]
        envelope_id = str(uuid.uuid4())
        kind_name = envelope_type(kind)
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind_name,
            "payload": payload,
            "accepts_response_payload": kind_name != "events_api",
        }
        if kind_name == "events_api":
            envelope.update(retry_attempt=0, retry_reason="")
        return await self._send(ws, json.dumps(envelope), envelope_id, timeout, started)

    async def _send(self, ws: web.WebSocketResponse, frame: str, envelope_id: str, timeout: float,
                    started: float) -> dict[str, Any]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[envelope_id] = future
        try:
            await ws.send_str(frame)
            ack = await asyncio.wait_for(future, timeout)
        except (TimeoutError, ConnectionError):
            return {"acked": False, "error": "no_ack", "envelope_id": envelope_id,
                    "elapsed": time.monotonic() - started}
        finally:
            self._pending.pop(envelope_id, None)
        return {"acked": True, "ack": ack, "envelope_id": envelope_id, "elapsed": time.monotonic() - started}

    async def send_frame(self, frame: str, envelope_id: str = "", timeout: float = ACK_SECONDS) -> dict[str, Any]:
        """Send any text frame as it is — a malformed envelope, an oversized one — to the first open connection;
        with an `envelope_id`, wait for its ack like `deliver` does (for tests of how the app copes)."""
        started = time.monotonic()
        open_ = [ws for ws in self.connections if not ws.closed]
        if not open_:
            return {"acked": False, "error": "no_connection", "elapsed": 0.0}
        if not envelope_id:
            with contextlib.suppress(ConnectionError):
                await open_[0].send_str(frame)
            return {"acked": False, "error": "no_envelope_id", "elapsed": time.monotonic() - started}
        return await self._send(open_[0], frame, envelope_id, timeout, started)

    async def disconnect(self, reason: str = "refresh_requested") -> int:
        """Slack asks every connection to go away (it does so every few hours, and before maintenance):
        `{"type": "disconnect", "reason": …}`, then the socket closes; the app must reconnect with a fresh URL."""
        closing = [ws for ws in self.connections if not ws.closed]
        for ws in closing:
            with contextlib.suppress(Exception):
                await ws.send_str(json.dumps({"type": "disconnect", "reason": reason,
                                              "debug_info": {"host": "emulator"}}))
                await ws.close()
        return len(closing)

    async def close(self) -> None:
        for ws in list(self.connections):
            with contextlib.suppress(Exception):
                await ws.close()
        self.connections.clear()


async def deliver_route(request: web.Request, hub: SocketHub) -> web.Response:
    """POST /_emulator/socket/deliver {"kind", "payload", "timeout"?}: what the driver uses in Socket Mode."""
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="invalid JSON body") from None
    if not isinstance(body, dict) or not isinstance(body.get("payload"), dict):
        raise web.HTTPBadRequest(text="need {kind, payload}")
    result = await hub.deliver(str(body.get("kind", "")), body["payload"], float(body.get("timeout", ACK_SECONDS)))
    return web.json_response(result)
