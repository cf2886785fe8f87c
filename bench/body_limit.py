"""Resident memory while 200 MB request bodies arrive at every kind of route (the one body limit, bot/body_limit.py).

    python -m bench.body_limit [--megabytes 200]

Headway (bench/serve.py: `headway serve`'s app, migrated empty database) and the emulator (`python -m
bot.slack_emulator`, the server the playground runs on) each in their own process. For every route, one client
streams the whole body (chunked, 256 KiB at a time, without stopping when the answer arrives: an attacker would not)
and one declares it with Content-Length; VmRSS of the server process is read from /proc before and after each, and
VmHWM (peak) at the end. The claim: no route lets such a body move resident memory by more than 10 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from urllib.parse import urlsplit

from bench.common import memory_kb, migrated_database, start_emulator, start_server, table, workdir, write_section

CHUNK = b"x" * (256 * 1024)
HEADWAY_ROUTES = [("POST", "/api/v1/alertmanager"), ("POST", "/api/v1/projects/FRAUD/measurements"),
                  ("POST", "/slack/events"), ("GET", "/healthz"), ("GET", "/metrics")]
EMULATOR_ROUTES = [("POST", "/playground/api/compose"), ("POST", "/_emulator/rpc"), ("POST", "/api/chat.postMessage"),
                   ("POST", "/_emulator/upload/F0NONE")]


async def send(url: str, method: str, path: str, megabytes: int, chunked: bool) -> tuple[str, int]:
    """The status line the server answered, and the megabytes written before the server stopped taking them."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    total = megabytes * 1024 * 1024
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{framing}\r\nAuthorization: Bearer x\r\n"
                 f"Content-Type: application/json\r\n\r\n".encode())
    answer = asyncio.ensure_future(reader.readuntil(b"\r\n\r\n"))
    sent = 0
    with contextlib.suppress(ConnectionError):
        while sent < total:
            writer.write((f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n") if chunked else CHUNK)
            await writer.drain()
            sent += len(CHUNK)
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    try:
        status = (await asyncio.wait_for(answer, 30)).decode("latin-1").split("\r\n", 1)[0]
    except (TimeoutError, asyncio.IncompleteReadError, ConnectionError) as error:
        status = f"no answer ({type(error).__name__})"
    writer.close()
    return status.removeprefix("HTTP/1.1 "), sent // (1024 * 1024)


async def measure(name: str, url: str, pid: int, routes: list[tuple[str, str]], megabytes: int) -> list[list[object]]:
    rows = []
    for method, path in routes:
        for chunked in (True, False):
            before = memory_kb(pid)["VmRSS"]
            status, sent = await send(url, method, path, megabytes, chunked)
            after = memory_kb(pid)["VmRSS"]
            rows.append([name, f"{method} {path}", "chunked" if chunked else "Content-Length", status, sent,
                         f"{before / 1024:.1f}", f"{after / 1024:.1f}", f"{(after - before) / 1024:+.1f}"])
            print(rows[-1], flush=True)
    return rows


async def main(megabytes: int) -> None:
    directory = workdir("body-limit")
    emulator = await start_emulator(directory, ["U0BENCH1"])
    try:
        db = await migrated_database(directory)
        server = await start_server("headway", directory, emulator.url, db)
        try:
            await asyncio.sleep(2)
            headway_start = memory_kb(server.pid)
            emulator_start = memory_kb(emulator.pid)
            rows = await measure("headway", server.url, server.pid, HEADWAY_ROUTES, megabytes)
            rows += await measure("emulator", emulator.url.removesuffix("/api/"), emulator.pid, EMULATOR_ROUTES,
                                  megabytes)
            peaks = {"headway": (headway_start, memory_kb(server.pid)),
                     "emulator": (emulator_start, memory_kb(emulator.pid))}
        finally:
            await server.stop()
    finally:
        await emulator.stop()
    body = table(["server", "route", "body", "answer", "MB the client got to send", "VmRSS before MiB",
                  "VmRSS after MiB", "change MiB"], rows)
    body += "\n\n" + "\n".join(
        f"- {name}: VmRSS {start['VmRSS'] / 1024:.1f} → {end['VmRSS'] / 1024:.1f} MiB over the whole run, peak "
        f"(VmHWM) {start['VmHWM'] / 1024:.1f} → {end['VmHWM'] / 1024:.1f} MiB" for name, (start, end) in peaks.items())
    body += (f"\n\nEach body is {megabytes} MB, sent whole (an attacker does not stop at the 413) with `Authorization: "
             "Bearer x`; \"MB the client got to send\" is how much the server took: both servers answer as soon "
             "as the limit is passed (or the token is refused), then read and discard the rest, keeping none of it. "
             "The emulator here is `python -m bot.slack_emulator` without the playground's routes (hence 404 on "
             "/playground/api/… once streamed, after the same guard and body limit); an upload to an unknown file "
             "is 404 once streamed.")
    write_section("body-limit", f"Request bodies of {megabytes} MB (one body limit)", body,
                  "python -m bench.body_limit")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.body_limit")
    parser.add_argument("--megabytes", type=int, default=200)
    asyncio.run(main(parser.parse_args().megabytes))
