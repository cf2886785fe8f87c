"""A form saved inside Slack's ack is saved within a budget, or not at all.

Slack gives a view submission 3 s; an answer later than that shows the person an error while the form may have
been saved anyway. Under a burst a save waits that long for the database, so a save in an ack runs
`within_budget`: counted from the moment the request reached Headway (`arrived`), it has SAVE_BUDGET seconds to
get its turn at the database (bot/turns.py; acks' saves are served first). Past that it gives up before doing
anything (`TooLate`) and the form answers "busy" inline: the person submits again, and nothing was saved twice or
half. A save that got its turn is never cut off: cancelling statements midway (aiosqlite finishes them in its
thread; asyncpg drops the connection) cost more under load than it saved, so "busy" always means "nothing saved".
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

SAVE_BUDGET = 2.0  # seconds from arrival to the commit: the ack still leaves well inside Slack's 3 s
BUSY = "Headway is busy — submit again in a moment."

_arrived: ContextVar[float | None] = ContextVar("headway_request_arrived", default=None)


@dataclass(frozen=True)
class _Budget:
    deadline: float  # event-loop time
    task: asyncio.Task | None  # the save it bounds: a task started inside it copies the context, not the bound


_budget: ContextVar[_Budget | None] = ContextVar("headway_save_budget", default=None)


class TooLate(Exception):
    """The save could not get its turn at the database within the budget; it did nothing."""


def arrived() -> None:
    """Mark when the current request reached Headway (the budget counts from here, queueing included)."""
    _arrived.set(asyncio.get_running_loop().time())


def since_arrival() -> float:
    """Seconds since the current request reached Headway (0 outside a request)."""
    began = _arrived.get()
    return 0.0 if began is None else asyncio.get_running_loop().time() - began


@contextlib.contextmanager
def within_budget(budget: float | None = None) -> Iterator[None]:
    """Bound the saves inside: each must get its turn at the database (`remaining`) before the deadline."""
    loop = asyncio.get_running_loop()
    deadline = (_arrived.get() or loop.time()) + (SAVE_BUDGET if budget is None else budget)
    token = _budget.set(_Budget(deadline, asyncio.current_task()))
    try:
        yield
    finally:
        _budget.reset(token)


def remaining() -> float | None:
    """Seconds left to the current save's deadline (None: this task's work is not bounded)."""
    bounded = _budget.get()
    if bounded is None or bounded.task is not asyncio.current_task():
        return None
    return bounded.deadline - asyncio.get_running_loop().time()
