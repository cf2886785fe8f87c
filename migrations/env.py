"""Alembic environment: the URL comes from Headway's settings (or the caller), metadata from bot.models."""

from __future__ import annotations

import asyncio
import logging.config

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

import bot.models  # noqa: F401  (registers every table)
from bot.db import create_engine
from bot.migrate import migration_lock
from bot.models.types import UTCDateTime

config = context.config
if config.config_file_name:
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def _database_url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return url
    from bot.config import load_settings

    return load_settings().database_url


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write plain SQLAlchemy types into migrations, so they never import application code."""
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    migration = context.get_context()
    config.attributes["revisions_before"] = tuple(migration.get_current_heads())  # read under the lock
    with context.begin_transaction():
        context.run_migrations()
    config.attributes["revisions_after"] = tuple(migration.get_current_heads())


async def _run_async() -> None:
    engine = create_engine(_database_url())
    try:
        async with migration_lock(engine), engine.connect() as connection:
            await connection.run_sync(_configure)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
    else:
        asyncio.run(_run_async())
