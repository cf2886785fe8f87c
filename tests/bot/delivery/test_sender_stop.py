"""Stopping the outbox sender in the middle of a fan-out: nothing it started may outlive `stop()`."""

from __future__ import annotations

import asyncio

from bot.db import Database
from bot.delivery.outbox import enqueue
from bot.delivery.sender import OutboxSender
from bot.metrics import Metrics
from bot.people.service import ensure_workspace
from bot.render import Message
from tests.conftest import TEAM_ID
from tests.support import eventually


class SlowToUnwind:
    """A gateway whose posts wait until cancelled and then take a moment to unwind, as a send does whose
    database connection or HTTP connection must be closed first; each channel takes a different time."""

    UNWIND = {"C0QUICK01": 0.01, "C0SLOW001": 0.3}

    def __init__(self) -> None:
        self.started: set[str] = set()
        self.unwound: set[str] = set()

    async def post_message(self, channel: str, message: Message, **_: object) -> None:
        self.started.add(channel)
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.sleep(self.UNWIND[channel])
            self.unwound.add(channel)


async def test_stop_returns_only_once_every_channel_being_sent_to_has_finished(clean_database):
    """A channel's task left running after stop() outlives the database it writes to; at the event loop's close
    one stuck in its connection's cleanup never ends, and the process hangs."""
    db = Database(clean_database)
    gateway = SlowToUnwind()
    sender = OutboxSender(db, gateway, Metrics())  # type: ignore[arg-type]
    try:
        async with db.unit_of_work() as session:
            await ensure_workspace(session, TEAM_ID)
            for channel in gateway.UNWIND:
                await enqueue(session, team_id=TEAM_ID, key=f"stop:{channel}", kind="test", channel=channel,
                              message=Message(text="hello"))
        sender.start()
        await eventually(lambda: gateway.started == set(gateway.UNWIND))
        await sender.stop()
        assert gateway.unwound == set(gateway.UNWIND)
    finally:
        await sender.stop()
        await db.dispose()
