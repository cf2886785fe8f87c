"""The database taken in turns (SQLite: one writer; PostgreSQL: as many as the connection pool holds), where a save
a person is waiting for (in Slack's ack) goes before background work.

A plain lock is first come, first served, so in a rush an ack's save queued behind every outbox and scheduler unit
of work that asked first and ran into Slack's 3 s. Here waiters are served by urgency, then in order of arrival;
nobody overtakes a unit already holding its turn, and a save that cannot get one in time gives up before it has
done anything (bot/save_budget.py).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools


class Turns:
    def __init__(self, slots: int = 1) -> None:
        self.slots = slots
        self._free = slots
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    async def acquire(self, *, urgent: bool = False) -> None:
        if self._free and not self._waiting:
            self._free -= 1
            return
        entry = (0 if urgent else 1, next(self._order), asyncio.get_running_loop().create_future())
        heapq.heappush(self._waiting, entry)
        try:
            await entry[2]
        except BaseException:  # timed out or cancelled while waiting
            if entry[2].done() and not entry[2].cancelled():
                self.release()  # handed the turn just as we gave up: pass it on
            elif entry in self._waiting:  # a release may have dropped our cancelled entry already
                self._waiting.remove(entry)
                heapq.heapify(self._waiting)
            raise

    def release(self) -> None:
        """Hand the turn to the most urgent waiter, or free it."""
        while self._waiting:
            waiter = heapq.heappop(self._waiting)[2]
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1
