"""Alembic, driven from code: `headway migrate`, the schema check in `serve`, and the tests."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.resources import migrations_dir


class SchemaOutdated(Exception):
    """The database is behind the code; the message names the command that fixes it."""


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config("")).get_heads())


async def current_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: set(MigrationContext.configure(sync).get_current_heads()))


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
