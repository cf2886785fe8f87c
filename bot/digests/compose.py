"""Turning portfolio data into the executive and team digests: which projects, in what order, saying what.

The digest is a list of groups (`Digest.groups`): the active projects first, then the paused ones (with the
day they resume), the shipped ones and the stopped ones ("stopped at STAGE because …", kept for good). Each
group has a key that names its template partial (templates/digests/exec/_<key>.json.j2, home/groups/_<key>...),
so another kind of group is one more entry and one more partial. Slack's block budget is kept by showing a
bounded number of each (SHOWN_IN_SLACK active projects, SHOWN_PER_GROUP of the others) and counting the rest.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from bot.digests.portfolio import PortfolioData
from bot.lifecycle import Lifecycle
from bot.models import Project, ProjectState, StageTransition, StandupAnswer
from bot.progress.judgement import ProgressLabel
from bot.projects.goalposts import Flags
from bot.projects.status import ProjectStatus, project_status
from bot.render import Renderer

SHOWN_IN_SLACK = 8  # active projects in one message; the rest are summarized and live on the App Home
SHOWN_PER_GROUP = 5  # paused, shipped or stopped projects listed in one message (one section block per group)
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
    learned: tuple[str, ...]  # in words: what was tried and concluded (for everyone)
    decisions: tuple[Decision, ...]
    answers: int
    learned_values: tuple[str, ...] = ()  # the same with the value each reached (for the team)
    away: int = 0  # standup days this week its people were off: not expected, so not missing answers


@dataclass(frozen=True)
class Entry:
    """A project that is not active: paused, shipped or stopped, and how it got there."""

    project: Project
    stage_name: str  # where it paused, shipped or stopped
    since: datetime | None  # when it entered that state (None: no recorded move, e.g. imported that way)
    reason: str  # why, as recorded with the move ("" when nobody said)
    resumes: date | None = None  # paused by a Hold: the day it resumes


@dataclass(frozen=True)
class Group:
    """One group of the portfolio: `key` names it and its template partial; `items` are ProjectLines for the
    active group and Entries for the others."""

    key: str
    title: str
    items: tuple[Any, ...]
    limit: int

    @property
    def shown(self) -> tuple[Any, ...]:
        return self.items[:self.limit]

    @property
    def more(self) -> int:
        return max(0, len(self.items) - self.limit)


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
    groups: tuple[Group, ...] = ()
    participation: dict[str, int] = field(default_factory=dict)
    flags: dict[int, Flags] = field(default_factory=dict)  # by project id: goalposts moved / moved without a gate
    in_production: tuple[Any, ...] = ()  # bot.production.overview.LiveItem, for the exec digest's group

    @property
    def shown(self) -> tuple[ProjectLine, ...]:
        return self.lines[:SHOWN_IN_SLACK]

    def group(self, key: str) -> Group | None:
        return next((g for g in self.groups if g.key == key), None)

    @property
    def others(self) -> tuple[Group, ...]:
        """The groups after the active projects, in order, empty ones left out."""
        return tuple(g for g in self.groups if g.key != "active" and g.items)


GROUP_TITLES = {"active": "Active", "paused": "Paused", "shipped": "Shipped", "stopped": "Stopped"}


def compose(renderer: Renderer, data: PortfolioData, lifecycle_of: Callable[[Project], Lifecycle], today: date,
            reader_id: str | None = None, decisions: tuple[Decision, ...] = (), tz: tzinfo = UTC) -> Digest:
    """`today` is the reader's date in `tz`: each result is dated in the reader's zone."""
    active = [p for p in data.projects if p.state == ProjectState.ACTIVE]
    lines = []
    for project in active:
        status = project_status(renderer, project, data.measurements.get(project.id, []), today,
                                data.experiments.get(project.id, []), data.goals.get(project.id), tz=tz)
        learned, learned_values = _learned(status, data, project)
        lines.append(ProjectLine(
            status=status, stage_name=_stage_name(lifecycle_of(project), project.stage),
            top_blocker=(data.blockers.get(project.id) or [None])[0], learned=learned,
            decisions=tuple(d for d in decisions if d.project_id == project.id),
            answers=len(data.answers.get(project.id, [])), learned_values=learned_values,
            away=data.away.get(project.id, 0),
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
    groups = [Group("active", GROUP_TITLES["active"], tuple(lines), SHOWN_IN_SLACK)]
    for state in (ProjectState.PAUSED, ProjectState.SHIPPED, ProjectState.STOPPED):
        entries = [_entry(p, data, lifecycle_of) for p in data.projects if p.state == state]
        entries.sort(key=lambda e: (e.since or datetime.min.replace(tzinfo=UTC), e.project.key), reverse=True)
        groups.append(Group(state.value, GROUP_TITLES[state.value], tuple(entries), SHOWN_PER_GROUP))
    return Digest(
        today=today, reader_id=reader_id, active=len(active), labels=dict(labels), decisions=decisions,
        pipeline=tuple((name, pipeline[name]) for name in order if pipeline[name]), lines=tuple(lines),
        more=max(0, len(lines) - SHOWN_IN_SLACK), groups=tuple(groups), flags=data.flags,
    )


def without_live(digest: Digest, live: tuple[Any, ...]) -> Digest:
    """The exec digest with its "In production" group (`live`: bot.production.overview.LiveItem): a live project
    is listed there once, so it leaves the active lines and the Shipped group; `active` still counts it."""
    ids = {item.project.id for item in live}
    lines = tuple(line for line in digest.lines if line.status.project.id not in ids)
    groups = tuple(replace(g, items=tuple(i for i in g.items if _project_of(i).id not in ids)) for g in digest.groups)
    return replace(digest, lines=lines, more=max(0, len(lines) - SHOWN_IN_SLACK), groups=groups, in_production=live,
                   labels=dict(Counter(line.status.judgement.label.value for line in lines)))


def _project_of(item: ProjectLine | Entry) -> Project:
    return item.status.project if isinstance(item, ProjectLine) else item.project


def _entry(project: Project, data: PortfolioData, lifecycle_of: Callable[[Project], Lifecycle]) -> Entry:
    moved: StageTransition | None = data.ended.get(project.id)  # type: ignore[arg-type]
    stage = (moved.from_stage or moved.to_stage) if moved is not None else project.stage
    return Entry(project=project, stage_name=_stage_name(lifecycle_of(project), stage),
                 since=moved.at if moved else None, reason=because(moved.reason if moved else ""),
                 resumes=data.resumes.get(project.id) if project.state == ProjectState.PAUSED else None)


BOILERPLATE = ("Changed in the project form", "Project created")


def because(reason: str) -> str:
    """The why of a recorded move: "Stopped at Feasibility because the data is too noisy (gate #3)" → "the data
    is too noisy"; a move recorded without a reason says nothing."""
    reason = (reason or "").strip()
    if reason in BOILERPLATE:
        return ""
    head, found, tail = reason.partition(" because ")
    text = tail if found else reason
    return re.sub(r"\s*\(gate #\d+\)$", "", text).strip()


def _stage_name(lifecycle: Lifecycle, key: str) -> str:
    try:
        return lifecycle.stage(key).name
    except KeyError:
        return key


def _learned(status: ProjectStatus, data: PortfolioData, project: Project) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the week taught: concluded experiments first, then experiments people reported on; the second
    tuple adds the value each reached, for the team (the exec digest names no metric values)."""
    words = [f"{e.hypothesis} → {e.outcome}" if e.outcome else e.hypothesis for e in status.concluded_this_week]
    values = list(words)
    for answer in data.answers.get(project.id, []):
        if answer.experiment and len(words) < 3:
            reached = f" (reached {answer.metric_value:g})" if answer.metric_value is not None else ""
            words.append(answer.experiment)
            values.append(f"{answer.experiment}{reached}")
    return tuple(words[:3]), tuple(values[:3])
