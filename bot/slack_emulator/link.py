"""How the driver reaches the emulator: directly in-process, or over HTTP.

The driver needs a few emulator services (issue trigger_ids, register
response_urls, read held views, apply view answers). `LocalLink` calls the
emulator object; `RemoteLink` calls the same operations via POST /_emulator/rpc,
so a driver can steer an emulator running as a separate process.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any, Protocol

import httpx

from .payloads import DriverError


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def loopback_client(timeout: float) -> httpx.AsyncClient:
    """A client for the emulator and the app on loopback. httpx builds a TLS context for every client (loading the
    CA bundle, ~70 ms of CPU) even for plain HTTP: one shared context keeps a driver per test cheap."""
    return httpx.AsyncClient(timeout=timeout, verify=_tls_context())


class EmulatorLink(Protocol):
    async def call(self, op: str, **args: Any) -> Any: ...

    def peek(self, op: str, **args: Any) -> Any: ...


class LocalLink:
    """Direct calls on a SlackEmulator or EmulatorThread in this process."""

    def __init__(self, target: Any) -> None:
        self.target = target

    async def call(self, op: str, **args: Any) -> Any:
        return getattr(self.target, op)(**args)

    def peek(self, op: str, **args: Any) -> Any:
        return getattr(self.target, op)(**args)


class RemoteLink:
    """The same operations over the emulator's control API."""

    def __init__(self, base_url: str, http: httpx.AsyncClient | None = None) -> None:
        self.base_url = base_url.rstrip("/").removesuffix("/api")
        self._http = http
        self._cache: dict[tuple[str, str], Any] = {}

    async def call(self, op: str, **args: Any) -> Any:
        http = self._http or loopback_client(10.0)
        try:
            response = await http.post(f"{self.base_url}/_emulator/rpc", json={"op": op, "args": args})
        finally:
            if self._http is None:
                await http.aclose()
        data = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        if response.status_code != 200 or not data.get("ok"):
            raise DriverError(f"emulator rpc {op} failed: {response.status_code} {response.text[:200]}")
        self._cache[(op, repr(sorted(args.items())))] = data["result"]
        return data["result"]

    def peek(self, op: str, **args: Any) -> Any:
        """Last value fetched for this op (remote calls cannot be made synchronously)."""
        return self._cache.get((op, repr(sorted(args.items()))))


def make_link(emulator: Any, http: httpx.AsyncClient | None = None) -> EmulatorLink:
    """Accept a SlackEmulator, an EmulatorThread, a link, or the emulator's base/api URL."""
    if isinstance(emulator, str):
        return RemoteLink(emulator, http)
    if hasattr(emulator, "call") and hasattr(emulator, "peek"):
        return emulator
    return LocalLink(emulator)
