"""Alembic, driven from code: `headway migrate`, the schema check in `serve`, and the tests.

Alembic (and Mako with it, ~8 MB resident) is imported only to migrate. The schema check that every `serve` runs
reads the revision ids straight from the migration files and the `alembic_version` table, so a serving process
never loads it (tests check both ways agree).
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.resources import migrations_dir

if TYPE_CHECKING:
    from alembic.config import Config

_REVISION = re.compile(r'^(down_revision|revision)\b[^=]*=\s*(?:"([^"]*)"|None)', re.MULTILINE)


class SchemaOutdated(Exception):
    """The database is behind the code; the message names the command that fixes it."""


def alembic_config(database_url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


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
