"""A project described for people: the facts a card needs, computed once, worded by templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.lifecycle import Lifecycle
from bot.models import MetricDirection, Project, ProjectState
from bot.projects.service import ProjectDetails


@dataclass(frozen=True)
class ProjectCard:
    project: Project
    pm_ids: tuple[str, ...]
    member_ids: tuple[str, ...]
    stage_name: str
    stage_number: int
    stage_count: int
    stage_goal: str
    better: str            # "higher" / "lower"
    state_label: str       # "Active", "Paused", …
    weeks_running: int
    days_to_expected: int | None
    days_to_kill: int | None
    overdue: bool
    past_kill_date: bool


def describe(details: ProjectDetails, lifecycle: Lifecycle, today: date) -> ProjectCard:
    project = details.project
    try:
        stage = lifecycle.stage(project.stage)
        stage_name, number, goal = stage.name, lifecycle.index(project.stage) + 1, stage.goal
    except KeyError:  # the lifecycle file changed under an existing project: show what we have
        stage_name, number, goal = project.stage, 0, ""
    active = project.state == ProjectState.ACTIVE
    to_expected = (project.expected_date - today).days if project.expected_date else None
    to_kill = (project.kill_date - today).days if project.kill_date else None
    return ProjectCard(
        project=project, pm_ids=details.pm_ids, member_ids=details.member_ids, stage_name=stage_name,
        stage_number=number, stage_count=len(lifecycle.stages), stage_goal=goal,
        better="lower" if project.metric_direction == MetricDirection.LOWER else "higher",
        state_label=ProjectState(project.state).value.capitalize(),
        weeks_running=max(0, (today - project.start_date).days // 7),
        days_to_expected=to_expected, days_to_kill=to_kill,
        overdue=active and to_expected is not None and to_expected < 0,
        past_kill_date=active and to_kill is not None and to_kill < 0,
    )
