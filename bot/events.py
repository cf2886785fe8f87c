"""Slack retries an event it thinks we missed (X-Slack-Retry-Num): remember event ids to act once."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import insert_or_ignore
from bot.models import SlackEvent, utcnow


async def first_delivery(session: AsyncSession, event_id: str, team_id: str) -> bool:
    """True the first time an event id is seen; False for every redelivery (any replica)."""
    return await insert_or_ignore(session, SlackEvent, ["event_id"], event_id=event_id[:64], team_id=team_id[:32],
                                  received_at=utcnow())
