"""Kill/continue prompts: so ML projects don't drift into sunk costs.

A project's PMs get a DM suggesting a go/no-go review (with a one-click "Request gate") when the project has
been judged *Stalled* for `stall_weeks` weeks, is past its expected date without reaching its target, is at
or past its kill (worst-case) date, or has stayed in its stage past the stage's timebox (asked once per visit
of the stage, with the time spent). A project whose latest result reaches its target asks its PMs, once per
target, whether it is good enough to request the next gate — shipping beats endless optimisation. An
experiment whose timebox ended while it still runs asks its owner to extend, pivot or conclude. Keys make
each prompt once per reason per ISO week (per end date for experiments), sent on a working day after 09:00
in the recipient's time zone.
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
from bot.lifecycle import Lifecycle
from bot.models import EventKind, Experiment, ExperimentStatus, Measurement, Project, ProjectState, StageTransition
from bot.people.service import people_by_user_id
from bot.progress.judgement import Judgement, MetricSpec, Point, ProgressLabel, Thresholds, Timeline, judge
from bot.projects import events
from bot.projects.service import get_project
from bot.render import Renderer
from bot.render.formatting import day

DEFAULT_STALL_WEEKS = 4


@dataclass(frozen=True)
class Concern:
    key: str  # stalled / overdue / kill_date / timebox
    text: str
    once: str | None = None  # asked once per this (a stage visit) instead of once a week


@dataclass(frozen=True)
class StageVisit:
    """When the project entered its current stage; `id` names the visit (its StageTransition)."""

    id: int
    since: date


def _judge(project: Project, measurements: Sequence[Measurement], today: date, stall_weeks: int) -> Judgement:
    """Unconfirmed (low-confidence) results are set aside by the judgement itself (bot.progress.evidence)."""
    return judge(MetricSpec.of(project), [Point.of(m) for m in measurements],
                 Timeline.of(project), today, Thresholds(stall_weeks=stall_weeks))


def overstayed(project: Project, lifecycle: Lifecycle | None, visit: StageVisit | None, today: date) -> Concern | None:
    """Past the stage's timebox: the time spent, asked once per visit of the stage."""
    stage = lifecycle.find(project.stage) if lifecycle else None
    if stage is None or stage.timebox_weeks is None or visit is None:
        return None
    days = (today - visit.since).days
    if days <= stage.timebox_weeks * 7:
        return None
    weeks = days // 7
    spent = f"{weeks} week{'s' if weeks != 1 else ''}" if weeks else f"{days} days"
    return Concern("timebox", f"In {stage.name} for {spent} (since {day(visit.since)}); its timebox is "
                              f"{stage.timebox_weeks} week{'s' if stage.timebox_weeks != 1 else ''}.",
                   once=f"visit-{visit.id}")


async def stage_visit(session: AsyncSession, project: Project) -> StageVisit | None:
    """The latest entry into the project's current stage (not a state change within it)."""
    rows = (await session.exec(select(StageTransition).where(StageTransition.project_id == project.id)
                               .order_by(StageTransition.id.desc()))).all()  # type: ignore[union-attr]
    entered = None
    for t in rows:
        if t.to_stage != project.stage:
            break
        entered = t
        if t.from_stage != t.to_stage:
            break
    return StageVisit(entered.id, entered.at.date()) if entered is not None and entered.id else None


def concerns(project: Project, measurements: Sequence[Measurement], today: date, stall_weeks: int,
             lifecycle: Lifecycle | None = None, visit: StageVisit | None = None) -> list[Concern]:
    """Why this project deserves a go/no-go review now (empty when it does not)."""
    judgement = _judge(project, measurements, today, stall_weeks)
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
    timebox = overstayed(project, lifecycle, visit, today)
    if timebox is not None and not reached:
        found.append(timebox)
    return found


def week_of(today: date) -> str:
    year, week, _ = today.isocalendar()
    return f"{year}-W{week:02d}"


async def prompt_project(session: AsyncSession, renderer: Renderer, project: Project,
                         measurements: Sequence[Measurement], now: datetime, stall_weeks: int,
                         lifecycle: Lifecycle | None = None) -> int:
    if project.state != ProjectState.ACTIVE or await open_gate_of(session, project.id) is not None:  # type: ignore[arg-type]
        return 0
    visit = await stage_visit(session, project) if lifecycle is not None else None
    found = concerns(project, measurements, now.date(), stall_weeks, lifecycle, visit)
    ship = good_enough(project, measurements, now.date(), stall_weeks, lifecycle)
    if not found and ship is None:
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
                                  key=f"gate-prompt:{project.id}:{concern.key}:{concern.once or week_of(local)}:"
                                      f"{user_id}", message=message)
            await events.record(session, project, EventKind.TIMEBOX_PROMPT,
                                f"{concern.key}:{concern.once or week_of(local)}",
                                "PMs asked whether to stop or continue", now, detail=concern.text)
        if ship is not None:  # once per project and target: a moved target that is reached again is news
            message = renderer.message("gates/good_enough.json.j2", project=project, ship=ship, **words())
            sent += await enqueue(session, team_id=project.team_id, kind="gate_prompt", channel=user_id,
                                  key=f"gate-ship:{project.id}:{project.target!r}:{user_id}", message=message)
            await events.record(session, project, EventKind.TIMEBOX_PROMPT, f"ship:{project.target!r}",
                                "PMs asked: good enough to ship?", now, detail=ship.reason)
    return sent


@dataclass(frozen=True)
class GoodEnough:
    reason: str
    next_stage: str


def good_enough(project: Project, measurements: Sequence[Measurement], today: date, stall_weeks: int,
                lifecycle: Lifecycle | None) -> GoodEnough | None:
    """The latest result reaches the target: time to ask the approvers whether to move on, not to optimise."""
    if lifecycle is None or project.target is None or project.stage not in lifecycle.keys:
        return None
    following = lifecycle.next_stage(project.stage)
    judgement = _judge(project, measurements, today, stall_weeks)
    if following is None or judgement.label != ProgressLabel.TARGET_REACHED:
        return None
    return GoodEnough(judgement.reason, following.name)


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
            await events.record(session, project, EventKind.TIMEBOX_PROMPT, f"experiment:{experiment.id}:{ended}",
                                f"Experiment #{experiment.id}'s timebox ended: extend or conclude?", now,
                                detail=experiment.hypothesis)
    return sent


async def ended_experiments(session: AsyncSession, today: date) -> list[int]:
    result = await session.exec(select(Experiment.id).where(
        Experiment.status != ExperimentStatus.CONCLUDED, Experiment.end_date < today))
    return [i for i in result.all() if i is not None]
