"""The unit of work: commits or rolls back as one; on SQLite, units of work in one process take turns."""

from __future__ import annotations

import asyncio
import contextvars

import pytest
from sqlmodel import select

from bot.db import Database
from bot.models import Workspace


@pytest.fixture
async def db(clean_database: str):
    database = Database(clean_database, writer_wait=0.5)
    yield database
    await database.dispose()


async def test_a_failed_unit_of_work_leaves_nothing_behind(db: Database):
    with pytest.raises(RuntimeError):
        async with db.unit_of_work() as session:
            session.add(Workspace(team_id="T1", name="one", lifecycle="default"))
            await session.flush()
            raise RuntimeError("boom")
    async with db.unit_of_work() as session:
        assert (await session.exec(select(Workspace))).all() == []


async def test_sqlite_units_of_work_take_turns_instead_of_polling_for_the_lock(db: Database):
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL has row locks; only SQLite serialises writers")
    events: list[str] = []

    async def write(team: str) -> None:
        async with db.unit_of_work() as session:
            events.append(f"{team} in")
            session.add(Workspace(team_id=team, name=team, lifecycle="default"))
            await session.flush()
            await asyncio.sleep(0.05)
            events.append(f"{team} out")

    await asyncio.gather(*(write(f"T{i}") for i in range(4)))
    assert all(events[i].endswith("in") and events[i + 1].endswith("out") and events[i][:2] == events[i + 1][:2]
               for i in range(0, 8, 2)), events
    async with db.unit_of_work() as session:
        assert len((await session.exec(select(Workspace))).all()) == 4


async def test_a_nested_unit_of_work_in_the_same_task_does_not_wait_for_itself(db: Database):
    async with db.unit_of_work() as outer:
        outer.add(Workspace(team_id="T1", name="one", lifecycle="default"))
        async with asyncio.timeout(0.4):  # below writer_wait: it must not have waited for the outer one
            async with db.unit_of_work() as inner:
                assert (await inner.exec(select(Workspace))).all() == []


async def test_a_unit_of_work_waiting_on_another_task_goes_ahead_after_the_bounded_wait(db: Database):
    if db.dialect != "sqlite":
        pytest.skip("only SQLite takes turns")
    async with db.unit_of_work() as session:
        await session.exec(select(Workspace))
        loop = asyncio.get_running_loop()
        started = loop.time()

        async def reader() -> int:  # another task: it waits its turn, then goes ahead rather than hang
            async with db.unit_of_work() as other:
                return len((await other.exec(select(Workspace))).all())

        # a task of its own (as a request served meanwhile would be), not one started inside this unit of work
        task = asyncio.create_task(reader(), context=contextvars.Context())
        assert await asyncio.wait_for(task, 5) == 0
        assert 0.5 <= loop.time() - started < 2
