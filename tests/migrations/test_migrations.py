"""Every schema change is a migration: upgrade/downgrade both ways, and the models agree with head."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import bot.models  # noqa: F401
from bot.db import create_engine
from bot.migrate import SchemaOutdated, downgrade, ensure_current, upgrade, upgrade_in_thread


def _tables(sync_connection) -> set[str]:
    return set(inspect(sync_connection).get_table_names()) - {"alembic_version"}


def _diff(sync_connection) -> list:
    context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
    return compare_metadata(context, SQLModel.metadata)


async def _inspect(url: str, fn):
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


@pytest.fixture(params=["configured", "sqlite"])
def fresh_url(request, scratch_database, tmp_path):
    """A fresh database on the configured backend and, always, on SQLite too."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    return scratch_database()


async def test_upgrade_to_head_and_down_to_base(fresh_url):
    await upgrade_in_thread(fresh_url)
    assert await _inspect(fresh_url, _tables) == set(SQLModel.metadata.tables)
    await _run(downgrade, fresh_url)
    assert await _inspect(fresh_url, _tables) == set()
    await upgrade_in_thread(fresh_url)  # and up again: downgrades leave nothing behind
    assert await _inspect(fresh_url, _tables) == set(SQLModel.metadata.tables)


async def test_models_and_migrations_agree(fresh_url):
    await upgrade_in_thread(fresh_url)
    assert await _inspect(fresh_url, _diff) == []


async def test_outdated_schema_is_refused_with_the_command_to_run(fresh_url):
    engine = create_engine(fresh_url)
    try:
        with pytest.raises(SchemaOutdated, match="headway migrate"):
            await ensure_current(engine)
        await upgrade_in_thread(fresh_url)
        await ensure_current(engine)
        await _run(downgrade, fresh_url, "base")
        with pytest.raises(SchemaOutdated, match="headway migrate"):
            await ensure_current(engine)
    finally:
        await engine.dispose()


async def _run(fn, *args):
    import asyncio

    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


def test_upgrade_is_idempotent(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'twice.db'}"
    upgrade(url)
    upgrade(url)


async def test_the_serving_schema_check_agrees_with_alembic(fresh_url):
    """`serve` reads revisions without Alembic (it stays unloaded); Alembic's own answers are the reference."""
    from alembic.script import ScriptDirectory

    from bot.migrate import alembic_config, current_revisions, head_revisions

    assert head_revisions() == set(ScriptDirectory.from_config(alembic_config("")).get_heads())
    engine = create_engine(fresh_url)
    try:
        assert await current_revisions(engine) == set()
        await upgrade_in_thread(fresh_url)
        expected = await _inspect(fresh_url, lambda sync: set(MigrationContext.configure(sync).get_current_heads()))
        assert await current_revisions(engine) == expected == head_revisions()
    finally:
        await engine.dispose()
