"""Shared fixtures: a migrated database (SQLite, or PostgreSQL with HEADWAY_TEST_DATABASE_URL), the Slack
emulator on loopback, Headway served by uvicorn, and a driver that signs requests like Slack does."""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from bot.clock import ManualClock
from bot.config import Settings, load_settings, normalize_database_url
from bot.db import execute_autocommit
from bot.migrate import upgrade
from bot.server import HeadwayServer
from bot.slack_emulator import EmulatorConfig, EmulatorUser, SlackDriver, SlackEmulator
from bot.slack_emulator.config import RateLimitConfig

# Parallel workers share two cores: how fast an example is made or runs says nothing about Headway there, so
# Hypothesis's timing checks are off (what each property asserts is unchanged).
hypothesis_settings.register_profile("headway", deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("headway")

SIGNING_SECRET = "test-signing-secret-0123456789"
TEAM_ID = "T0HEADWAY"
ADMIN, PM, EXEC, MEMBER, OTHER = "UADMIN01", "UPM00001", "UEXEC001", "UMEMBER1", "UOTHER01"
CHANNEL = "CGENERAL1"
# Where pacing is not what a test is about, Slack's pace runs this many times faster on both sides (the emulator's
# limits and Headway's pacer), so the same calls happen in the same order, sooner. `@pytest.mark.real_pace` keeps
# Slack's own numbers for the tests of pacing, rate limits and recovery.
PACE_SCALE = 20.0


def pace_scale(request: pytest.FixtureRequest) -> float:
    return 1.0 if request.node.get_closest_marker("real_pace") else PACE_SCALE


def emulator_users() -> list[EmulatorUser]:
    return [
        EmulatorUser(id=ADMIN, name="ada", real_name="Ada Admin", tz="Europe/London", is_admin=True),
        EmulatorUser(id=PM, name="pat", real_name="Pat Product", tz="America/New_York"),
        EmulatorUser(id=EXEC, name="eve", real_name="Eve Executive", tz="Europe/Berlin"),
        EmulatorUser(id=MEMBER, name="max", real_name="Max Modeler", tz="Asia/Kolkata"),
        EmulatorUser(id=OTHER, name="olly", real_name="Olly Outsider", tz="Australia/Sydney"),
    ]


# ---------------------------------------------------------------- database


def create_scratch_database(tmp_path_factory: pytest.TempPathFactory, label: str) -> tuple[str, callable]:
    """A new empty database on the configured backend, and a function that drops it."""
    base = os.environ.get("HEADWAY_TEST_DATABASE_URL")
    if not base:
        path = tmp_path_factory.mktemp(label) / "headway.db"
        return f"sqlite+aiosqlite:///{path}", lambda: None
    base = normalize_database_url(base)
    name = f"headway_{label}_{uuid.uuid4().hex[:8]}"
    asyncio.run(execute_autocommit(base, f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    return url, lambda: asyncio.run(execute_autocommit(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, drop = create_scratch_database(tmp_path_factory, "suite")
    upgrade(url)
    yield url
    drop()


@pytest.fixture(scope="session")
def scratch_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[callable]:
    """A factory of fresh, unmigrated databases (for migration tests), dropped at the end."""
    drops = []

    def make() -> str:
        url, drop = create_scratch_database(tmp_path_factory, "scratch")
        drops.append(drop)
        return url

    yield make
    for drop in drops:
        drop()


async def _truncate_tables(url: str) -> None:
    import bot.models  # noqa: F401

    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture
async def clean_database(database_url: str, tmp_path: Path) -> str:
    """An empty migrated database for one test. On SQLite a copy of the worker's migrated file (nothing a previous
    test left running can hold its lock); on PostgreSQL the worker's database, truncated."""
    if database_url.startswith("sqlite"):
        copy = tmp_path / "headway.db"
        shutil.copyfile(make_url(database_url).database, copy)
        return f"sqlite+aiosqlite:///{copy}"
    await _truncate_tables(database_url)
    return database_url


# ---------------------------------------------------------------- Slack side


@pytest.fixture
async def emulator(request: pytest.FixtureRequest) -> AsyncIterator[SlackEmulator]:
    config = EmulatorConfig(team_id=TEAM_ID, users=emulator_users(),
                            rate_limits=RateLimitConfig(scale=pace_scale(request)))
    async with SlackEmulator(config) as emu:
        emu.add_channel(id=CHANNEL, name="general", bot_member=True)  # an admin typed /invite @headway there
        yield emu


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # a Monday morning


@pytest.fixture
def settings(request: pytest.FixtureRequest, clean_database: str, emulator: SlackEmulator) -> Settings:
    return load_settings(
        slack_bot_token=emulator.config.bot_token, slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.api_url, database_url=clean_database, host="127.0.0.1", port=0,
        scheduler_enabled=False, slack_pace_scale=pace_scale(request),
    )


@pytest.fixture
async def headway(settings: Settings, clock: ManualClock) -> AsyncIterator[HeadwayServer]:
    async with HeadwayServer(settings, clock=clock) as server:
        yield server


@pytest.fixture
async def slack(headway: HeadwayServer, emulator: SlackEmulator) -> AsyncIterator[SlackDriver]:
    """The driver: sends signed requests to the running Headway, as Slack would."""
    emulator.set_app_endpoint(headway.url + "/slack/events", SIGNING_SECRET)  # the app's Request URL
    driver = SlackDriver(headway.url + "/slack/events", SIGNING_SECRET, emulator, team_id=TEAM_ID)
    yield driver
    await driver.aclose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow real-component tests first: on parallel workers they then overlap with the many short ones instead
    of running last, alone, at the end of the run."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection built (test modules, Hypothesis, SQLAlchemy's mappers, ~a million objects) lives until the
    worker exits: freeze it out of the cyclic collector, and collect the young generation less often. Each full
    collection otherwise walked all of it — a seventh of a worker's CPU in the handler tests."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(7000, 10, 10)
