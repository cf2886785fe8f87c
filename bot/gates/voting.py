"""Votes and closing, exactly once, on PostgreSQL and SQLite alike.

Every change to a gate starts with `lock`: an UPDATE of the gate row `WHERE status = 'open'`. It takes the
row's write lock (PostgreSQL) or the database's (SQLite) before anything is read, so two approvers clicking
at the same moment are serialized: the second transaction waits, then sees the first one's vote. Whoever
then finds the rule satisfied closes the gate with a second conditional UPDATE (`status = 'open'` →
`'closed'`) whose rowcount says it won; the vote, the outcome, the stage change and the messages commit
together or not at all. A vote that arrives after the gate closed is refused politely and not stored.
Services take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import HeadwayError, NotAllowed
from bot.gates import conditions, notify, outcome
from bot.gates.form import VoteDraft
from bot.gates.queries import GateView, approvers_for_rule, ballots, find_gate, load_view, reload
from bot.gates.rules import Verdict, decide
from bot.gates.wording import DECISION_LABELS, how_decided
from bot.lifecycle import Lifecycle
from bot.models import Gate, GateDecision, GateRule, GateStatus, GateVote, Project
from bot.projects.service import get_project
from bot.render import Renderer
from bot.render.formatting import day


class GateNotOpen(HeadwayError):
    """The gate closed or was cancelled: a stale button or a vote that came second."""


@dataclass(frozen=True)
class GateEnv:
    renderer: Renderer
    lifecycles: Callable[[str], Lifecycle]
    now: datetime


@dataclass(frozen=True)
class VoteResult:
    view: GateView
    vote: GateVote
    verdict: Verdict | None


def not_open_text(gate: Gate) -> str:
    if gate.status == GateStatus.CANCELLED:
        return f"Gate #{gate.id} was cancelled, so it no longer takes votes."
    label = DECISION_LABELS.get(GateDecision(gate.outcome or "no_decision"), "a decision")
    when = f" on {day(gate.closed_at)}" if gate.closed_at else ""
    return f"Gate #{gate.id} has already closed{when} with *{label}*; votes are no longer taken."


async def lock(session: AsyncSession, team_id: str, gate_id: int) -> Gate:
    """Take the gate's row lock if it is open (see the module docstring); GateNotOpen otherwise."""
    locked = await session.exec(update(Gate).where(  # type: ignore[call-overload]
        Gate.id == gate_id, Gate.team_id == team_id, Gate.status == GateStatus.OPEN).values(version=Gate.version + 1))
    if not locked.rowcount:
        raise GateNotOpen(not_open_text(await find_gate(session, team_id, gate_id)))
    return await reload(session, gate_id)


async def settle(session: AsyncSession, env: GateEnv, gate: Gate, *, closed_by: str | None = None,
                 forced: bool = False, refresh: bool = True) -> Verdict | None:
    """Close the locked gate if its rule (or deadline, or the PM's "close as is") decides; refresh its cards."""
    lifecycle = env.lifecycles((await session.get(Project, gate.project_id)).lifecycle)  # type: ignore[union-attr]
    view = await load_view(session, gate, lifecycle, env.now.date())
    verdict = decide(GateRule(gate.rule), approvers_for_rule(view.approvers),
                     ballots(view.votes), final=env.now >= gate.deadline_at, forced=forced)
    if verdict is None:
        if refresh:
            await notify.refresh_cards(session, env.renderer, view, lifecycle, env.now)
        return None
    found = outcome.details_of(verdict, view.votes)
    closed = await session.exec(update(Gate).where(  # type: ignore[call-overload]
        Gate.id == gate.id, Gate.status == GateStatus.OPEN).values(
        status=GateStatus.CLOSED, outcome=verdict.outcome.value, outcome_basis=verdict.basis,
        outcome_reason=how_decided(verdict, GateRule(gate.rule)), conditions=found.conditions,
        pivot_stage=found.pivot_stage if verdict.outcome == GateDecision.PIVOT else None,
        reframed_problem=found.reframed_problem if verdict.outcome == GateDecision.PIVOT else "",
        hold_until=found.hold_until if verdict.outcome == GateDecision.HOLD else None,
        closed_at=env.now, closed_by=closed_by, version=Gate.version + 1))
    if not closed.rowcount:  # cannot happen under the lock; if it does, someone else decided
        return None
    gate = await reload(session, gate.id)  # type: ignore[arg-type]
    project = (await session.exec(select(Project).where(Project.id == gate.project_id)
                                  .execution_options(populate_existing=True))).one()  # as it is now, not as read
    await outcome.apply(session, gate, project, verdict.outcome, found, lifecycle, closed_by, env.now)
    view = await load_view(session, gate, lifecycle, env.now.date())
    await notify.refresh_cards(session, env.renderer, view, lifecycle, env.now)
    pms = (await get_project(session, gate.team_id, project.key)).pm_ids
    await notify.tell(session, env.renderer, view, lifecycle, what="closed", people=[*pms, gate.requested_by],
                      channel=True, key="closed")
    return verdict


async def cast_vote(session: AsyncSession, env: GateEnv, team_id: str, gate_id: int, user_id: str,
                    draft: VoteDraft) -> VoteResult:
    gate = await lock(session, team_id, gate_id)
    lifecycle = env.lifecycles((await session.get(Project, gate.project_id)).lifecycle)  # type: ignore[union-attr]
    view = await load_view(session, gate, lifecycle, env.now.date())
    if user_id not in {a.user_id for a in view.approvers}:
        raise NotAllowed(f"Only the approvers listed on gate #{gate.id} can vote on it.")
    vote = GateVote(team_id=team_id, gate_id=gate.id, user_id=user_id, decision=draft.decision.value,
                    rationale=draft.rationale, conditions=draft.conditions, pivot_stage=draft.pivot_stage,
                    problem_statement=draft.problem_statement, hold_until=draft.hold_until, cast_at=env.now)
    standing = next((a.vote for a in view.approvers if a.user_id == user_id), None)
    if standing is not None and _same(standing, vote):  # a double click: nothing to record, nothing changes
        return VoteResult(view, standing, None)
    session.add(vote)
    await session.flush()
    if draft.condition_items:
        await conditions.record_for_vote(session, gate, vote, draft.condition_items, user_id)
    verdict = await settle(session, env, gate, closed_by=user_id)
    gate = await reload(session, gate.id)  # type: ignore[arg-type]
    return VoteResult(await load_view(session, gate, lifecycle, env.now.date()), vote, verdict)


def _same(a: GateVote, b: GateVote) -> bool:
    fields = ("decision", "rationale", "conditions", "pivot_stage", "problem_statement", "hold_until")
    return all(getattr(a, f) == getattr(b, f) for f in fields)
