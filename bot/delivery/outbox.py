"""Putting messages in the outbox, inside the caller's unit of work, each under a unique key.

The key says what the message is for (standup, person, local date, kind…), so scheduling the same thing
twice — a restart, a second scheduler firing, a retried Slack delivery — stores it once.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import insert_or_ignore
from bot.models.outbox import OutboxMessage, OutboxMethod, OutboxStatus
from bot.models.types import utcnow
from bot.render import Message


async def enqueue(
    session: AsyncSession,
    *,
    team_id: str,
    key: str,
    kind: str,
    channel: str,
    message: Message,
    method: OutboxMethod = OutboxMethod.POST,
    thread_key: str | None = None,
    target_key: str | None = None,
    user_id: str | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue a message unless one with this key exists; True when this call queued it."""
    payload = {"text": message.text, "blocks": message.blocks}
    if user_id:
        payload["user"] = user_id
    return await insert_or_ignore(
        session, OutboxMessage, ["key"], team_id=team_id, key=key, kind=kind, method=str(method), channel=channel,
        thread_key=thread_key, target_key=target_key, payload=json.dumps(payload, ensure_ascii=False),
        status=OutboxStatus.PENDING, attempts=0, next_attempt_at=not_before or utcnow(), created_at=utcnow(),
    )


async def find(session: AsyncSession, key: str) -> OutboxMessage | None:
    return (await session.exec(select(OutboxMessage).where(OutboxMessage.key == key))).first()
