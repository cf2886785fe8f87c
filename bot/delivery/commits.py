"""Group commit: many workers' small writes become one statement, written while the next batch gathers.

The sender records "about to call Slack" and "Slack accepted it" for every message. One transaction per message
would cost more than the call itself at full speed; one per batch of 100 would leave up to 100 messages whose fate
is unknown after a crash (each then looked up in Slack). Group commit gives both: a worker waits only for the
write that carries its item, and whatever arrived during that write goes in the next one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class GroupCommit(Generic[T]):
    def __init__(self, write: Callable[[list[T]], Awaitable[None]]) -> None:
        self._write = write
        self._items: list[T] = []
        self._done: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None

    async def add(self, item: T) -> None:
        """Queue `item` and wait until the statement carrying it has committed (its error, if it failed)."""
        self._items.append(item)
        if self._done is None:
            self._done = asyncio.get_running_loop().create_future()
        done = self._done
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._run())
        await asyncio.shield(done)

    def add_nowait(self, item: T) -> None:
        """Queue `item` without waiting for its write (`flush` waits for every write queued so far)."""
        self._items.append(item)
        if self._done is None:
            self._done = asyncio.get_running_loop().create_future()
            self._done.add_done_callback(lambda f: f.exception() if not f.cancelled() else None)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._run())

    async def flush(self) -> None:
        """Wait until everything queued has been written (or has failed)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait({self._writer})

    async def _run(self) -> None:
        await asyncio.sleep(0)  # let the workers that are ready this turn join the batch
        while self._items:
            items, done = self._items, self._done
            self._items, self._done = [], None
            try:
                await self._write(items)
            except Exception as error:  # noqa: BLE001 - handed to every waiter of this batch
                if done is not None and not done.done():
                    done.set_exception(error)
                    done.exception()  # mark retrieved: a waiter that was cancelled must not log it unhandled
            else:
                if done is not None and not done.done():
                    done.set_result(None)
