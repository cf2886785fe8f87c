"""One body limit for every HTTP route Headway and the playground serve, applied before anything reads the body.

`LIMITS` is the one table of per-route maximums (Headway's own routes and the emulator/playground server's);
`BodyLimit` enforces it for Headway's Starlette app as pure ASGI: a declared Content-Length over the route's
maximum is answered 413 unread, and a streamed (chunked) body is cut off the moment it passes it — the endpoint
never sees more, so a 200 MB upload costs nothing but the bytes already in flight. Endpoints just call
`await request.body()`. The emulator's aiohttp server applies the same table in bot/slack_emulator/guard.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB = 1024
MIB = 1024 * KIB

Server = Literal["headway", "emulator"]


@dataclass(frozen=True)
class Limit:
    server: Server
    path: str  # an exact path, or a prefix when it ends with "/"
    max_bytes: int
    why: str


LIMITS: tuple[Limit, ...] = (
    Limit("headway", "/slack/events", MIB, "Slack's payloads are far smaller; anything bigger is not from Slack"),
    Limit("headway", "/api/v1/projects/", 1_000_000, "1000 measurements per request"),
    Limit("headway", "/api/v1/alertmanager", 1_000_000, "Alertmanager's notifications of one group (1000 alerts)"),
    Limit("headway", "/api/v1/mlflow/webhook", 1_000_000, "an MLflow registry event (a model version and its tags)"),
    Limit("headway", "/api/v1/wandb/webhook", 1_000_000, "a W&B automation's templated payload"),
    Limit("headway", "/", 64 * KIB, "every other route: /healthz, /metrics and the OpenAPI document read none; a "
                                    "route that needs more (a webhook) gets its own row above"),
    Limit("emulator", "/playground/api/", 256 * KIB, "what the page sends: a line typed, a click, a form's values"),
    Limit("emulator", "/_emulator/upload/", 8 * MIB, "a file Headway uploads (its charts are ~100 KB)"),
    Limit("emulator", "/_emulator/", MIB, "the control routes, response_url answers and Socket Mode deliveries"),
    Limit("emulator", "/api/", 2 * MIB, "Slack Web API calls (files go to the upload URL, not here)"),
    Limit("emulator", "/", 64 * KIB, "every other route: the page, its static files and the WebSockets read none"),
)


def limit_for(server: Server, path: str) -> Limit:
    """The most specific entry of `server` for `path` (there is always one: "/" catches the rest)."""
    best = None
    for limit in LIMITS:
        if limit.server != server:
            continue
        matches = path.startswith(limit.path) if limit.path.endswith("/") else path == limit.path
        if matches and (best is None or len(limit.path) > len(best.path)):
            best = limit
    assert best is not None, f"no body limit for {server} {path}"
    return best


def too_large_body(limit: int) -> bytes:
    return json.dumps({"error": "too_large", "detail": f"The body is larger than this route takes ({limit} bytes).",
                       "limit_bytes": limit}).encode()


def declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length" and value.strip().isdigit():
            return int(value)
    return None


class BodyTooLarge(Exception):
    """Raised from `receive` when a streamed body passes the route's maximum; BodyLimit answers 413."""


class BodyLimit:
    """Pure ASGI: the route's maximum from LIMITS before and while the body is read (see the module docstring).
    The 413 goes out at once; uvicorn then discards whatever the client still sends (it keeps none of it), so the
    client reads its 413 instead of a reset connection."""

    def __init__(self, app: ASGIApp, server: Server = "headway") -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(self.server, scope["path"]).max_bytes
        declared = declared_length(scope["headers"])
        if declared is not None and declared > limit:
            await self._refuse(send, limit)
            return
        received = 0
        started = False

        async def capped() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, capped, sending)
        except BodyTooLarge:
            if started:  # an endpoint that answered before reading all of it: nothing more to say
                return
            await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = too_large_body(limit)
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
