"""The outbox as an operator sees it: counts and age for /metrics, listing and retrying for `headway outbox`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.models.outbox import OutboxMessage, OutboxStatus
from bot.models.types import utcnow

HELD = str(getattr(OutboxStatus, "HELD", "held"))  # held for someone to fix (delivery adds the status)
WAITING = (str(OutboxStatus.PENDING), str(OutboxStatus.SENDING))
RETRYABLE = (str(OutboxStatus.DEAD), HELD)


async def counts(session: AsyncSession) -> dict[str, int]:
    """Messages per status: pending (waiting or being sent), held, dead."""
    rows = (await session.exec(select(OutboxMessage.status, func.count()).where(  # type: ignore[call-overload]
        col(OutboxMessage.status).in_((*WAITING, *RETRYABLE))).group_by(OutboxMessage.status))).all()
    by_status = dict(rows)
    return {"pending": sum(by_status.get(s, 0) for s in WAITING), "held": by_status.get(HELD, 0),
            "dead": by_status.get(str(OutboxStatus.DEAD), 0)}


async def oldest_pending_age(session: AsyncSession, now: datetime | None = None) -> float:
    """Seconds the oldest unsent message has waited since it was queued (0 when nothing waits)."""
    oldest = (await session.exec(select(func.min(OutboxMessage.created_at)).where(  # type: ignore[call-overload]
        col(OutboxMessage.status).in_(WAITING)))).first()
    if oldest is None:
        return 0.0
    if oldest.tzinfo is None:  # SQLite hands back naive values for aggregates
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    return max(0.0, ((now or utcnow()) - oldest).total_seconds())


async def listing(session: AsyncSession, statuses: tuple[str, ...], limit: int = 200) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(col(OutboxMessage.status).in_(statuses))
    return list((await session.exec(query.order_by(col(OutboxMessage.id)).limit(limit))).all())


async def retry(session: AsyncSession, ids: list[int] | None) -> tuple[int, list[int]]:
    """Queue dead (or held) messages again: (how many, the ids asked for that cannot be retried)."""
    query = select(OutboxMessage.id).where(col(OutboxMessage.status).in_(RETRYABLE if ids else
                                                                          (str(OutboxStatus.DEAD),)))
    if ids:
        query = query.where(col(OutboxMessage.id).in_(ids))
    found = list((await session.exec(query)).all())
    if found:
        await session.exec(update(OutboxMessage).where(col(OutboxMessage.id).in_(found)).values(  # type: ignore[call-overload]
            status=str(OutboxStatus.PENDING), attempts=0, claim=None, next_attempt_at=utcnow()))
    return len(found), [i for i in (ids or []) if i not in found]
