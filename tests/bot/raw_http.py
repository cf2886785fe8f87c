"""HTTP by hand on a socket, for what httpx will not do: keep sending a body while the answer is already there,
or send half a body and wait. Returns what a client sees: the status line, and how much it had sent by then."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Answer:
    status: int
    sent_before_answer: int  # body bytes written before the status line arrived
    head: str


async def post_streaming(url: str, path: str, chunks: Iterable[bytes], headers: dict[str, str] | None = None,
                         wait_seconds: float = 20.0) -> Answer:
    """POST a chunked body, one chunk at a time, stopping as soon as the server has answered; then (or once the
    chunks run out) wait for the status line at most `wait_seconds`."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Transfer-Encoding: chunked",
            *(f"{k}: {v}" for k, v in (headers or {}).items()), "", ""]
    writer.write("\r\n".join(head).encode())
    answer = asyncio.ensure_future(reader.readuntil(b"\r\n\r\n"))
    sent = 0
    try:
        for chunk in chunks:
            if answer.done():
                break
            try:
                writer.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                await writer.drain()
            except ConnectionError:
                break
            sent += len(chunk)
        answered_at = sent
        if not answer.done() and sent >= 0:
            with contextlib.suppress(ConnectionError):
                writer.write(b"0\r\n\r\n")
        text = (await asyncio.wait_for(answer, wait_seconds)).decode("latin-1")
    finally:
        writer.close()
    return Answer(int(text.split(" ", 2)[1]), answered_at, text)


async def post_half(url: str, path: str, headers: dict[str, str], wait_seconds: float = 20.0) -> Answer:
    """Declare a 1000-byte body, send 10 bytes of it and wait for an answer: a server that reads the body first
    never answers (asyncio.TimeoutError)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Content-Length: 1000",
            "Content-Type: application/json", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    writer.write("\r\n".join(head).encode() + b'{"version"')
    try:
        text = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), wait_seconds)).decode("latin-1")
    finally:
        writer.close()
    return Answer(int(text.split(" ", 2)[1]), 10, text)
