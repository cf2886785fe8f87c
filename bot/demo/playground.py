"""`headway playground`: Headway in a Slack-like web page, on the emulator, with no Slack account and no token.

One process: the emulator (with the playground's page and API, `bot.slack_emulator.playground`) on loopback,
Headway served by uvicorn exactly as `headway serve` does, on a throwaway SQLite file (or `DATABASE_URL`) and a
`ManualClock` the page moves (`bot.demo.clockwork`), and a `SlackDriver` that turns clicks into signed requests.
`--scenario` first plays the demo's story (`bot.demo.scenario`, printed nowhere) so the workspace is lived in.

Two workspaces: the cast's (installed from the start) and a second one (`bot.demo.cast.SECOND_TEAM_ID`) where
Headway is not installed. Headway runs with "Add to Slack" configured (a client id and secret the emulator's
OAuth app also has), so the page's "Add to Slack" button goes through Headway's /slack/install, the emulator's
authorize page and /slack/oauth_redirect like a real install, after which Headway answers in the second workspace
with the token that install issued. The first workspace's installation is stored before Headway serves
(bot.oauth.store_installation), with the emulator's bot token.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import secrets
import signal
import socket
import tempfile
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from bot.clock import ManualClock
from bot.config import ConfigError, load_settings, normalize_database_url
from bot.demo.cast import (
    ADA,
    CAST,
    ELENA,
    SECOND_CAST,
    SECOND_TEAM_ID,
    TEAM_ID,
    emulator_config,
    second_workspace_config,
)
from bot.demo.clockwork import Clockwork
from bot.demo.printer import Printer
from bot.demo.run import _mute_uvicorn, _quiet_logs
from bot.demo.scenario import DemoError, Scenario
from bot.manifest import build_manifest
from bot.migrate import SchemaOutdated, upgrade
from bot.oauth import INSTALL_PATH, store_installation
from bot.server import HeadwayServer
from bot.slack_emulator import SlackDriver
from bot.slack_emulator.oauth import OAuthApp
from bot.slack_emulator.playground import Playground, PlaygroundEmulator


@dataclass
class Running:
    emulator: PlaygroundEmulator
    server: HeadwayServer
    hub: Playground

    @property
    def url(self) -> str:
        return self.emulator.page_url


def free_port() -> int:
    """A loopback port nobody listens on now (the OS picks it), for Headway's server in the playground."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def running_playground(port: int = 0, scenario: bool = False,
                             database_url: str | None = None) -> AsyncIterator[Running]:
    """The emulator with the page, Headway and the driver, started; `database_url` None means a throwaway SQLite."""
    with tempfile.TemporaryDirectory(prefix="headway-playground-") as directory:
        url = database_url or f"sqlite+aiosqlite:///{Path(directory) / 'headway-playground.db'}"
        await asyncio.get_running_loop().run_in_executor(None, upgrade, url)
        config = emulator_config()
        config.port = port
        headway_port = free_port()  # known before it starts, so the API instructions name a real address
        public_url = f"http://127.0.0.1:{headway_port}"
        app = OAuthApp(client_id=f"{secrets.randbelow(10 ** 12)}.{secrets.randbelow(10 ** 12)}",
                       client_secret=secrets.token_hex(16), redirect_urls=[public_url + "/slack/oauth_redirect"])
        async with PlaygroundEmulator(config, oauth=app) as emu:
            second = emu.add_workspace(second_workspace_config())
            second.not_installed()  # until someone presses "Add to Slack"
            signing_secret = secrets.token_hex(16)
            settings = load_settings(
                slack_client_id=app.client_id, slack_client_secret=app.client_secret,
                slack_authorization_url=emu.base_url + "/oauth/v2/authorize", slack_signing_secret=signing_secret,
                slack_api_url=emu.api_url, database_url=url, host="127.0.0.1", port=headway_port,
                scheduler_enabled=False, public_url=public_url,
            )
            clock = ManualClock(datetime.now(UTC).replace(second=0, microsecond=0))
            async with HeadwayServer(settings, clock=clock) as server, SlackDriver(
                server.url + "/slack/events", signing_secret, emu, team_id=TEAM_ID
            ) as driver, SlackDriver(
                server.url + "/slack/events", signing_secret, second, team_id=SECOND_TEAM_ID
            ) as second_driver:
                _mute_uvicorn()
                assert server.hw.installations is not None  # "Add to Slack" is configured above
                await store_installation(server.hw.installations, team_id=TEAM_ID, team_name=config.team_name,
                                         bot_token=config.bot_token, bot_user_id=config.bot_user_id,
                                         bot_id=config.bot_id, app_id=config.app_id, installer=ADA.id)
                emu.set_app_endpoint(server.url + "/slack/events", signing_secret)  # events Slack sends by itself
                hub = emu.playground
                hub.driver, hub.clock = driver, Clockwork(server.hw, (ELENA.first_name, ELENA.user.tz))
                hub.drivers, hub.install_url = {SECOND_TEAM_ID: second_driver}, server.url + INSTALL_PATH
                hub.notes = {person.id: person.role for person in (*CAST, *SECOND_CAST)}
                hub.functions = build_manifest(None, socket_mode=True)["functions"]  # `/workflow STEP …`
                if scenario:
                    await Scenario(server, emu, driver, Printer(io.StringIO(), color=False)).run()
                yield Running(emu, server, hub)


async def _until_stopped() -> None:
    """Wait for Ctrl-C or SIGTERM (then shut down cleanly: Headway drains, the emulator closes, the file goes)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def run_playground(port: int, scenario: bool) -> None:
    """Serve until Ctrl-C; one clear line and exit code 1 if it cannot start."""
    database_url = os.environ.get("DATABASE_URL")
    if database_url:
        try:
            database_url = normalize_database_url(database_url)
        except ValueError as error:
            typer.echo(f"headway playground failed: DATABASE_URL {error}", err=True)
            raise typer.Exit(1) from None
    with _quiet_logs() as problems:
        try:
            async with running_playground(port, scenario, database_url) as running:
                typer.echo(f"Headway playground: open {running.url} in your browser (Ctrl-C stops it).")
                await _until_stopped()
                typer.echo("Stopping the playground…")
        except (DemoError, ConfigError, SchemaOutdated) as error:
            logged = f" (Headway logged {problems.first})" if problems.first else ""
            typer.echo(f"headway playground failed: {error}{logged}", err=True)
            raise typer.Exit(1) from None
        except OSError as error:
            typer.echo(f"headway playground failed: {error.strerror or error}", err=True)
            raise typer.Exit(1) from None


class PlaygroundThread:
    """The playground on its own event loop in a background thread, for sync callers (browser tests, screenshots)."""

    def __init__(self, scenario: bool = False, database_url: str | None = None, start_timeout: float = 120.0) -> None:
        self.scenario, self.database_url, self.start_timeout = scenario, database_url, start_timeout
        self.url = ""
        self.running: Running | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="playground", daemon=True)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        try:
            async with running_playground(0, self.scenario, self.database_url) as running:
                self.running, self.url = running, running.url
                self._ready.set()
                await self._stop.wait()
        except BaseException as error:  # handed to the caller of start()
            self._error = error
            self._ready.set()

    def start(self) -> PlaygroundThread:
        self._thread.start()
        if not self._ready.wait(self.start_timeout):
            raise TimeoutError("the playground did not start")
        if self._error is not None:
            raise RuntimeError(f"the playground failed to start: {self._error!r}") from self._error
        return self

    def call(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        """Run `func` (sync) on the playground's loop, where the emulator's state lives; return its result."""
        if self._loop is None:
            raise RuntimeError("the playground is not running")

        async def run() -> Any:
            return func(*args, **kwargs)
        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=30)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=30)

    def __enter__(self) -> PlaygroundThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
