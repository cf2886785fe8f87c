"""SQLite's writer turns: one holder at a time, urgent waiters (a save in an ack) first, a waiter that gives up
passes nothing on wrongly."""

from __future__ import annotations

import asyncio

import pytest

from bot.turns import Turns


async def test_one_holder_at_a_time_and_urgent_waiters_go_first():
    turns, order = Turns(), []
    await turns.acquire()

    async def take(name: str, urgent: bool) -> None:
        await turns.acquire(urgent=urgent)
        order.append(name)
        turns.release()

    waiting = [asyncio.create_task(take("background 1", False)), asyncio.create_task(take("background 2", False)),
               asyncio.create_task(take("ack", True))]
    await asyncio.sleep(0)  # all three are waiting now
    assert order == []
    turns.release()
    await asyncio.gather(*waiting)
    assert order == ["ack", "background 1", "background 2"]
    await turns.acquire()  # free again
    turns.release()


async def test_a_waiter_that_times_out_leaves_the_queue_and_the_turn_goes_on():
    turns = Turns()
    await turns.acquire()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await turns.acquire(urgent=True)
    later = asyncio.create_task(turns.acquire())
    await asyncio.sleep(0)
    turns.release()
    await asyncio.wait_for(later, 1)
    turns.release()


async def test_a_release_between_a_waiters_timeout_and_its_cleanup_is_harmless():
    turns = Turns()
    await turns.acquire()
    waiter = asyncio.create_task(turns.acquire(urgent=True))
    await asyncio.sleep(0)
    waiter.cancel()  # its future is cancelled now; its cleanup runs on its next step
    turns.release()  # drops the cancelled entry and frees the turn
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await asyncio.wait_for(turns.acquire(), 1)  # the turn is free, nobody holds it twice
    turns.release()
