"""A message that asked for a decision stops asking once it is made.

Every copy of the question (a post in a channel, each person's DM) is updated in place through the outbox: its
buttons are replaced by what was decided, by whom and when (or by the buttons still useful, such as "Edit my
answer"). The update's key is the copy's key plus `:settled:VERSION`, so settling twice queues nothing new; a
copy never sent (held, dead, cancelled) is left alone. A late click on an old copy is answered by its handler
from the domain's own record ("already decided: …") and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.outbox import enqueue
from bot.models import OutboxMessage, OutboxMethod, OutboxStatus
from bot.render import Message, Renderer


def outcome(renderer: Renderer, what: str, *, by: str | None = None, at: Any = None, detail: str = "",
            icon: str = ":white_check_mark:") -> Message:
    """The line that replaces the buttons: what was decided, by whom, when (templates/delivery/decided.json.j2)."""
    return renderer.message("delivery/decided.json.j2", what=what, by=by, at=at, detail=detail, icon=icon,
                            late=False)


def already(renderer: Renderer, what: str, *, by: str | None = None, at: Any = None, detail: str = "") -> Message:
    """The answer to a late click on an old copy: "Already decided: …", and that the click changed nothing."""
    return renderer.message("delivery/decided.json.j2", what=f"Already decided: {what}", by=by, at=at,
                            detail=detail, icon=":information_source:", late=True)

LIVE = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.HELD)


async def copies(session: AsyncSession, team_id: str, *, keys: Sequence[str] = (), prefix: str | None = None,
                 kinds: Sequence[str] = ()) -> list[OutboxMessage]:
    """The copies of a question still standing: by exact keys, or by a key prefix (and kinds)."""
    query = select(OutboxMessage).where(OutboxMessage.team_id == team_id,
                                        col(OutboxMessage.method) == str(OutboxMethod.POST),
                                        col(OutboxMessage.status).in_(LIVE))
    if keys:
        query = query.where(col(OutboxMessage.key).in_(list(keys)))
    if prefix is not None:
        query = query.where(col(OutboxMessage.key).startswith(prefix, autoescape=True))
    if kinds:
        query = query.where(col(OutboxMessage.kind).in_(list(kinds)))
    return list((await session.exec(query.order_by(col(OutboxMessage.id)))).all())


def settled_blocks(original: dict[str, Any], outcome: Message, keep_actions: Sequence[dict[str, Any]] = ()
                   ) -> list[dict[str, Any]]:
    """The question's blocks without its buttons (or with `keep_actions` in their place), then the outcome."""
    blocks = [b for b in original.get("blocks") or [] if b.get("type") != "actions"]
    return blocks + list(outcome.blocks) + list(keep_actions)


async def settle(session: AsyncSession, rows: Sequence[OutboxMessage], outcome: Message, *, version: str = "done",
                 keep_actions: Sequence[dict[str, Any]] = ()) -> int:
    """Update every copy in place: buttons gone (or `keep_actions`), `outcome` appended. Returns rows queued."""
    queued = 0
    for row in rows:
        original = json.loads(row.payload or "{}")
        message = Message(text=original.get("text") or outcome.text,
                          blocks=settled_blocks(original, outcome, keep_actions))
        queued += await enqueue(session, team_id=row.team_id, key=f"{row.key}:settled:{version}",
                                kind=f"{row.kind}_settled", channel=row.channel, method=OutboxMethod.UPDATE,
                                target_key=row.key, message=message)
    return queued
