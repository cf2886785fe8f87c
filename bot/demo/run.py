"""`headway demo`: Headway against the built-in Slack emulator, on a throwaway SQLite database.

Nothing but the install is needed: the emulator serves Slack's Web API on loopback, Headway is served in-process
by uvicorn exactly as `headway serve` does (on a `ManualClock` the story moves, with the scheduler off: the standup
act runs the scheduler's tick itself), and `SlackDriver` plays the people (see `bot.demo.scenario`).
A failure ends in one line on stderr and exit code 1 (130 when interrupted), never a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import typer

from bot.clock import ManualClock
from bot.config import ConfigError, load_settings
from bot.demo.cast import DEMO_PACE_SCALE, TEAM_ID, emulator_config
from bot.demo.printer import Printer
from bot.demo.scenario import DemoError, Scenario
from bot.migrate import SchemaOutdated, upgrade
from bot.server import HeadwayServer
from bot.slack_emulator import SlackDriver, SlackEmulator


class _Problems(logging.Handler):
    """Keeps Headway's warnings and errors off the terminal; the first one explains a failure."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.first is None and record.levelno >= logging.ERROR:
            detail = f": {record.exc_info[1]!r}" if record.exc_info and record.exc_info[1] else ""
            self.first = f"{record.name}: {record.getMessage()}{detail}".splitlines()[0][:300]


@contextlib.contextmanager
def _quiet_logs() -> Iterator[_Problems]:
    handler = _Problems()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def _mute_uvicorn() -> None:
    """uvicorn installs its own stderr handlers when the server starts: send its records to ours instead."""
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers, logger.propagate = [], True


@contextlib.contextmanager
def _database_file(keep_database: str | None) -> Iterator[Path]:
    """The SQLite file to use: a path the user chose (kept), or one in a temp dir removed afterwards."""
    if keep_database:
        path = Path(keep_database).expanduser().resolve()
        if path.exists():
            raise DemoError(f"{path} already exists: give --keep a new file (the demo creates its own projects)")
        path.parent.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="headway-demo-", dir=_memory_backed()) as directory:
        yield Path(directory) / "headway-demo.db"


def _memory_backed() -> str | None:
    """The throwaway database goes where writes are not waited on (Linux's memory-backed /dev/shm: migrating takes
    a third of the time), else in the usual temp dir."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _interrupted(server: HeadwayServer) -> bool:
    """uvicorn takes over Ctrl-C (and SIGTERM) while it serves: it stops Headway under the running story."""
    return bool(getattr(getattr(server, "_server", None), "should_exit", False))


async def run_demo(keep_database: str | None = None) -> None:
    """Run the scripted scenario and print it; raise typer.Exit(1) after one clear line if anything fails."""
    # A short CPU-bound run: what the imports built lives to the end, so it leaves the cyclic collector's sight,
    # and the young generation is collected less often (together ~0.2 s of the story's ~2.7 s).
    gc.freeze()
    gc.set_threshold(7000, 10, 10)
    printer = Printer()
    started = time.monotonic()
    with _quiet_logs() as problems:
        try:
            await _run(printer, keep_database, started)
        except DemoError as error:
            logged = f" (Headway logged {problems.first})" if problems.first and error.exit_code == 1 else ""
            printer.failure(str(error) + logged)
            raise typer.Exit(error.exit_code) from None
        except (ConfigError, SchemaOutdated) as error:
            printer.failure(str(error))
            raise typer.Exit(1) from None
        except BrokenPipeError:  # `headway demo | head`: the reader has seen enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python exits
            raise typer.Exit(0) from None
        except OSError as error:
            printer.failure(f"{type(error).__name__}: {error.strerror or error}")
            raise typer.Exit(1) from None
        except Exception as error:  # a bug: still one line, with what Headway logged if anything
            detail = str(error).splitlines()[0][:300] if str(error) else ""
            printer.failure(f"{type(error).__name__}: {detail}" + (f" ({problems.first})" if problems.first else ""))
            raise typer.Exit(1) from None


async def _run(printer: Printer, keep_database: str | None, started: float) -> None:
    with _database_file(keep_database) as path:
        url = f"sqlite+aiosqlite:///{path}"
        printer.title("Headway demo: an ML team's first day, in an emulated Slack workspace")
        printer.say(f"Database: {'SQLite at ' + str(path) if keep_database else 'a throwaway SQLite file'}; "
                    "migrating it…")
        await asyncio.get_running_loop().run_in_executor(None, upgrade, url)
        async with SlackEmulator(emulator_config(DEMO_PACE_SCALE)) as emu:
            signing_secret = secrets.token_hex(16)
            settings = load_settings(
                slack_bot_token=emu.config.bot_token, slack_signing_secret=signing_secret,
                slack_api_url=emu.api_url, database_url=url, host="127.0.0.1", port=0, scheduler_enabled=False,
                slack_pace_scale=DEMO_PACE_SCALE,
            )
            # The story's own clock: now for the first acts (dates relative to today), moved on for the standup.
            clock = ManualClock(datetime.now(UTC))
            async with HeadwayServer(settings, clock=clock) as server, SlackDriver(
                server.url + "/slack/events", signing_secret, emu, team_id=TEAM_ID
            ) as driver:
                _mute_uvicorn()
                printer.say(f"Slack emulator on {emu.base_url}, Headway on {server.url}. The story squeezes days into "
                            f"seconds, so Slack's pace (one post a second per channel, the method limits) runs "
                            f"×{DEMO_PACE_SCALE:g} on both sides.")
                scenario = Scenario(server, emu, driver, printer)
                try:
                    await scenario.run()
                except Exception:
                    if _interrupted(server):
                        raise DemoError("interrupted: Headway was stopped before the story ended", 130) from None
                    raise
                created, calls = await scenario.stored_projects(), scenario.api_calls()
            printer.summary(created, calls, str(path) if keep_database else None,
                            time.monotonic() - started)
