"""Decisions waiting for a reader: open gates where they are an approver and have not voted yet."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digests.compose import Decision
from bot.gates.queries import pending_for


async def pending_decisions(session: AsyncSession, team_id: str, user_id: str | None) -> tuple[Decision, ...]:
    if user_id is None:
        return ()
    pending = await pending_for(session, team_id, user_id)
    return tuple(Decision(p.project_id, p.gate_id, f"Decide on {p.title}", p.deadline) for p in pending)
