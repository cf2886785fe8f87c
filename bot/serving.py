"""How `headway serve` runs uvicorn, in a module light enough for the benchmarks' bare app to share it."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import socket
from collections.abc import Callable

import uvicorn


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (a dependency, except on Windows), else asyncio's own (None).

    Measured with `bench.ack_latency`'s requests (bench/RESULTS.md, issue 25): on uvloop and httptools the server
    spent a sixth less CPU per `/gate status` (median of 7 runs, 3.7 → 3.1 ms; the bare Bolt app 2.2 → 1.7 ms),
    so each request leaves more of the loop to the acks behind it."""
    if importlib.util.find_spec("uvloop") is None:
        return None
    import uvloop

    return uvloop.new_event_loop


def serving_config(app: object, log_level: str) -> uvicorn.Config:
    """Logging is left to bot.logs (log_config=None); requests are logged once by bot.web, not by uvicorn's
    access log. Serve it on `listening_socket`. HTTP is parsed by httptools where it is installed (a dependency;
    see `event_loop_factory` for what it saved), else by h11."""
    http = "httptools" if importlib.util.find_spec("httptools") is not None else "h11"
    return uvicorn.Config(app, lifespan="on", log_level=log_level, log_config=None, access_log=False, http=http)


class Server(uvicorn.Server):
    """uvicorn's server, which once started moves everything built so far out of the garbage collector's sight
    (`gc.freeze`): the modules, mappers, templates and settings live as long as the process, yet each full
    collection walked them all — 13–52 ms pauses under load, each one an ack's latency (bench/RESULTS.md, issue 25).
    Collections then walk only what requests create."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        gc.collect()
        gc.freeze()


def listening_socket(host: str, port: int) -> socket.socket:
    """The port, taken before anything starts (so "address in use" is said before the app has started).

    IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that say so, and without it a response
    written in two parts waits ~40 ms for the client's delayed ACK (Nagle)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock
