"""Turning portfolio data into the executive and team digests: which projects, in what order, saying what."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.digests.portfolio import PortfolioData
from bot.lifecycle import Lifecycle
from bot.models import Project, ProjectState, StageTransition, StandupAnswer
from bot.progress.judgement import ProgressLabel
from bot.projects.status import ProjectStatus, project_status
from bot.render import Renderer

SHOWN_IN_SLACK = 8  # projects in one message; the rest are summarized and live on the App Home
ORDER = {ProgressLabel.OFF_TRACK: 0, ProgressLabel.AT_RISK: 1, ProgressLabel.STALLED: 2,
         ProgressLabel.BREAKTHROUGH: 3, ProgressLabel.TARGET_REACHED: 4, ProgressLabel.ON_TRACK: 5,
         ProgressLabel.NOT_STARTED: 6}


@dataclass(frozen=True)
class Decision:
    """Something waiting for the reader: a gate they approve and have not voted on (kind "gate"), or help the
    portfolio needs (kind "help": a blocker escalated to its PMs, a gate condition overdue; gate_id 0)."""

    project_id: int
    gate_id: int
    title: str
    deadline: date | None
    kind: str = "gate"
    detail: str = ""  # help: what blocks, for how long, who could help; mrkdwn, ALREADY escaped: embed with |plain


@dataclass(frozen=True)
class ProjectLine:
    status: ProjectStatus
    stage_name: str
    top_blocker: StandupAnswer | None
    learned: tuple[str, ...]
    decisions: tuple[Decision, ...]
    answers: int


@dataclass(frozen=True)
class Ending:
    project: Project
    transition: StageTransition
    stage_name: str


@dataclass(frozen=True)
class Digest:
    today: date
    reader_id: str | None
    active: int
    labels: dict[str, int]
    decisions: tuple[Decision, ...]
    pipeline: tuple[tuple[str, int], ...]
    lines: tuple[ProjectLine, ...]
    more: int
    endings: tuple[Ending, ...]
    participation: dict[str, int] = field(default_factory=dict)
    in_production: tuple[Any, ...] = ()  # bot.production.overview.LiveItem, for the exec digest's group

    @property
    def shown(self) -> tuple[ProjectLine, ...]:
        return self.lines[:SHOWN_IN_SLACK]


def compose(renderer: Renderer, data: PortfolioData, lifecycle_of: Callable[[Project], Lifecycle], today: date,
            reader_id: str | None = None, decisions: tuple[Decision, ...] = ()) -> Digest:
    active = [p for p in data.projects if p.state == ProjectState.ACTIVE]
    lines = []
    for project in active:
        status = project_status(renderer, project, data.measurements.get(project.id, []), today,
                                data.experiments.get(project.id, []), data.goals.get(project.id))
        lines.append(ProjectLine(
            status=status, stage_name=_stage_name(lifecycle_of(project), project.stage),
            top_blocker=(data.blockers.get(project.id) or [None])[0], learned=_learned(status, data, project),
            decisions=tuple(d for d in decisions if d.project_id == project.id),
            answers=len(data.answers.get(project.id, [])),
        ))
    lines.sort(key=lambda line: (not line.decisions, ORDER[line.status.judgement.label], line.status.project.key))
    labels = Counter(line.status.judgement.label.value for line in lines)
    pipeline: Counter[str] = Counter()
    order: list[str] = []
    for project in active:
        lifecycle = lifecycle_of(project)
        for stage in lifecycle.stages:
            if stage.name not in order:
                order.append(stage.name)
        pipeline[_stage_name(lifecycle, project.stage)] += 1
    endings = tuple(Ending(p, t, _stage_name(lifecycle_of(p), t.from_stage or t.to_stage)) for t, p in data.endings)
    return Digest(
        today=today, reader_id=reader_id, active=len(active), labels=dict(labels), decisions=decisions,
        pipeline=tuple((name, pipeline[name]) for name in order if pipeline[name]), lines=tuple(lines),
        more=max(0, len(lines) - SHOWN_IN_SLACK), endings=endings[:5],
    )


def _stage_name(lifecycle: Lifecycle, key: str) -> str:
    try:
        return lifecycle.stage(key).name
    except KeyError:
        return key


def _learned(status: ProjectStatus, data: PortfolioData, project: Project) -> tuple[str, ...]:
    """What the week taught: concluded experiments first, then experiments people reported on."""
    learned = [f"{e.hypothesis} → {e.outcome}" if e.outcome else e.hypothesis for e in status.concluded_this_week]
    for answer in data.answers.get(project.id, []):
        if answer.experiment and len(learned) < 3:
            reached = f" (reached {answer.metric_value:g})" if answer.metric_value is not None else ""
            learned.append(f"{answer.experiment}{reached}")
    return tuple(learned[:3])


