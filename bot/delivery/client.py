"""The Slack Web API client Headway and Bolt share, counting every call for /metrics.

It keeps one aiohttp session (kept-alive connections) per event loop instead of slack_sdk's default of a new
session, and so a new TCP connection, for every call: a 5,000-person fan-out opens a handful of connections.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.delivery.pacing import Pacer
from bot.metrics import Metrics

_PREPAID: ContextVar[str | None] = ContextVar("headway_prepaid_call", default=None)


@contextlib.contextmanager
def prepaid(method: str) -> Iterator[None]:
    """The caller already waited for this call's slot in the pacer (the outbox does, to record the attempt
    only once the slot is there): the next call of `method` in this task does not book another."""
    token = _PREPAID.set(method)
    try:
        yield
    finally:
        _PREPAID.reset(token)


class MeteredWebClient(AsyncWebClient):
    def __init__(self, *, metrics: Metrics, pacer: Pacer | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._metrics = metrics
        self.pacer = pacer or Pacer()
        self._session_loop: asyncio.AbstractEventLoop | None = None

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:  # type: ignore[override]
        self.http_session()
        args = kwargs.get("json") or kwargs.get("data") or kwargs.get("params") or {}
        if _PREPAID.get() == api_method:
            _PREPAID.set(None)
        else:
            await self.pacer.acquire(api_method, args.get("channel") if isinstance(args, dict) else None)
        try:
            response = await super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            status = exc.response.get("error") or str(exc.response.status_code)
            if exc.response.status_code == 429:
                self.pacer.block(api_method, retry_after(exc))
            self._metrics.slack_calls.labels(api_method, status).inc()
            raise
        except Exception as exc:
            self._metrics.slack_calls.labels(api_method, type(exc).__name__).inc()
            raise
        self._metrics.slack_calls.labels(api_method, "ok").inc()
        return response

    def http_session(self) -> aiohttp.ClientSession:
        """The kept-alive session of this event loop, for Web API calls and Slack's other URLs (response_url,
        file uploads)."""
        loop = asyncio.get_running_loop()
        if self.session is None or self.session.closed or self._session_loop is not loop:
            self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
            self._session_loop = loop
        return self.session

    async def aclose(self) -> None:
        """Close the kept-alive connections (at shutdown)."""
        if self.session is not None and not self.session.closed and self._session_loop is asyncio.get_running_loop():
            await self.session.close()
        self.session, self._session_loop = None, None


def retry_after(error: SlackApiError) -> int:
    """Slack's Retry-After in seconds (1 when it sends none or something unreadable)."""
    headers = error.response.headers or {}
    raw = headers.get("Retry-After", headers.get("retry-after", 1))
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1
