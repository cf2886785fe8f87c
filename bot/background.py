"""Work that runs after Slack has been answered, on tracked tasks, behind the acks.

Slack wants an answer within 3 s; the work behind it (reading the database, rendering, calling Slack back) can
wait a moment. So acks come first: while any Slack request is in flight, queued work waits — until the requests
have been quiet for `grace` seconds, or until the work has waited `max_wait` (well inside the 3 s a trigger_id
lives, so a modal opened from the work still opens). Under no load the work starts after `grace` (2 ms).

One dispatcher starts queued work in order, at most `concurrency` at a time, so a burst of a thousand clicks
costs one wake-up per start rather than a thousand. Few at a time (4): the work is mostly CPU on this one event
loop, and an ack that arrives waits behind every work step that is ready to run, so each extra running item
lengthens the acks' tail without adding throughput. Every task is tracked: `close()` lets queued and running
work finish (up to a timeout), then cancels what is left, so shutdown never leaves a task behind.

The queue is bounded: when `max_queued` items wait, or the oldest has waited `max_delay` seconds, the work is
`overloaded` and callers answer at once instead of queueing more (handlers/deferred.py says "busy" to a command and
does a button's work inline). So a burst can never build a backlog that answers people minutes later, and memory
stays flat however long the overload lasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import logging
from collections import deque
from collections.abc import Coroutine, Iterator
from typing import Any

log = logging.getLogger(__name__)


class BackgroundWork:
    def __init__(self, *, grace: float = 0.002, max_wait: float = 0.5, concurrency: int = 4,
                 max_queued: int = 256, max_delay: float = 1.0) -> None:
        self.grace, self.max_wait, self.concurrency = grace, max_wait, concurrency
        self.max_queued, self.max_delay = max_queued, max_delay
        # (queued at, work, the context it was queued in: the workspace it acts for rides along)
        self._queue: deque[tuple[float, Coroutine[Any, Any, None], contextvars.Context]] = deque()
        self._running: set[asyncio.Task[None]] = set()
        self._in_flight = 0
        self._urgent = 0  # urgent items at the head of the queue
        self._last_request_end = 0.0
        self._changed = asyncio.Event()  # something the dispatcher waits for happened
        self._dispatcher: asyncio.Task[None] | None = None
        self._flushing = False
        self._closed = False

    # ------------------------------------------------------------ the request side

    @contextlib.contextmanager
    def foreground(self) -> Iterator[None]:
        """Mark a Slack request in flight: queued work waits until it (and its neighbours) are answered."""
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            self._last_request_end = asyncio.get_running_loop().time()
            if not self._in_flight:
                self._changed.set()

    def spawn(self, work: Coroutine[Any, Any, None], *, urgent: bool = False) -> None:
        """Queue work to run after the current acks; exceptions are logged, never lost silently. `urgent` work
        (a modal to open before its trigger_id expires) starts first, as soon as a slot is free."""
        if self._closed:
            work.close()
            log.warning("background work refused: shutting down")
            return
        item = (asyncio.get_running_loop().time(), work, contextvars.copy_context())
        if urgent:  # behind the urgent ones already waiting, ahead of the rest
            self._queue.insert(self._urgent, item)
            self._urgent += 1
        else:
            self._queue.append(item)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="headway-background")
        self._changed.set()

    @property
    def pending(self) -> int:
        return len(self._queue) + len(self._running)

    @property
    def overloaded(self) -> bool:
        """Too much is waiting already: new work would be answered too late to be worth queueing."""
        if len(self._queue) >= self.max_queued:
            return True
        oldest = min((queued for queued, _, _ in itertools.islice(self._queue, self._urgent + 1)), default=None)
        return oldest is not None and asyncio.get_running_loop().time() - oldest >= self.max_delay

    # ------------------------------------------------------------ the dispatcher

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._queue:
            self._changed.clear()
            delay = self._delay(loop.time())
            if delay <= 0:
                _, work, context = self._queue.popleft()
                self._urgent = max(0, self._urgent - 1)
                self._start(work, context)
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._changed.wait()

    def _delay(self, now: float) -> float:
        """Seconds until the head of the queue may start (0: now)."""
        if len(self._running) >= self.concurrency:
            return 3600.0  # woken when a task finishes
        if self._flushing or self._urgent:
            return 0.0
        waited = now - self._queue[0][0]
        if waited >= self.max_wait:
            return 0.0
        if self._in_flight:
            return self.max_wait - waited  # woken early when the requests are answered
        quiet_for = now - self._last_request_end
        return 0.0 if quiet_for >= self.grace else min(self.grace - quiet_for, self.max_wait - waited)

    def _start(self, work: Coroutine[Any, Any, None], context: contextvars.Context | None = None) -> None:
        task = asyncio.create_task(work, context=context)
        self._running.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._changed.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed", exc_info=task.exception())

    # ------------------------------------------------------------ shutdown

    async def close(self, timeout: float = 10.0) -> None:
        """Finish queued and running work (up to `timeout` seconds), then cancel whatever is left."""
        self._flushing = True
        self._changed.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self._queue or self._running:
                    if self._queue and (self._dispatcher is None or self._dispatcher.done()):
                        self._dispatcher = asyncio.create_task(self._dispatch())
                    await asyncio.sleep(0.01)
        self._closed = True
        leftovers = [self._dispatcher] if self._dispatcher else []
        leftovers += list(self._running)
        for task in leftovers:
            task.cancel()
        for _, work, _context in self._queue:
            work.close()
        if self._queue:
            log.warning("shutdown: %d background work items were not started", len(self._queue))
        self._queue.clear()
        await asyncio.gather(*leftovers, return_exceptions=True)
