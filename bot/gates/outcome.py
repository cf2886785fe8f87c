"""What a closed gate does to its project, recorded as a StageTransition so the portfolio history keeps it.

Go and Go with conditions move on to the gate's target stage (a Go into the lifecycle's launch stage ships
the project); Pivot returns to the chosen stage with the reframed problem statement; Hold pauses the project
until a date; No-go stops it, keeping "stopped at STAGE because …"; No decision changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.gates import conditions
from bot.gates.queries import stage_name
from bot.gates.rules import Verdict
from bot.lifecycle import Lifecycle
from bot.models import Gate, GateDecision, GateVote, Project, ProjectState, StageTransition
from bot.production import service as production
from bot.production.stages import in_production
from bot.render.formatting import day, truncate_words


@dataclass(frozen=True)
class Details:
    """The particulars the deciding votes carry, stored on the gate when it closes."""

    conditions: str = ""
    pivot_stage: str | None = None
    reframed_problem: str = ""
    hold_until: date | None = None
    reasons: str = ""  # the deciding voters' rationales, joined
    vote_ids: tuple[int, ...] = ()  # the deciding votes


def details_of(verdict: Verdict, votes: list[GateVote]) -> Details:
    """Conditions are all collected; a pivot's stage and statement and a hold's date come from the earliest
    deciding vote (the proposal the others joined)."""
    by_id = {v.id: v for v in votes}
    deciding = [by_id[b.seq] for b in verdict.ballots if b.seq in by_id]
    if not deciding:
        return Details()
    first = deciding[0]
    stated = list(dict.fromkeys(v.conditions.strip() for v in deciding if v.conditions.strip()))
    conditions = stated[0] if len(stated) == 1 else "\n".join(f"• {c}" for c in stated)
    reasons = "; ".join(v.rationale.strip() for v in deciding if v.rationale.strip())
    return Details(conditions=conditions, pivot_stage=first.pivot_stage, reframed_problem=first.problem_statement,
                   hold_until=first.hold_until, reasons=reasons, vote_ids=tuple(v.id for v in deciding if v.id))


def _reason(gate: Gate, outcome: GateDecision, lifecycle: Lifecycle, details: Details) -> tuple[str, str, str]:
    """(stage, state, reason) the project ends up with."""
    leaving = stage_name(lifecycle, gate.from_stage)
    because = details.reasons or "the approvers decided so"
    if outcome in (GateDecision.GO, GateDecision.GO_CONDITIONS):
        extra = f" with conditions: {details.conditions}" if outcome == GateDecision.GO_CONDITIONS else ""
        launch = lifecycle.launch_stage
        if launch is not None and gate.to_stage == launch.key:  # a Go into the launch stage ships the project
            return gate.to_stage, ProjectState.SHIPPED, f"Gate #{gate.id}: Go from {leaving} — shipped{extra}"
        return gate.to_stage, ProjectState.ACTIVE, f"Gate #{gate.id}: Go from {leaving}{extra}"
    if outcome == GateDecision.PIVOT:
        back = details.pivot_stage or gate.from_stage
        return back, ProjectState.ACTIVE, (f"Gate #{gate.id}: Pivot back to {stage_name(lifecycle, back)}; "
                                           f"reframed problem: {details.reframed_problem}")
    if outcome == GateDecision.HOLD:
        return gate.from_stage, ProjectState.PAUSED, (f"Gate #{gate.id}: on hold until {day(details.hold_until)} "
                                                      f"because {because}")
    return gate.from_stage, ProjectState.STOPPED, f"Stopped at {leaving} because {because} (gate #{gate.id})"


async def apply(session: AsyncSession, gate: Gate, project: Project, outcome: GateDecision, details: Details,
                lifecycle: Lifecycle, actor_id: str | None, now: datetime) -> StageTransition | None:
    await conditions.settle(session, gate, outcome, details.vote_ids)
    if outcome == GateDecision.NO_DECISION:
        return None
    stage, state, reason = _reason(gate, outcome, lifecycle, details)
    transition = StageTransition(
        team_id=project.team_id, project_id=project.id, from_stage=project.stage, to_stage=stage,
        from_state=project.state, to_state=state, actor_id=actor_id, reason=truncate_words(reason, 3000), at=now,
    )
    project.stage, project.state, project.updated_at = stage, state, now
    if outcome == GateDecision.PIVOT and details.reframed_problem:
        project.problem_statement = details.reframed_problem[:3000]
    session.add(project)
    session.add(transition)
    await session.flush()
    if outcome in (GateDecision.GO, GateDecision.GO_CONDITIONS) and in_production(lifecycle, stage) and not (
            in_production(lifecycle, gate.from_stage)):
        await production.launch(session, project, gate.id, now)  # the launch value is frozen as the gate closes
    return transition
