"""Updates of one message replace each other: only the newest waiting one is sent (a report refreshed per answer
in a rush, an answer edited twice); the older ones are cancelled as superseded, by workspace and message."""

from __future__ import annotations

from sqlalchemy import func, update
from sqlmodel import col, select

from bot.db import Database
from bot.models.outbox import OutboxMessage, OutboxMethod, OutboxStatus

WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.HELD)


async def supersede(db: Database, rows: list[OutboxMessage]) -> tuple[list[OutboxMessage], int]:
    """`rows` without the updates a newer waiting update of the same message replaces, and how many were cancelled."""
    updates = [row for row in rows if row.method == OutboxMethod.UPDATE and row.target_key]
    if not updates:
        return rows, 0
    async with db.unit_of_work() as session:
        newest = {(team, key): newest_id for team, key, newest_id in (await session.exec(
            select(OutboxMessage.team_id, OutboxMessage.target_key, func.max(OutboxMessage.id)).where(
                col(OutboxMessage.status).in_(WAITING), OutboxMessage.method == OutboxMethod.UPDATE,
                col(OutboxMessage.target_key).in_({row.target_key for row in updates}))
            .group_by(OutboxMessage.team_id, OutboxMessage.target_key)
        )).all()}
        stale = [row.id for row in updates
                 if newest.get((row.team_id, row.target_key), row.id) > row.id]  # type: ignore[operator]
        if not stale:
            return rows, 0
        await session.exec(update(OutboxMessage).where(col(OutboxMessage.id).in_(stale))  # type: ignore[call-overload]
                           .values(status=OutboxStatus.CANCELLED, last_error="superseded by a newer update",
                                   claim=None))
    return [row for row in rows if row.id not in stale], len(stale)
