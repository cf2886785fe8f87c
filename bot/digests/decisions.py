"""Decisions waiting for a reader: open gates where they are an approver and have not voted yet."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digests.compose import Decision


async def pending_decisions(session: AsyncSession, team_id: str, user_id: str | None) -> tuple[Decision, ...]:
    if user_id is None:
        return ()
    return ()
