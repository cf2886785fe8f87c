"""Slack retries an event it thinks we missed (X-Slack-Retry-Num): remember event ids to act once."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models import SlackEvent, utcnow


async def first_delivery(session: AsyncSession, event_id: str, team_id: str) -> bool:
    """True the first time an event id is seen; False for every redelivery (any replica)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(SlackEvent).values(event_id=event_id[:64], team_id=team_id[:32], received_at=utcnow())
    result = await session.exec(statement.on_conflict_do_nothing(index_elements=["event_id"]))  # type: ignore[call-overload]
    return bool(result.rowcount)
