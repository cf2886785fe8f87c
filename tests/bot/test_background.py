"""Work queued behind the acks: waits for requests in flight, never longer than max_wait, never left behind."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.background import BackgroundWork


def recorder(log: list[str], label: str, *, seconds: float = 0.0):
    async def work() -> None:
        if seconds:
            await asyncio.sleep(seconds)
        log.append(label)
    return work()


async def test_work_waits_while_a_request_is_in_flight_and_starts_once_it_is_answered():
    background, done = BackgroundWork(grace=0.002, max_wait=5), []
    with background.foreground():
        background.spawn(recorder(done, "after the ack"))
        await asyncio.sleep(0.05)
        assert done == []  # the request is still being answered
    await asyncio.sleep(0.05)
    assert done == ["after the ack"]
    await background.close()


async def test_requests_in_a_row_hold_work_back_until_max_wait():
    background, done = BackgroundWork(grace=0.01, max_wait=0.2), []
    background.spawn(recorder(done, "work"))
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not done and loop.time() - started < 2:
        with background.foreground():  # back-to-back requests, never quiet for `grace`
            await asyncio.sleep(0.001)
    waited = loop.time() - started
    assert done == ["work"]
    assert 0.2 <= waited < 0.5
    await background.close()


async def test_work_starts_in_order_with_bounded_concurrency():
    background, done = BackgroundWork(grace=0, max_wait=0, concurrency=2), []
    running, peak = 0, 0

    async def work(label: str) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        done.append(label)

    for i in range(6):
        background.spawn(work(str(i)))
    await background.close()
    assert peak == 2
    assert sorted(done) == [str(i) for i in range(6)] and done[:2] == ["0", "1"]


async def test_a_failure_is_logged_and_the_rest_still_run(caplog: pytest.LogCaptureFixture):
    background, done = BackgroundWork(grace=0), []

    async def broken() -> None:
        raise RuntimeError("boom")

    background.spawn(broken())
    background.spawn(recorder(done, "fine"))
    with caplog.at_level(logging.ERROR, logger="bot.background"):
        await background.close()
    assert done == ["fine"]
    assert any("background work failed" in r.getMessage() and r.exc_info for r in caplog.records)


async def test_close_finishes_queued_work_then_cancels_what_overruns():
    background, done = BackgroundWork(grace=0.002, max_wait=5), []
    with background.foreground():
        background.spawn(recorder(done, "queued"))
        background.spawn(recorder(done, "stuck", seconds=60))
        await background.close(timeout=0.2)  # flushes even with a request in flight
    assert done == ["queued"]
    assert background.pending == 0
    background.spawn(recorder(done, "too late"))  # refused after close, and closed without a warning
    assert background.pending == 0


async def test_overloaded_when_too_many_wait_or_the_oldest_has_waited_too_long():
    background = BackgroundWork(grace=0.002, max_wait=5, max_queued=3, max_delay=0.1)
    assert not background.overloaded
    with background.foreground():  # a request in flight holds the queue back
        background.spawn(recorder([], "one"))
        background.spawn(recorder([], "two"))
        assert not background.overloaded
        background.spawn(recorder([], "three"))
        assert background.overloaded  # three waiting: full
    await background.close()

    background, done = BackgroundWork(grace=0.002, max_wait=5, max_queued=100, max_delay=0.1), []
    with background.foreground():
        background.spawn(recorder(done, "old"))
        assert not background.overloaded
        await asyncio.sleep(0.15)
        assert background.overloaded  # one item, but it has waited longer than max_delay
    await asyncio.sleep(0.05)
    assert done == ["old"] and not background.overloaded
    await background.close()


async def test_urgent_work_starts_at_once_and_ahead_of_the_queue_while_requests_are_in_flight():
    """A modal's work (its trigger_id lives 3 s) does not wait for the acks in flight, nor behind other work."""
    background, done = BackgroundWork(grace=0.002, max_wait=5, concurrency=1), []
    with background.foreground():
        background.spawn(recorder(done, "queued first"))
        background.spawn(recorder(done, "modal 1"), urgent=True)
        background.spawn(recorder(done, "modal 2"), urgent=True)
        await asyncio.sleep(0.05)
        assert done == ["modal 1", "modal 2"]  # in their own order, while the request is still in flight
    await asyncio.sleep(0.05)
    assert done == ["modal 1", "modal 2", "queued first"]
    await background.close()
