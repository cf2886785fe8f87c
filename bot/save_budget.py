"""A form saved inside Slack's ack is saved within a budget, or not at all.

Slack gives a view submission 3 s; an answer later than that shows the person an error while the form may have
been saved anyway. Under a burst a save can wait that long (for the database, for its turn on SQLite), so a save
in an ack runs `within_budget`: counted from the moment the request reached Headway (`arrived`), it may take
SAVE_BUDGET seconds until its commit begins. Past that the save is cancelled and rolled back (`TooLate`) and the
form answers "busy" inline: the person submits again, and nothing was saved twice or half. Once the commit has
begun it is never cut off (`commit_begins`, called by the one unit-of-work helper), so "busy" always means
"nothing saved".
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar

SAVE_BUDGET = 2.0  # seconds from arrival to the commit: the ack still leaves well inside Slack's 3 s
BUSY = "Headway is busy — submit again in a moment."

_arrived: ContextVar[float | None] = ContextVar("headway_request_arrived", default=None)
# the budget and the task it bounds: a task started inside a save copies the context but is not bounded by it
_budget: ContextVar[tuple[asyncio.Timeout, asyncio.Task | None] | None] = ContextVar("headway_save_budget",
                                                                                     default=None)


class TooLate(Exception):
    """The save could not begin its commit within the budget; it was rolled back."""


def arrived() -> None:
    """Mark when the current request reached Headway (the budget counts from here, queueing included)."""
    _arrived.set(asyncio.get_running_loop().time())


@contextlib.asynccontextmanager
async def within_budget(budget: float | None = None) -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    budget = SAVE_BUDGET if budget is None else budget
    start = _arrived.get() or loop.time()
    token = None
    try:
        async with asyncio.timeout_at(start + budget) as timeout:
            token = _budget.set((timeout, asyncio.current_task()))
            yield
    except TimeoutError:
        raise TooLate() from None
    finally:
        if token is not None:
            _budget.reset(token)


def commit_begins() -> None:
    """Just before a commit: too late raises TooLate (the caller rolls back); otherwise the commit runs to its end."""
    bounded = _budget.get()
    if bounded is None or bounded[1] is not asyncio.current_task():
        return
    timeout = bounded[0]
    when = timeout.when()
    if timeout.expired() or (when is not None and when <= asyncio.get_running_loop().time()):
        raise TooLate()
    timeout.reschedule(None)
