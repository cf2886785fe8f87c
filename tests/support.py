"""Small helpers for tests that watch asynchronous effects through public surfaces."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import select

from bot.db import Database

T = TypeVar("T")


async def eventually(probe: Callable[[], T], timeout: float = 5.0, interval: float = 0.01) -> T:
    """Wait until probe() returns something truthy (work Headway does after acking)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {probe}")
        await asyncio.sleep(interval)


async def rows(database_url: str, model: type[T], *where: Any) -> list[T]:
    """Read rows straight from the database the server writes to."""
    db = Database(database_url)
    try:
        async with db.unit_of_work() as session:
            return list((await session.exec(select(model).where(*where))).all())
    finally:
        await db.dispose()


def all_text(blocks: list[dict[str, Any]]) -> str:
    """Every piece of text in a list of blocks, for assertions about wording."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(out)


# Text people type that would ping everyone, mention someone else or plant a link if it reached Slack unescaped.
EVIL = "<!channel> <!here|here> <@U0EVIL0001> <https://evil.example|click me> & done"


def mrkdwn_texts(node: Any, out: list[str]) -> list[str]:
    """Every string Slack would parse as mrkdwn in a message or view."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            out.append(node["text"])
        if isinstance(node.get("text"), str) and node.get("type") not in ("plain_text", "mrkdwn") and "blocks" in node:
            out.append(node["text"])  # a message's top-level text is mrkdwn too
        for value in node.values():
            mrkdwn_texts(value, out)
    elif isinstance(node, list):
        for item in node:
            mrkdwn_texts(item, out)
    return out


def assert_safe(text: str, where: str, legit_mentions: set[str]) -> None:
    assert "<!" not in text, f"live broadcast in {where}: {text!r}"
    assert not re.search(r"<https?:", text) or "evil" not in text, f"injected link in {where}: {text!r}"
    for user in re.findall(r"<@([A-Z0-9]+)", text):
        assert user in legit_mentions, f"injected mention of {user} in {where}: {text!r}"


def assert_all_sent_text_safe(emulator: Any, legit_mentions: set[str]) -> int:
    """Check the mrkdwn of every Web API call and response_url answer the emulator saw; returns how many."""
    checked = 0
    for call in emulator.calls:
        params = dict(call.params)
        for key in ("blocks", "view"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        for text in mrkdwn_texts(params, []):
            assert_safe(text, call.method, legit_mentions)
            checked += 1
    for response in emulator.responses:
        for text in mrkdwn_texts(response, []):
            assert_safe(text, "response_url", legit_mentions)
            checked += 1
    return checked
