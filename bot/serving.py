"""How `headway serve` runs uvicorn, in a module light enough for the benchmarks' bare app to share it."""

from __future__ import annotations

import socket

import uvicorn


def serving_config(app: object, log_level: str) -> uvicorn.Config:
    """Logging is left to bot.logs (log_config=None); requests are logged once by bot.web, not by uvicorn's
    access log. Serve it on `listening_socket`."""
    return uvicorn.Config(app, lifespan="on", log_level=log_level, log_config=None, access_log=False)


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
