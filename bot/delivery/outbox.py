"""Putting messages in the outbox, inside the caller's unit of work, each under a unique key.

The key says what the message is for (standup, person, local date, kind…), so scheduling the same thing
twice — a restart, a second scheduler firing, a retried Slack delivery — stores it once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import insert_many_or_ignore, insert_or_ignore
from bot.models.outbox import OutboxMessage, OutboxMethod, OutboxStatus
from bot.models.types import utcnow
from bot.render import Message


@dataclass(frozen=True)
class Outgoing:
    """One message for the outbox: what it is for (`key`, `kind`), where it goes and what it says."""

    team_id: str
    key: str
    kind: str
    channel: str
    message: Message
    method: OutboxMethod = OutboxMethod.POST
    thread_key: str | None = None
    target_key: str | None = None
    user_id: str | None = None
    not_before: datetime | None = None
    extra: dict[str, Any] | None = None  # what other methods carry besides a message (files, canvas content)

    def row(self, now: datetime) -> dict[str, object]:
        payload: dict[str, object] = {"text": self.message.text, "blocks": self.message.blocks}
        if self.user_id:
            payload["user"] = self.user_id
        if self.extra:
            payload.update(self.extra)
        return dict(team_id=self.team_id, key=self.key, kind=self.kind, method=str(self.method), channel=self.channel,
                    thread_key=self.thread_key, target_key=self.target_key,
                    payload=json.dumps(payload, ensure_ascii=False), status=OutboxStatus.PENDING, attempts=0,
                    next_attempt_at=self.not_before or now, created_at=now)


async def enqueue(session: AsyncSession, **outgoing: Any) -> bool:
    """Queue a message (the fields of `Outgoing`) unless one with this key exists; True when this call queued it."""
    return await insert_or_ignore(session, OutboxMessage, ["key"], **Outgoing(**outgoing).row(utcnow()))


async def enqueue_many(session: AsyncSession, messages: list[Outgoing]) -> None:
    """Queue many messages in one statement (a standup's prompts); those whose key exists are left alone."""
    now = utcnow()
    await insert_many_or_ignore(session, OutboxMessage, ["key"], [m.row(now) for m in messages])


async def find(session: AsyncSession, key: str) -> OutboxMessage | None:
    return (await session.exec(select(OutboxMessage).where(OutboxMessage.key == key))).first()
