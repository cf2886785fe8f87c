"""Running Headway: uvicorn on HTTP (optionally with Socket Mode), in the foreground or as a task.

`HeadwayServer` is the same server the CLI runs; tests, the demo and benchmarks start it in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Iterator

import uvicorn

from bot.app import Headway, build_headway
from bot.clock import Clock
from bot.config import Settings
from bot.migrate import SchemaOutdated, ensure_current
from bot.serving import Server, listening_socket, serving_config
from bot.slack_app import build_bolt_app, connect_socket_mode, oauth_endpoint, slack_endpoint
from bot.web import build_web_app

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    """Inside tests, the demo or benchmarks the caller owns Ctrl-C and SIGTERM: don't take them over.

    It also stops as soon as it is asked to. uvicorn notices `should_exit` on a 0.1 s tick and then sleeps another
    0.1 s after asking connections to close: 0.2 s per stop, a fifth of a second in each of a thousand tests and at
    the end of the demo. Here `exit()` wakes the tick at once and the shutdown waits for the connections to close
    (they close as soon as their response is sent), in 5 ms steps, then goes on exactly as uvicorn's does.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._exit = asyncio.Event()

    def exit(self) -> None:
        self.should_exit = True
        self._exit.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit.wait(), 0.1)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn 0.54's `Server.shutdown`, with its fixed 0.1 s sleep turned into a wait for the connections."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(0.1):
                while self.server_state.connections:  # noqa: ASYNC110 (a set of uvicorn's: no event to wait on)
                    await asyncio.sleep(0.005)
        try:
            async with asyncio.timeout(self.config.timeout_graceful_shutdown):
                await self._wait_tasks_to_complete()
        except TimeoutError:
            for task in self.server_state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        if not self.force_exit:
            await self.lifespan.shutdown()


class _ForegroundServer(Server):
    """`headway serve`: SIGTERM/Ctrl-C shut down gracefully and the process then exits 0, not by the signal."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class HeadwayServer:
    def __init__(self, settings: Settings, *, clock: Clock | None = None, run_scheduler: bool | None = None,
                 log_level: str = "warning") -> None:
        self.hw: Headway = build_headway(settings, clock=clock)
        self.bolt = build_bolt_app(self.hw)
        scheduler = settings.scheduler_enabled if run_scheduler is None else run_scheduler
        self.web = build_web_app(self.hw, slack_endpoint(self.hw, self.bolt), run_scheduler=scheduler,
                                 slack_oauth=oauth_endpoint(self.bolt) if self.hw.installations else None)
        self._settings = settings
        self._log_level = log_level
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://{self._settings.host}:{self.port}"

    async def check_schema(self) -> None:
        database = self.hw.db.engine.url.database
        if self.hw.db.dialect == "sqlite" and database and not os.path.exists(database):  # noqa: ASYNC240 (a stat)
            raise SchemaOutdated(f"there is no database at {database} yet: run `headway migrate` first")
        await ensure_current(self.hw.db.engine)

    async def start(self) -> str:
        """Start serving in the background of this event loop; returns the base URL."""
        await self.check_schema()
        sock = listening_socket(self._settings.host, self._settings.port)
        self.port = sock.getsockname()[1]
        self.hw.outbound.own_ports.add(self.port)  # outbound calls never reach Headway itself
        config = uvicorn.Config(self.web, log_level=self._log_level, lifespan="on", access_log=False)
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.005)
        return self.url

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.exit()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._server = self._task = None

    async def crash(self) -> None:
        """Stop at once, as a killed process would: no draining, no shutdown hooks (for fault tests)."""
        await self.hw.outbox.stop()
        await self.hw.scheduler.shutdown()
        await self.hw.background.close(timeout=0)  # queued work dies with the process
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        if self._server is not None:
            for server in self._server.servers:
                server.close()
        await self.hw.gateway.client.aclose()
        await self.hw.db.dispose()
        self._server = self._task = None

    async def __aenter__(self) -> HeadwayServer:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def serve_forever(self, *, socket_mode: bool = False) -> None:
        """What `headway serve` runs: HTTP always (health, metrics), Slack over HTTP or Socket Mode.

        The port is taken before anything starts, so "address in use" is said before the app has started; logging
        is left to bot.logs (log_config=None), and requests are logged once by bot.web, not by uvicorn's access log.
        """
        await self.check_schema()
        sock = listening_socket(self._settings.host, self._settings.port)
        handler = None
        try:
            if socket_mode:
                app_token = self._settings.slack_app_token
                try:
                    handler = await connect_socket_mode(self.bolt, app_token.get_secret_value() if app_token else "")
                except Exception:  # a refused app token: nothing else started, so close what was opened
                    await self.hw.gateway.client.aclose()
                    await self.hw.db.dispose()
                    raise
            self.hw.outbound.own_ports.add(self._settings.port)  # outbound calls never reach Headway itself
            await _ForegroundServer(serving_config(self.web, self._log_level)).serve(sockets=[sock])
        finally:
            sock.close()
            if handler is not None:
                await handler.close_async()

