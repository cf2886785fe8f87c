"""Timeboxed experiments and weekly goals: what the team bets on, and what it expects to learn."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.models import Experiment, ExperimentStatus, Project, WeeklyGoal
from bot.people.service import Actor
from bot.projects.service import ProjectDetails, get_project

MAX_TIMEBOX_DAYS = 92


@dataclass(frozen=True)
class ExperimentDraft:
    hypothesis: str
    owner_id: str
    start: date
    end: date


def on_project(by: Actor, details: ProjectDetails) -> bool:
    return by.is_admin or by.user_id in details.pm_ids or by.user_id in details.member_ids


def validate_experiment(raw: Mapping[str, Any], by: Actor, today: date) -> ExperimentDraft:
    errors = {}
    hypothesis = (raw.get("hypothesis") or "").strip()
    if not hypothesis:
        errors["hypothesis"] = "Say what you expect, e.g. “merchant features lift recall by 3 points”."
    elif len(hypothesis) > 500:
        errors["hypothesis"] = "Please keep it under 500 characters."
    start = _day(raw.get("start_date")) or today
    end = _day(raw.get("end_date")) or start + timedelta(days=7)
    if end < start:
        errors["end_date"] = "The end cannot be before the start."
    elif (end - start).days > MAX_TIMEBOX_DAYS:
        errors["end_date"] = "Keep experiments to a few weeks at most: timeboxes keep ML work honest."
    if errors:
        raise InvalidInput(errors)
    return ExperimentDraft(hypothesis, raw.get("owner") or by.user_id, start, end)


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


async def create_experiment(session: AsyncSession, by: Actor, key: str, draft: ExperimentDraft,
                            today: date) -> Experiment:
    details = await get_project(session, by.person.team_id, key)
    if not on_project(by, details):
        raise NotAllowed(f"Only people on {details.project.key} (and Headway admins) can add experiments to it.")
    experiment = Experiment(
        team_id=details.project.team_id, project_id=details.project.id, hypothesis=draft.hypothesis,
        owner_id=draft.owner_id, start_date=draft.start, end_date=draft.end, created_by=by.user_id,
        status=ExperimentStatus.RUNNING if draft.start <= today else ExperimentStatus.PLANNED,
    )
    session.add(experiment)
    await session.flush()
    return experiment


async def close_experiment(session: AsyncSession, by: Actor, experiment_id: int, outcome: str,
                           now: datetime) -> Experiment:
    experiment = await session.get(Experiment, experiment_id)
    if experiment is None or experiment.team_id != by.person.team_id:
        raise NotFound(f"There is no experiment {experiment_id}.")
    project = await session.get(Project, experiment.project_id)
    details = await get_project(session, by.person.team_id, project.key)
    if not (by.user_id == experiment.owner_id or by.is_admin or by.user_id in details.pm_ids):
        raise NotAllowed("Only the experiment's owner, the project's PMs and admins can close it.")
    if experiment.status == ExperimentStatus.CONCLUDED:
        raise InvalidInput({"experiment": f"Experiment {experiment_id} is already concluded."})
    experiment.status, experiment.concluded_at = ExperimentStatus.CONCLUDED, now
    experiment.outcome = outcome.strip()[:3000]
    session.add(experiment)
    await session.flush()
    return experiment


async def experiments_of(session: AsyncSession, project_id: int) -> list[Experiment]:
    result = await session.exec(select(Experiment).where(Experiment.project_id == project_id)
                                .order_by(Experiment.start_date.desc(), Experiment.id.desc()))  # type: ignore[attr-defined]
    return list(result.all())


TARGET = re.compile(r"\s*target\s*=\s*(-?\d+(?:\.\d+)?)\s*$", re.I)


async def set_weekly_goal(session: AsyncSession, by: Actor, key: str, text: str, today: date) -> WeeklyGoal:
    """This week's goal for a project (one per week: setting it again replaces it)."""
    details = await get_project(session, by.person.team_id, key)
    if not on_project(by, details):
        raise NotAllowed(f"Only people on {details.project.key} (and Headway admins) can set its weekly goal.")
    match = TARGET.search(text)
    target = float(match.group(1)) if match else None
    goal_text = TARGET.sub("", text).strip()
    if not goal_text:
        raise InvalidInput({"goal": "Say what the team expects to learn or reach this week."})
    week = today - timedelta(days=today.weekday())
    goal = (await session.exec(select(WeeklyGoal).where(WeeklyGoal.project_id == details.project.id,
                                                        WeeklyGoal.week_start == week))).first()
    goal = goal or WeeklyGoal(team_id=details.project.team_id, project_id=details.project.id, week_start=week,
                              goal="")
    goal.goal, goal.target_value, goal.set_by = goal_text[:500], target, by.user_id
    session.add(goal)
    await session.flush()
    return goal


async def goal_for_week(session: AsyncSession, project_id: int, today: date) -> WeeklyGoal | None:
    week = today - timedelta(days=today.weekday())
    return (await session.exec(select(WeeklyGoal).where(WeeklyGoal.project_id == project_id,
                                                        WeeklyGoal.week_start == week))).first()
