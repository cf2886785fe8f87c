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
from bot.delivery.tokens import EnvTokens, InstalledTokens, TokenUnavailable, current_team
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
    def __init__(self, *, metrics: Metrics, pacer: Pacer | None = None,
                 tokens: EnvTokens | InstalledTokens | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._metrics = metrics
        self.pacer = pacer or Pacer()
        # whose token each call uses (bot.delivery.tokens): the workspace the calling code acts for
        self.tokens = tokens or EnvTokens(self.token)
        self._session_loop: asyncio.AbstractEventLoop | None = None

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:  # type: ignore[override]
        self.http_session()
        args = kwargs.get("json") or kwargs.get("data") or kwargs.get("params") or {}
        if _PREPAID.get() == api_method:
            _PREPAID.set(None)
        else:
            await self.pacer.acquire(api_method, args.get("channel") if isinstance(args, dict) else None)
        team = current_team()
        given = _has_token(kwargs)  # a caller that names a token (Bolt's install flow) keeps it
        try:
            used = None
            if not given:
                used = await self.tokens.token(team)
                _with_token(kwargs, used)
            try:
                response = await super().api_call(api_method, **kwargs)
            except SlackApiError as exc:
                if given or exc.response.get("error") != "token_expired" or not self.tokens.rotating:
                    raise
                _with_token(kwargs, await self.tokens.refresh(team, used))  # Slack says expired: refresh, once
                response = await super().api_call(api_method, **kwargs)
        except TokenUnavailable as missing:
            self._metrics.slack_calls.labels(api_method, missing.error).inc()
            raise SlackApiError(f"no working token for {missing.team_id}: {missing}", AsyncSlackResponse(
                client=self, http_verb="POST", api_url=self.base_url + api_method, req_args={},
                data={"ok": False, "error": missing.error}, headers={}, status_code=200)) from missing
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


def _has_token(kwargs: dict[str, Any]) -> bool:
    return any(isinstance(kwargs.get(part), dict) and "token" in kwargs[part] for part in ("json", "data", "params"))


def _with_token(kwargs: dict[str, Any], token: str | None) -> None:
    """Put the workspace's token where slack_sdk takes a per-call token from (it wins over the client's)."""
    if token is None:
        return
    for part in ("json", "data"):
        if isinstance(kwargs.get(part), dict):
            kwargs[part] = {**kwargs[part], "token": token}
            return
    kwargs["params"] = {**(kwargs.get("params") or {}), "token": token}


def retry_after(error: SlackApiError) -> int:
    """Slack's Retry-After in seconds (1 when it sends none or something unreadable)."""
    headers = error.response.headers or {}
    raw = headers.get("Retry-After", headers.get("retry-after", 1))
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1
