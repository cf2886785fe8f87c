"""Small helpers for tests that watch asynchronous effects through public surfaces."""

from __future__ import annotations

import asyncio
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
