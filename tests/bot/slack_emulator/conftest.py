"""Fixtures: a running emulator, an SDK client pointed at it, and a tiny signed-request receiver."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.demo.playground import Running, running_playground
from bot.slack_emulator import EmulatorChannel, EmulatorConfig, EmulatorUser, RateLimitConfig, SlackEmulator

SIGNING_SECRET = "test-signing-secret"
USERS = [
    EmulatorUser(id="U0ALICE", name="alice", real_name="Alice Example", tz="Europe/Berlin", email="alice@example.com"),
    EmulatorUser(id="U0BOB", name="bob", real_name="Bob Example", tz="America/New_York", is_admin=True),
    EmulatorUser(id="U0CAROL", name="carol", real_name="Carol Example", tz="Asia/Kolkata"),
    EmulatorUser(id="U0GONE", name="gone", real_name="Gone Person", deleted=True),
]
CHANNELS = [
    EmulatorChannel(id="C0GENERAL", name="general", bot_member=True),  # the app was invited (/invite @headway)
    EmulatorChannel(id="C0PRIVATE", name="secret", is_private=True, members=["U0ALICE"]),
]


def make_config(**overrides: Any) -> EmulatorConfig:
    base: dict[str, Any] = {
        "users": list(USERS),
        "channels": list(CHANNELS),
        "rate_limits": RateLimitConfig(enabled=False),
    }
    base.update(overrides)
    return EmulatorConfig(**base)


@pytest.fixture
async def emu() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(make_config()) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: SlackEmulator) -> AsyncIterator[AsyncWebClient]:
    yield AsyncWebClient(token="xoxb-emulator", base_url=emu.api_url, retry_handlers=[])


@dataclass
class Receiver:
    """An app stand-in: verifies Slack signatures and answers with `handler`."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    handler: Callable[[dict[str, Any]], Awaitable[web.Response]] | None = None


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()
    verifier = SignatureVerifier(SIGNING_SECRET)

    async def events(request: web.Request) -> web.Response:
        raw = await request.text()
        valid = verifier.is_valid_request(raw, dict(request.headers))
        if request.content_type == "application/json":
            body: Any = json.loads(raw)
        else:
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            body = json.loads(form["payload"]) if "payload" in form else form
        record = {"raw": raw, "headers": dict(request.headers), "valid": valid, "body": body}
        state.requests.append(record)
        if not valid:
            return web.Response(status=401, text="invalid signature")
        if state.handler is not None:
            return await state.handler(record)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/slack/events", events)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield state
    await runner.cleanup()


@pytest.fixture
def database(scratch_database) -> str:
    """A fresh database per test (made outside the event loop: creating one on PostgreSQL runs its own)."""
    return scratch_database()


@pytest.fixture
async def playground(database: str) -> AsyncIterator[Running]:
    """`headway playground` in-process (emulator, Headway and the page), on that database."""
    async with running_playground(database_url=database) as running:
        yield running
