"""httpx's transport behind the outbound policy (bot.outbound): check before connecting, cap what comes back.

A module of its own so that httpx loads on the first outbound call (an MLflow sync), not when Headway starts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from bot.outbound import OutboundPolicy, OutboundRefused


class GuardedTransport(httpx.AsyncBaseTransport):
    """httpx's transport behind the policy: check before connecting, cap what comes back."""

    def __init__(self, policy: OutboundPolicy, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self.policy.check_url(request.url)
        deadline = time.monotonic() + self.policy.seconds
        try:
            async with asyncio.timeout(self.policy.seconds):
                response = await self.inner.handle_async_request(request)
        except TimeoutError:
            raise httpx.ReadTimeout(f"no answer within {self.policy.seconds:g} s", request=request) from None
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.policy.max_bytes:
            await response.aclose()
            raise OutboundRefused(self._too_large(request))
        stream = _Capped(response.stream, self.policy.max_bytes, deadline, self._too_large(request), request)
        return httpx.Response(response.status_code, headers=response.headers, stream=stream,
                              extensions=response.extensions, request=request)

    def _too_large(self, request: httpx.Request) -> str:
        megabytes = self.policy.max_bytes // (1024 * 1024)
        return f"{request.url.host} answered with more than {megabytes} MB; Headway stopped reading."

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Capped(httpx.AsyncByteStream):
    def __init__(self, inner: Any, limit: int, deadline: float, too_large: str, request: httpx.Request) -> None:
        self.inner, self.limit, self.deadline, self.too_large, self.request = inner, limit, deadline, too_large, request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        size = 0
        async for chunk in self.inner:
            size += len(chunk)
            if size > self.limit:
                raise OutboundRefused(self.too_large)
            if time.monotonic() > self.deadline:
                raise httpx.ReadTimeout("the answer took too long", request=self.request)
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()
