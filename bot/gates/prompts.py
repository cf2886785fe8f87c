"""Kill/continue prompts: so ML projects don't drift into sunk costs.

A project's PMs get a DM suggesting a go/no-go review (with a one-click "Request gate") when the project has
been judged *Stalled* for `stall_weeks` weeks, is past its expected date without reaching its target, or
is at or past its kill (worst-case) date. An experiment whose timebox ended while it still runs asks its
owner to extend, pivot or conclude. Keys make each prompt once per reason per ISO week (per end date for
experiments), sent on a working day after 09:00 in the recipient's time zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.outbox import enqueue
from bot.gates.notify import words
from bot.gates.queries import open_gate_of
from bot.gates.reminders import working_day
from bot.models import Experiment, ExperimentStatus, Measurement, Project, ProjectState
from bot.people.service import people_by_user_id
from bot.progress.judgement import MetricSpec, Point, ProgressLabel, Thresholds, Timeline, judge
from bot.projects.service import get_project
from bot.render import Renderer
from bot.render.formatting import day

DEFAULT_STALL_WEEKS = 4


@dataclass(frozen=True)
class Concern:
    key: str  # stalled / overdue / kill_date
    text: str


def concerns(project: Project, measurements: Sequence[Measurement], today: date, stall_weeks: int) -> list[Concern]:
    """Why this project deserves a go/no-go review now (empty when it does not)."""
    judgement = judge(MetricSpec.of(project), [Point.of(m) for m in measurements],
                      Timeline.of(project), today, Thresholds(stall_weeks=stall_weeks))
    found = []
    if judgement.label == ProgressLabel.STALLED:
        found.append(Concern("stalled", f"Stalled: {judgement.reason}"))
    reached = judgement.label == ProgressLabel.TARGET_REACHED
    if project.expected_date and today > project.expected_date and not reached:
        found.append(Concern("overdue", f"Past its expected date ({day(project.expected_date)}) without reaching "
                                        "the target."))
    if project.kill_date and today >= project.kill_date and not reached:
        found.append(Concern("kill_date", f"At or past its stop date ({day(project.kill_date)}), the point at which "
                                          "it was agreed to stop without real progress."))
    return found


def week_of(today: date) -> str:
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


async def prompt_project(session: AsyncSession, renderer: Renderer, project: Project,
                         measurements: Sequence[Measurement], now: datetime, stall_weeks: int) -> int:
    if project.state != ProjectState.ACTIVE or await open_gate_of(session, project.id) is not None:  # type: ignore[arg-type]
        return 0
    found = concerns(project, measurements, now.date(), stall_weeks)
    if not found:
        return 0
    pms = (await get_project(session, project.team_id, project.key)).pm_ids
    people = await people_by_user_id(session, project.team_id, pms)
    sent = 0
    for user_id in pms:
        local = working_day(now, people[user_id].tz if user_id in people else "UTC")
        if local is None:
            continue
        for concern in found:  # one key per reason: a new reason this week is news, the same one is not
            message = renderer.message("gates/prompt.json.j2", project=project, concern=concern,
                                       others=[c for c in found if c is not concern], **words())
            sent += await enqueue(session, team_id=project.team_id, kind="gate_prompt", channel=user_id,
                                  key=f"gate-prompt:{project.id}:{concern.key}:{week_of(local)}:{user_id}",
                                  message=message)
    return sent


async def prompt_experiment(session: AsyncSession, renderer: Renderer, experiment: Experiment, now: datetime) -> int:
    project = await session.get(Project, experiment.project_id)
    if project is None or project.state != ProjectState.ACTIVE or experiment.status == ExperimentStatus.CONCLUDED:
        return 0
    recipients = [experiment.owner_id or experiment.created_by] if (experiment.owner_id or experiment.created_by) \
        else list((await get_project(session, project.team_id, project.key)).pm_ids)
    people = await people_by_user_id(session, project.team_id, [r for r in recipients if r])
    message = renderer.message("gates/experiment.json.j2", experiment=experiment, project=project, **words())
    sent = 0
    ended = experiment.end_date.isoformat()
    for user_id in recipients:
        local = working_day(now, people[user_id].tz if user_id in people else "UTC")
        if user_id and local is not None and local > experiment.end_date:
            sent += await enqueue(session, team_id=project.team_id, kind="gate_experiment", channel=user_id,
                                  key=f"gate-experiment:{experiment.id}:ended:{ended}:{user_id}", message=message)
    return sent


async def ended_experiments(session: AsyncSession, today: date) -> list[int]:
    result = await session.exec(select(Experiment.id).where(
        Experiment.status != ExperimentStatus.CONCLUDED, Experiment.end_date < today))
    return [i for i in result.all() if i is not None]
