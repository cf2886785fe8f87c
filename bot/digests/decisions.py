"""Decisions and help waiting for a reader: open gates where they are an approver and have not voted yet; blockers
escalated to their PMs and gate conditions overdue, with their age and who could help."""

from __future__ import annotations

from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digests.compose import Decision
from bot.gates.queries import pending_for
from bot.models import utcnow
from bot.render.escaping import is_user_id, mrkdwn_escape
from bot.render.formatting import truncate_words


async def pending_decisions(session: AsyncSession, team_id: str, user_id: str | None,
                            today: date | None = None) -> tuple[Decision, ...]:
    if user_id is None:
        return ()
    pending = await pending_for(session, team_id, user_id)
    gates = tuple(Decision(p.project_id, p.gate_id, f"Decide on {p.title}", p.deadline) for p in pending)
    return gates + await help_needed(session, team_id, today or utcnow().date())


async def help_needed(session: AsyncSession, team_id: str, today: date) -> tuple[Decision, ...]:
    from bot.gates.conditions import overdue
    from bot.standups.blockers import help_needed as blocked

    blockers, late = await blocked(session, team_id, today), await overdue(session, team_id, today)

    from bot.render.formatting import day

    def who(user_id: str) -> str:
        return f"<@{user_id}>" if is_user_id(user_id) else "someone"

    def text(value: str, limit: int = 300) -> str:
        return mrkdwn_escape(truncate_words(value, limit))

    helps = [Decision(h.project_id, 0, f"Unblock {h.project_key}", None, kind="help",
                      detail=f"{who(h.user_id)} has been blocked on {h.project_key} for {h.age}: {text(h.text)}"
                             + (f" — could help: {', '.join(who(u) for u in h.helpers)}" if h.helpers else "")
                             + (f" ({who(h.user_id)} is away, back {day(h.back_on)})" if h.back_on else ""))
             for h in blockers]
    helps += [Decision(o.condition.project_id, 0, f"Condition overdue on {o.project_key}", o.condition.due_date,
                       kind="help", detail=f"A condition of {o.project_key}'s Go is {o.overdue_days} day"
                                           f"{'s' if o.overdue_days != 1 else ''} overdue (owner "
                                           f"{who(o.condition.owner_id)}): {text(o.condition.text)}")
              for o in late]
    return tuple(helps)
