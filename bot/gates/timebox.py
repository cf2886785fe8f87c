"""Answers to "your experiment's timebox ended": extend it by a week, or conclude it (a pivot is a conclusion
that says what changes next). Only the experiment's owner, the project's PMs and admins decide."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.settle import copies, outcome, settle
from bot.errors import HeadwayError, InvalidInput, NotAllowed, NotFound
from bot.experiments import experiments
from bot.models import EventKind, Experiment, ExperimentStatus, Project
from bot.people.service import Actor
from bot.projects import events
from bot.projects.service import get_project
from bot.render import Renderer

EXTENSION = timedelta(days=7)


async def check(session: AsyncSession, actor: Actor, experiment_id: int) -> Experiment:
    """The experiment, if this person may extend or conclude it now."""
    experiment = await session.get(Experiment, experiment_id)
    if experiment is None or experiment.team_id != actor.person.team_id:
        raise NotFound(f"There is no experiment {experiment_id}.")
    project = await session.get(Project, experiment.project_id)
    details = await get_project(session, actor.person.team_id, project.key)  # type: ignore[union-attr]
    if not (actor.user_id in (experiment.owner_id, experiment.created_by) or actor.is_admin
            or actor.user_id in details.pm_ids):
        raise NotAllowed("Only the experiment's owner, the project's PMs and admins can change it.")
    if experiment.status == ExperimentStatus.CONCLUDED:
        raise HeadwayError(f"Experiment #{experiment_id} is already concluded.")
    return experiment


async def extend(session: AsyncSession, actor: Actor, experiment_id: int, today: date,
                 now: datetime | None = None) -> Experiment:
    experiment = await check(session, actor, experiment_id)
    experiment.end_date = max(experiment.end_date, today) + EXTENSION
    experiment.status = ExperimentStatus.RUNNING
    session.add(experiment)
    await session.flush()
    project = await session.get(Project, experiment.project_id)
    await events.record(session, project, EventKind.TIMEBOX_ANSWER,  # type: ignore[arg-type]
                        f"experiment:{experiment.id}:extended:{experiment.end_date.isoformat()}",
                        f"Experiment #{experiment.id} extended to {experiment.end_date.isoformat()}",
                        now or datetime.combine(today, datetime.min.time(), tzinfo=UTC), actor_id=actor.user_id,
                        detail=experiment.hypothesis)
    return experiment


async def conclude(session: AsyncSession, actor: Actor, experiment_id: int, outcome: str, pivot: bool,
                   now: datetime) -> Experiment:
    await check(session, actor, experiment_id)
    text = outcome.strip()
    if not text:
        raise InvalidInput({"outcome": "Write down what you learned, even if it is a negative result."})
    if len(text) > 2000:
        raise InvalidInput({"outcome": "Please keep it under 2,000 characters."})
    closed = await experiments.close_experiment(session, actor, experiment_id, f"Pivot: {text}" if pivot else text,
                                                now)
    project = await session.get(Project, closed.project_id)
    await events.record(session, project, EventKind.TIMEBOX_ANSWER,  # type: ignore[arg-type]
                        f"experiment:{experiment_id}:concluded", f"Experiment #{experiment_id} "
                        f"{'pivoted' if pivot else 'concluded'} at the end of its timebox", now,
                        actor_id=actor.user_id, detail=text)
    return closed


async def settle_prompts(session: AsyncSession, renderer: Renderer, experiment: Experiment, what: str, by: str,
                         at: datetime) -> int:
    """Every "timebox ended" prompt of the experiment stops asking: extended or concluded, by whom, when."""
    standing = await copies(session, experiment.team_id, prefix=f"gate-experiment:{experiment.id}:",
                            kinds=["gate_experiment"])
    return await settle(session, standing, outcome(renderer, what, by=by, at=at),
                        version=f"{experiment.status}-{experiment.end_date.isoformat()}")


def decided_text(experiment: Experiment, today: date) -> str | None:
    """What was already decided about an ended timebox, if anything: concluded, or extended past today."""
    if experiment.status == ExperimentStatus.CONCLUDED:
        return f"experiment #{experiment.id} concluded"
    if experiment.end_date >= today:
        return f"experiment #{experiment.id} runs until {experiment.end_date:%a} {experiment.end_date.day} " \
               f"{experiment.end_date:%b %Y}"
    return None
