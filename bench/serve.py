"""One server in its own process for the benchmarks (so the load generator never shares its event loop).

    python -m bench.serve headway --api-url URL --db URL [--scheduler] [--profile FILE]
    python -m bench.serve bare --api-url URL [--preload FILE]

`headway`: the whole app as `headway serve` builds and serves it (HeadwayServer's Starlette app on uvicorn: Bolt
with lazy listeners, the outbox sender, /healthz, /metrics; the scheduler only with --scheduler).
`bare`: a Bolt AsyncApp on the same server stack (uvicorn, the same Starlette route shape, Bolt's Starlette
adapter, same signing) that acks and then does the least a person would see. Both serve exactly as
`headway serve` does (its logging and uvicorn configuration, access log included). `--preload FILE` makes the bare
app import the modules listed there first (one name a line): given the libraries Headway has loaded (the
`modules` command), it is the floor those libraries set before any of Headway's own code (bench.memory).

Prints the base URL as the first stdout line, then reads commands on stdin and answers each with one JSON line:
`tick` runs standup_tick and waits until no outbox row is pending or sending; `drain` only waits; `drain METHOD`
waits for that method's rows only (the messages, while Tier 3 updates keep their own pace); `modal FILE` (bare) makes
the bare app open that view for `/headway project new`; `modules` (headway) names every module loaded that is not
Headway's own (the libraries, with what they loaded). EOF stops the server.
Both servers run on `headway serve`'s stack (bot/serving.py: uvloop and httptools where installed);
HEADWAY_BENCH_LOOP=asyncio|uvloop and HEADWAY_BENCH_HTTP=h11|httptools pick another event loop and HTTP parser
(both servers alike), to measure what uvloop and httptools do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slack_bolt.adapter.starlette.async_handler import to_async_bolt_request, to_starlette_response
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.common import BOT_TOKEN, SIGNING_SECRET, settings_for
from bot.ids import ActionId, CallbackId

if TYPE_CHECKING:
    from bot.app import Headway


def bare_app(api_url: str, modal: dict[str, Any]) -> Starlette:
    """Bolt that acks and then does the least a person would see, lazily (Bolt's own way to work after the ack):
    a response_url answer for commands and buttons, a modal for `/headway project new` (`modal["view"]`: a
    one-block placeholder, or the project form as Headway sent it, given with the `modal FILE` command)."""
    bolt = AsyncApp(client=AsyncWebClient(token=BOT_TOKEN, base_url=api_url), signing_secret=SIGNING_SECRET,
                    process_before_response=True)

    async def ack_only(ack: AsyncAck) -> None:
        await ack()

    async def answer(body: dict, respond: AsyncRespond, client: AsyncWebClient) -> None:
        if body.get("command") == "/headway" and body.get("text") == "project new":
            await client.views_open(trigger_id=body["trigger_id"], view=modal["view"])
        else:
            await respond(text="Done.", response_type="ephemeral", replace_original=False)

    for command in ("/headway", "/standup", "/gate"):
        bolt.command(command)(ack=ack_only, lazy=[answer])
    bolt.action(ActionId.STANDUP_SKIP.value)(ack=ack_only, lazy=[answer])
    bolt.view(CallbackId.PROJECT_FORM.value)(ack_only)

    async def slack_events(request: Request) -> Response:
        bolt_request = to_async_bolt_request(request, await request.body())
        return to_starlette_response(await bolt.async_dispatch(bolt_request))

    return Starlette(routes=[Route("/slack/events", slack_events, methods=["POST"])])


BARE_MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "New project"},
              "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "A form."}}]}


async def serve(app: Starlette) -> tuple[str, Any]:
    """Serve exactly as `headway serve` does: its logging setup (one line per request, at info) and its uvicorn
    configuration on a socket taken first, for Headway and the bare app alike."""
    from bot.logs import configure as configure_logging
    from bot.serving import Server, listening_socket, serving_config

    configure_logging("info", "text")
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = serving_config(app, "info")
    config.http = os.environ.get("HEADWAY_BENCH_HTTP", config.http)  # h11 or httptools: to compare the parsers
    server = Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 (uvicorn only offers a flag; HeadwayServer.start polls too)
        if task.done():
            task.result()
        await asyncio.sleep(0.005)

    async def stop() -> None:
        server.should_exit = True
        await task

    return f"http://127.0.0.1:{port}", stop


async def outbox_counts(hw: Headway, method: str | None = None) -> dict[str, int]:
    from sqlalchemy import text

    where = "WHERE method = :method" if method else ""
    async with hw.db.engine.connect() as connection:
        rows = await connection.execute(
            text(f"SELECT status, count(*) FROM outbox_messages {where} GROUP BY status"), {"method": method})
        return {status: count for status, count in rows.all()}


async def drained(hw: Headway, method: str | None = None) -> dict[str, int]:
    """Wait until no outbox row (of `method`, if given) is pending or sending; the final counts by status."""
    while True:
        counts = await outbox_counts(hw, method)
        if not counts.get("pending") and not counts.get("sending"):
            return counts
        await asyncio.sleep(0.02)


async def tick(hw: Headway) -> dict[str, Any]:
    """standup_tick, then wait until every outbox row is sent (or dead): the fan-out's elapsed time."""
    from bot.jobs import standup_tick

    started, started_at = time.perf_counter(), time.time()
    result = await standup_tick(hw)
    planned = time.perf_counter()
    counts = await drained(hw)
    return {"prompted": result.prompted, "failed": result.failed, "tick_s": planned - started,
            "elapsed_s": time.perf_counter() - started, "outbox": counts,
            "started_at": started_at}  # wall clock, to time each workspace by the emulator's call records


async def main(args: argparse.Namespace) -> None:
    # The answers to the bench runner go to the original stdout; anything else printed there (uvicorn's access
    # log writes to stdout, as under `headway serve`) goes to stderr, the server's log file.
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    server = None
    modal: dict[str, Any] = {"view": BARE_MODAL}
    if args.kind == "headway":  # Headway's modules only here, so the bare app's process carries none of them
        from bot.server import HeadwayServer

        server = HeadwayServer(settings_for(args.db, args.api_url, scheduler=args.scheduler))
        await server.check_schema()
        url, stop = await serve(server.web)
    else:
        if args.preload:
            preload((await asyncio.to_thread(Path(args.preload).read_text)).split())
        url, stop = await serve(bare_app(args.api_url, modal))
    print(url, file=protocol, flush=True)
    while line := (await asyncio.to_thread(sys.stdin.readline)).strip():
        if line == "tick" and server is not None:
            answer: dict[str, Any] = await tick(server.hw)
        elif line == "drain" and server is not None:
            answer = {"outbox": await drained(server.hw)}
        elif line.startswith("modal ") and server is None:  # the bare app opens this view from now on
            modal["view"] = json.loads(await asyncio.to_thread(Path(line.split(maxsplit=1)[1]).read_text))
            answer = {"modal": len(modal["view"].get("blocks", []))}
        elif line == "modules" and server is not None:
            answer = {"modules": library_modules()}
        elif line.startswith("drain ") and server is not None:  # one method's rows: "drain chat.postMessage"
            answer = {"outbox": await drained(server.hw, line.split()[1]),
                      "all": await outbox_counts(server.hw)}
        else:
            answer = {"error": f"unknown command {line!r}"}
        print(json.dumps(answer), file=protocol, flush=True)
    await stop()


OWN = ("bot", "handlers", "bench", "migrations", "__main__", "__mp_main__")


def library_modules() -> list[str]:
    """The modules loaded that are not Headway's own (nor this benchmark's), in the order they were first imported
    (a package before its modules)."""
    return [name for name in sys.modules if name.split(".")[0] not in OWN]


def preload(names: list[str]) -> None:
    """Import these modules (those that import on their own: a few private ones only load from their package)."""
    import importlib

    for name in names:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.serve")
    parser.add_argument("kind", choices=["headway", "bare"])
    parser.add_argument("--api-url", required=True, help="the Slack emulator's Web API base URL")
    parser.add_argument("--db", default="", help="a migrated database URL (headway only)")
    parser.add_argument("--scheduler", action="store_true", help="run scheduled jobs, as `headway serve` does")
    parser.add_argument("--profile", default="", help="write a cProfile of the whole run to this file")
    parser.add_argument("--preload", default="", help="bare: import the modules listed in this file first")
    args = parser.parse_args(argv)
    profiler = cProfile.Profile() if args.profile else None
    from bot.serving import event_loop_factory

    loop_factory = event_loop_factory()  # as `headway serve`
    if os.environ.get("HEADWAY_BENCH_LOOP") == "asyncio":  # to compare event loops (bench/RESULTS.md)
        loop_factory = None
    elif os.environ.get("HEADWAY_BENCH_LOOP") == "uvloop":
        import uvloop

        loop_factory = uvloop.new_event_loop
    with profiler or contextlib.nullcontext(), asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(main(args))
    if profiler is not None:
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    run()
