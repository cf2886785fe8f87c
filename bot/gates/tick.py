"""The scheduled gate work: close gates at their deadline, nudge approvers, end holds, and prompt
kill/continue reviews. One unit of work per gate or project, so one bad row never stops the rest."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.experiments.measurements import series
from bot.gates import manage, prompts, reminders
from bot.gates.voting import GateEnv
from bot.models import Experiment, Gate, GateDecision, GateStatus, Project, ProjectState

if TYPE_CHECKING:
    from bot.app import Headway

log = logging.getLogger(__name__)


@dataclass
class GateTick:
    closed: int = 0
    reminded: int = 0
    resumed: int = 0
    prompted: int = 0
    failed: int = 0


async def _each(hw: Headway, ids: list[int], step: Callable[[AsyncSession, int], Awaitable[object]],
                name: str, result: GateTick) -> list[object]:
    done = []
    for item in ids:
        try:
            async with hw.db.unit_of_work() as session:
                done.append(await step(session, item))
        except Exception:
            log.exception("gate step %s failed for %s", name, item)
            result.failed += 1
    return done


async def gate_tick(hw: Headway) -> GateTick:
    """Deadlines (also those that passed while Headway was down), reminders, and holds that ended."""
    env = GateEnv(hw.renderer, hw.lifecycle, hw.clock.now())
    result = GateTick()
    async with hw.db.unit_of_work() as session:
        open_rows = (await session.exec(select(Gate.id, Gate.deadline_at).where(Gate.status == GateStatus.OPEN)
                                        .order_by(Gate.id))).all()
        holds = (await session.exec(select(Gate.id).where(
            Gate.outcome == GateDecision.HOLD, Gate.resumed_at.is_(None),  # type: ignore[union-attr]
            Gate.hold_until <= env.now.date()))).all()  # type: ignore[operator]
    due = [i for i, at in open_rows if at <= env.now]
    running = [i for i, at in open_rows if at > env.now]
    verdicts = await _each(hw, due, lambda s, i: manage.close_due(s, env, i), "deadline", result)
    result.closed = sum(1 for v in verdicts if v is not None)
    sent = await _each(hw, running, lambda s, i: reminders.remind_waiting(s, env, i), "remind", result)
    result.reminded = sum(int(n) for n in sent)  # type: ignore[call-overload]
    ended = await _each(hw, list(holds), lambda s, i: reminders.end_hold(s, env, i), "hold", result)
    result.resumed = sum(1 for e in ended if e)
    hw.deliver()
    return result


async def kill_continue_tick(hw: Headway, stall_weeks: int = prompts.DEFAULT_STALL_WEEKS) -> GateTick:
    """Suggest go/no-go reviews for stuck or overstaying projects and for those good enough to move on, and
    ask about experiments past their timebox."""
    now = hw.clock.now()
    result = GateTick()
    async with hw.db.unit_of_work() as session:
        project_ids = list((await session.exec(select(Project.id).where(Project.state == ProjectState.ACTIVE))).all())
        experiment_ids = await prompts.ended_experiments(session, now.date())

    async def project_step(session: AsyncSession, project_id: int) -> int:
        project = await session.get(Project, project_id)
        measurements = (await series(session, [project_id]))[project_id]
        return await prompts.prompt_project(session, hw.renderer, project, measurements, now, stall_weeks,  # type: ignore[arg-type]
                                            hw.lifecycle(project.lifecycle))  # type: ignore[union-attr]

    async def experiment_step(session: AsyncSession, experiment_id: int) -> int:
        experiment = await session.get(Experiment, experiment_id)
        return await prompts.prompt_experiment(session, hw.renderer, experiment, now) if experiment else 0

    counts = await _each(hw, [i for i in project_ids if i is not None], project_step, "prompt", result)
    counts += await _each(hw, experiment_ids, experiment_step, "experiment", result)
    result.prompted = sum(int(n) for n in counts)  # type: ignore[call-overload]
    hw.deliver()
    return result
