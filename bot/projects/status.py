"""A project's progress for people: judgement, business headline, trend and outlook, in one value.

Used by `/headway show`, the digests and the gate cards, so every place says the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, tzinfo

from bot.models import Experiment, Measurement, Project, WeeklyGoal
from bot.progress.judgement import Judgement, MetricSpec, Point, Thresholds, Timeline, judge
from bot.progress.lenses import LensParams, LensText, describe, lens_for
from bot.render import Renderer


@dataclass(frozen=True)
class GoalCheck:
    goal: WeeklyGoal
    reached: bool | None  # None: the goal has no number to check against


@dataclass(frozen=True)
class ProjectStatus:
    project: Project
    judgement: Judgement
    lens: LensText
    running: tuple[Experiment, ...]
    concluded_this_week: tuple[Experiment, ...]
    goal: GoalCheck | None


def lens_params(project: Project) -> LensParams:
    return LensParams(subject=project.lens_subject or None, monthly_volume=project.monthly_volume,
                      value_per_catch=project.value_per_catch, cost_per_false_alarm=project.cost_per_false_alarm,
                      currency=project.currency or "$")


def project_status(
    renderer: Renderer, project: Project, measurements: Sequence[Measurement], today: date,
    experiments: Sequence[Experiment] = (), goal: WeeklyGoal | None = None, thresholds: Thresholds | None = None,
    tz: tzinfo = UTC,
) -> ProjectStatus:
    """`today` is the reader's date in `tz`: "this week" is the reader's week (see bot.progress.judgement)."""
    spec = MetricSpec.of(project)
    points = [Point.of(m) for m in measurements]
    judgement = judge(spec, points, Timeline.of(project), today, thresholds or Thresholds(), tz)
    lens = describe(renderer, lens_for(project.metric_name, project.lens), project.name, spec, judgement.latest,
                    lens_params(project))
    week_start = today.toordinal() - today.weekday()
    running = tuple(e for e in experiments if e.status != "concluded")
    concluded = tuple(e for e in experiments if e.status == "concluded" and e.concluded_at
                      and e.concluded_at.astimezone(tz).date().toordinal() >= week_start)
    check = None
    if goal is not None:
        reached = None
        if goal.target_value is not None and judgement.best is not None:
            reached = (judgement.best >= goal.target_value if spec.direction == "higher"
                       else judgement.best <= goal.target_value)
        check = GoalCheck(goal, reached)
    return ProjectStatus(project, judgement, lens, running, concluded, check)
