"""A workspace-wide chat.postMessage budget in front of the emulator, as Slack has one (the fan-out benchmark's).

Slack limits chat.postMessage per workspace ("several hundred messages per minute", short bursts tolerated) as
well as per channel. The benchmark scales that budget up (e.g. 50 messages/s) to keep runs short: a token bucket
of `rate` per second with a burst of a tenth of a minute's budget answers over-budget posts with 429 and
Retry-After (refused posts do not consume the budget, as in Slack); everything else, and every post within the
budget, is forwarded to the emulator, whose own per-method and per-channel limits still apply behind it.
"""

from __future__ import annotations

import math
import time

import aiohttp
from aiohttp import web

HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding", "host"}


class BudgetProxy:
    def __init__(self, upstream: str, rate: float) -> None:
        self.upstream = upstream.rstrip("/") + "/"
        self.rate, self.burst = rate, max(1.0, rate * 60 / 10)
        self.tokens, self.updated = self.burst, time.monotonic()
        self.refused = 0  # 429s this proxy answered
        self.passed = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    def _take(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        body = await request.read()
        if method == "chat.postMessage":
            wait = self._take()
            if wait > 0:
                self.refused += 1
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(max(1, math.ceil(wait)))})
            self.passed += 1
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        async with self._session.post(self.upstream + method, data=body, headers=headers,
                                      params=request.query) as answer:
            payload = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS}
            return web.Response(status=answer.status, body=payload, headers=kept)

    async def start(self) -> str:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._handle)
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/api/"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def floor(self, messages: int) -> float:
        """Seconds the budget implies for `messages` posts at best: the burst at once, the rest at the rate."""
        return max(0.0, (messages - self.burst) / self.rate)
