"""Alembic, driven from code: `headway migrate`, the schema check in `serve`, and the tests.

Alembic (and Mako with it, ~8 MB resident) is imported only to migrate. The schema check that every `serve` runs
reads the revision ids straight from the migration files and the `alembic_version` table, so a serving process
never loads it (tests check both ways agree).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.resources import migrations_dir

if TYPE_CHECKING:
    from alembic.config import Config

_REVISION = re.compile(r'^(down_revision|revision)\b[^=]*=\s*(?:"([^"]*)"|None)', re.MULTILINE)

MIGRATION_LOCK_KEY = 0x4844_4D47  # "HDMG": replicas starting together migrate one after the other


class SchemaOutdated(Exception):
    """The database is behind the code; the message names the command that fixes it."""


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "heads") -> tuple[str, str]:
    """Migrate; returns the revision(s) before and after ("none" for an empty database), read under the lock."""
    from alembic import command

    config = alembic_config(database_url)
    command.upgrade(config, revision)
    before, after = (", ".join(sorted(config.attributes.get(k, ()))) or "none"
                     for k in ("revisions_before", "revisions_after"))
    return before, after


def downgrade(database_url: str, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(database_url), revision)


def head_revisions() -> set[str]:
    """The revisions no other migration builds on (Alembic's heads), from the files' `revision` lines."""
    revisions, parents = set(), set()
    for path in (migrations_dir() / "versions").glob("*.py"):
        for name, value in _REVISION.findall(path.read_text()):
            if name == "revision":
                revisions.add(value)
            elif value:
                parents.add(value)
    return revisions - parents


async def current_revisions(engine: AsyncEngine) -> set[str]:
    """What `alembic_version` says (empty: no Headway schema yet)."""
    async with engine.connect() as connection:
        if not await connection.run_sync(lambda sync: inspect(sync).has_table("alembic_version")):
            return set()
        return {row[0] for row in await connection.execute(text("SELECT version_num FROM alembic_version"))}


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
