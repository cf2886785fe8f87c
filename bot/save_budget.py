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
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

SAVE_BUDGET = 2.0  # seconds from arrival to the commit: the ack still leaves well inside Slack's 3 s
# Seconds after Slack sent the request (X-Slack-Request-Timestamp) by which a save must have its turn. The stamp is
# whole seconds, never later than the send, so this holds the ack inside 2.5 s of the send even when the request
# waited in the server's queues before Headway saw it (a burst beyond what one process takes in).
SENT_LIMIT = 2.3
BUSY = "Headway is busy — submit again in a moment."

_arrived: ContextVar[float | None] = ContextVar("headway_request_arrived", default=None)
_sent: ContextVar[float | None] = ContextVar("headway_request_sent", default=None)  # on the event loop's clock


@dataclass(frozen=True)
class _Budget:
    deadline: float  # event-loop time
    task: asyncio.Task | None  # the save it bounds: a task started inside it copies the context, not the bound


_budget: ContextVar[_Budget | None] = ContextVar("headway_save_budget", default=None)


class TooLate(Exception):
    """The save could not get its turn at the database within the budget; it did nothing."""


def arrived(sent_at: float | None = None) -> None:
    """Mark when the current request reached Headway (the budget counts from here, queueing included), and when
    Slack says it sent it (`sent_at`, Unix seconds from its signed timestamp), which also bounds the budget."""
    now = asyncio.get_running_loop().time()
    _arrived.set(now)
    _sent.set(None if sent_at is None else now - max(0.0, time.time() - sent_at))


def since_arrival() -> float:
    """Seconds since the current request reached Headway (0 outside a request)."""
    began = _arrived.get()
    return 0.0 if began is None else asyncio.get_running_loop().time() - began


@contextlib.contextmanager
def within_budget(budget: float | None = None) -> Iterator[None]:
    """Bound the saves inside: each must get its turn at the database (`remaining`) before the deadline."""
    loop = asyncio.get_running_loop()
    deadline = (_arrived.get() or loop.time()) + (SAVE_BUDGET if budget is None else budget)
    sent = _sent.get()
    if sent is not None:
        deadline = min(deadline, sent + SENT_LIMIT)
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
