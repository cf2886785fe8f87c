"""A form saved inside Slack's ack is saved within a budget, or not at all.

Slack gives a view submission 3 s; an answer later than that shows the person an error while the form may have
been saved anyway. Under a burst a save can wait that long (for the database, for its turn on SQLite), so a save
in an ack runs `within_budget`: counted from the moment the request reached Headway (`arrived`), it may take
SAVE_BUDGET seconds until its commit begins (PostgreSQL), or until it gets the one writer's turn (SQLite). Past
that the save is cancelled and rolled back, or never starts (`TooLate`), and the form answers "busy" inline: the
person submits again, and nothing was saved twice or half. Once the commit has begun it is never cut off
(`commit_begins`, called by the one unit-of-work helper), so "busy" always means "nothing saved".
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass

SAVE_BUDGET = 2.0  # seconds from arrival to the commit: the ack still leaves well inside Slack's 3 s
BUSY = "Headway is busy — submit again in a moment."

_arrived: ContextVar[float | None] = ContextVar("headway_request_arrived", default=None)


@dataclass(frozen=True)
class _Budget:
    deadline: float  # event-loop time
    task: asyncio.Task | None  # the save it bounds: a task started inside it copies the context, not the bound
    timeout: asyncio.Timeout | None  # None: nothing is cancelled, only waiting for the database is bounded


_budget: ContextVar[_Budget | None] = ContextVar("headway_save_budget", default=None)


class TooLate(Exception):
    """The save could not begin (or, on PostgreSQL, reach its commit) within the budget; nothing was saved."""


def arrived() -> None:
    """Mark when the current request reached Headway (the budget counts from here, queueing included)."""
    _arrived.set(asyncio.get_running_loop().time())


@contextlib.asynccontextmanager
async def within_budget(budget: float | None = None, *, cancel: bool = True) -> AsyncIterator[None]:
    """Bound the save inside. `cancel`: statements running past the deadline are cancelled (PostgreSQL: asyncpg
    cancels them on the server and the transaction rolls back). Without it (SQLite, whose driver finishes a
    cancelled statement in its thread), only the wait for the database's one writer's turn is bounded
    (`remaining`), and a save that got its turn runs to its end."""
    loop = asyncio.get_running_loop()
    deadline = (_arrived.get() or loop.time()) + (SAVE_BUDGET if budget is None else budget)
    token = None
    try:
        if cancel:
            async with asyncio.timeout_at(deadline) as timeout:
                token = _budget.set(_Budget(deadline, asyncio.current_task(), timeout))
                yield
        else:
            token = _budget.set(_Budget(deadline, asyncio.current_task(), None))
            yield
    except TimeoutError:
        raise TooLate() from None
    finally:
        if token is not None:
            _budget.reset(token)


def remaining() -> float | None:
    """Seconds left to the current save's deadline (None: this task's work is not bounded)."""
    bounded = _budget.get()
    if bounded is None or bounded.task is not asyncio.current_task():
        return None
    return bounded.deadline - asyncio.get_running_loop().time()


def commit_begins() -> None:
    """Just before a commit: too late raises TooLate (the caller rolls back); otherwise the commit runs to its end."""
    bounded = _budget.get()
    if bounded is None or bounded.timeout is None or bounded.task is not asyncio.current_task():
        return
    when = bounded.timeout.when()
    if bounded.timeout.expired() or (when is not None and when <= asyncio.get_running_loop().time()):
        raise TooLate()
    bounded.timeout.reschedule(None)
