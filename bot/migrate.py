"""Alembic, driven from code: `headway migrate`, the schema check in `serve`, and the tests."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
from collections.abc import AsyncIterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.resources import migrations_dir

MIGRATION_LOCK_KEY = 0x4844_4D47  # "HDMG": replicas starting together migrate one after the other


class SchemaOutdated(Exception):
    """The database is behind the code; the message names the command that fixes it."""


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "heads") -> tuple[str, str]:
    """Migrate; returns the revision(s) before and after ("none" for an empty database), read under the lock."""
    config = alembic_config(database_url)
    command.upgrade(config, revision)
    before, after = (", ".join(sorted(config.attributes.get(k, ()))) or "none"
                     for k in ("revisions_before", "revisions_after"))
    return before, after


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config("")).get_heads())


async def current_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: set(MigrationContext.configure(sync).get_current_heads()))


@contextlib.asynccontextmanager
async def migration_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Held while migrating: a PostgreSQL advisory lock (freed by PostgreSQL if we die), or a file lock for SQLite.

    The second replica waits, then finds the schema at head and has nothing to do.
    """
    if engine.dialect.name == "postgresql":
        async with engine.connect() as holder:
            await holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await holder.commit()
            try:
                yield
            finally:
                await holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                await holder.commit()
        return
    with open(f"{engine.url.database or 'headway'}.migrate.lock", "a+") as handle:  # noqa: ASYNC230
        await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def ensure_current(engine: AsyncEngine) -> None:
    current, heads = await current_revisions(engine), head_revisions()
    if not current:
        raise SchemaOutdated("the database has no Headway schema yet: run `headway migrate` first")
    if current != heads:
        raise SchemaOutdated(
            f"the database schema is at {', '.join(sorted(current))} but this Headway needs "
            f"{', '.join(sorted(heads))}: run `headway migrate`"
        )


def upgrade_in_thread(database_url: str) -> asyncio.Future[None]:
    """Alembic's env runs its own event loop; from async code run it in a worker thread."""
    return asyncio.get_running_loop().run_in_executor(None, upgrade, database_url)
