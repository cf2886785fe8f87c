"""Which replica runs scheduled work: exactly one at a time, and another takes over when it dies.

PostgreSQL: a session-level advisory lock held on a dedicated connection; if that connection (or the
process) dies, PostgreSQL releases the lock and the next replica's attempt gets it. SQLite (one host):
an exclusive `flock` on a file next to the database, released by the kernel when the process dies.
Every replica serves HTTP and drains the outbox (rows are claimed, so that is safe); only the leader ticks.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

LOCK_KEY = 0x4844_5759  # "HDWY": one advisory lock id for Headway's scheduler


class Leadership:
    def __init__(self, engine: AsyncEngine, *, check_seconds: float = 2.0) -> None:
        self._engine = engine
        self._check_seconds = check_seconds
        self._connection: AsyncConnection | None = None
        self._file: Any = None
        self._task: asyncio.Task[None] | None = None
        self.is_leader = False

    async def try_acquire(self) -> bool:
        """Become leader if nobody is; stay leader while our lock lives."""
        try:
            if self._engine.dialect.name == "postgresql":
                await self._postgres()
            else:
                self._sqlite_file()
        except Exception as error:  # the database may be restarting: lose leadership, try again later
            log.warning("leadership check failed: %s", error)
            await self._drop()
        return self.is_leader

    async def _postgres(self) -> None:
        if self._connection is not None:
            await self._connection.execute(text("SELECT 1"))  # raises if PostgreSQL dropped us
            return
        connection = await self._engine.connect()
        got = (await connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})).scalar()
        await connection.commit()
        if got:
            self._connection, self.is_leader = connection, True
            log.info("this replica now runs scheduled work")
        else:
            await connection.close()

    def _sqlite_file(self) -> None:
        if self._file is not None:
            return
        path = f"{self._engine.url.database or 'headway'}.leader"
        handle = open(path, "a+")  # noqa: SIM115 - held open for as long as we lead
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return
        self._file, self.is_leader = handle, True
        log.info("this replica now runs scheduled work")

    async def _drop(self) -> None:
        self.is_leader = False
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
            self._connection = None
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._watch(), name="leadership")

    async def _watch(self) -> None:
        while self._task is not None:
            await self.try_acquire()
            await asyncio.sleep(self._check_seconds)

    async def stop(self) -> None:
        task, self._task = self._task, None  # the loop ends even if a cancellation is swallowed
        if task is not None:
            while not task.done():
                task.cancel()
                await asyncio.wait({task}, timeout=1)
        await self._drop()


