"""The database engine and the one unit-of-work helper.

Services take an `AsyncSession` and never commit; whoever opens the unit of work decides.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import save_budget
from bot.turns import Turns


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


POSTGRESQL_TURNS = 20  # units of work at once: within the pool (10 + 20 overflow), leaving room for nested ones


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: safe from corruption, commits without an fsync each
    cursor.close()


_IN_UNIT: ContextVar[bool] = ContextVar("headway_in_unit_of_work", default=False)


class Database:
    def __init__(self, url: str, *, writer_wait: float = 5.0) -> None:
        self.url = url
        self.engine = create_engine(url)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        # SQLite has one writer at a time and makes the others poll (sleeps of up to 100 ms); taking turns
        # here instead hands over at once. PostgreSQL: as many at once as the pool has connections to spare, so
        # a save in an ack waits for its turn here (first, and bounded), not inside the pool.
        self._turns = Turns(1 if self.engine.dialect.name == "sqlite" else POSTGRESQL_TURNS)
        self._writer_wait = writer_wait

    @property
    def turns(self) -> int:
        """How many units of work may run at once in this process."""
        return self._turns.slots

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """A session whose work commits together on success and rolls back on any error."""
        async with self._turn(), self._sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """Units of work take turns (bot/turns.py; nested ones, in the same task, pass).

        The wait is bounded: should a unit of work ever wait on another task's (a test holding a session
        while it calls the server, say), it goes ahead after `writer_wait` and SQLite's own locking decides.
        """
        if _IN_UNIT.get():
            yield
            return
        acquired = False
        left = save_budget.remaining()  # a form saved in its ack waits no longer than its budget, then is "busy"
        try:
            async with asyncio.timeout(self._writer_wait if left is None else max(0.0, left)):
                await self._turns.acquire(urgent=left is not None)  # a save in an ack goes first
                acquired = True
        except TimeoutError:
            if left is not None:
                raise save_budget.TooLate() from None
        marker = _IN_UNIT.set(True)
        try:
            yield
        finally:
            _IN_UNIT.reset(marker)
            if acquired:
                self._turns.release()

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()


async def execute_autocommit(url: str, statement: str) -> None:
    """One statement outside a transaction (CREATE/DROP DATABASE), for the tests' and benchmarks' scratch
    databases."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def insert_or_ignore(session: AsyncSession, model: type, keys: list[str], **values: object) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on `keys`: True when this call inserted the row.

    The one way Headway makes "create once" safe under concurrency (two replicas, a retried request).
    """
    result = await session.exec(_insert_ignoring(session, model, keys).values(**values))  # type: ignore[call-overload]
    return bool(result.rowcount)


async def insert_many_or_ignore(session: AsyncSession, model: type, keys: list[str],
                                rows: list[dict[str, object]]) -> None:
    """`insert_or_ignore` for many rows at once (one compiled statement, executed for all of them)."""
    if rows:
        await session.exec(_insert_ignoring(session, model, keys), params=rows)  # type: ignore[call-overload]


def _insert_ignoring(session: AsyncSession, model: type, keys: list[str]) -> Any:
    # The dialect's insert, imported here: the engine has already loaded its own dialect, and a SQLite server
    # need not carry PostgreSQL's (~2 MiB resident).
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model).on_conflict_do_nothing(index_elements=keys)
