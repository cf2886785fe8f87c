"""The inputs and output of the progress judgement: plain frozen values, no behaviour beyond validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

from bot.progress.text import finite

Direction = Literal["higher", "lower"]


@dataclass(frozen=True)
class MetricSpec:
    """What "better" means for a project's metric. `name` and `unit` only matter for wording (lenses)."""

    direction: Direction
    baseline: float | None = None
    target: float | None = None
    name: str = ""
    unit: str = ""

    def __post_init__(self) -> None:
        if self.direction not in ("higher", "lower"):
            raise ValueError(f"metric direction must be 'higher' or 'lower', not {self.direction!r}")

    @classmethod
    def of(cls, project: Any) -> MetricSpec:
        """From anything shaped like a Project row (metric_direction, baseline, target, metric_name/unit)."""
        return cls(
            direction=str(project.metric_direction),  # type: ignore[arg-type]
            baseline=project.baseline,
            target=project.target,
            name=project.metric_name or "",
            unit=project.metric_unit or "",
        )


Confidence = Literal["low", "medium", "high"]
TRUSTED_SOURCES = ("api", "mlflow")  # a pipeline's or MLflow's result is evidence whatever anyone's confidence


@dataclass(frozen=True)
class Point:
    """One recorded result of the metric, with how much its author trusts it.

    A `low`-confidence result is unconfirmed until `confirmed` (someone clicked Confirm) or a later counted
    result at or beyond it backs it up (see bot.progress.evidence); `trusted` marks pipeline and MLflow results.
    """

    at: datetime
    value: float
    confidence: str | None = None
    confirmed: bool = False
    trusted: bool = False
    ref: int | None = None  # the measurement's id, so an unconfirmed result can be confirmed by a button
    author: str | None = None

    @property
    def low(self) -> bool:
        return self.confidence == "low" and not self.confirmed and not self.trusted

    @classmethod
    def of(cls, measurement: Any) -> Point:
        """From anything shaped like a Measurement row."""
        source = str(getattr(measurement, "source", "") or "")
        return cls(at=measurement.measured_at, value=measurement.value,
                   confidence=getattr(measurement, "confidence", None),
                   confirmed=getattr(measurement, "confirmed_at", None) is not None,
                   trusted=source in TRUSTED_SOURCES, ref=getattr(measurement, "id", None),
                   author=getattr(measurement, "user_id", None))


@dataclass(frozen=True)
class Timeline:
    start: date
    expected: date | None = None
    kill: date | None = None

    @classmethod
    def of(cls, project: Any) -> Timeline:
        return cls(start=project.start_date, expected=project.expected_date, kill=project.kill_date)


@dataclass(frozen=True)
class Thresholds:
    """Knobs of the rules above, with defaults that suit weekly-timeboxed ML work."""

    stall_weeks: int = 3  # this long without a meaningful gain is a stall
    meaningful_share: float = 0.02  # gains below 2% of the baseline→target gap are noise
    breakthrough_share: float = 0.25  # closing a quarter of the remaining gap in a week is news
    pace_tolerance: float = 0.15  # ML progress is not linear: only flag a clear lag behind pace
    weeks_of_history: int = 8  # length of the weekly series (sparklines)

    def __post_init__(self) -> None:
        if self.stall_weeks < 1 or self.weeks_of_history < 0:
            raise ValueError("stall_weeks must be at least 1 and weeks_of_history not negative")
        for name in ("meaningful_share", "breakthrough_share", "pace_tolerance"):
            share = getattr(self, name)
            if finite(share) is None or not 0 <= share <= 1:
                raise ValueError(f"{name} must be a share between 0 and 1, not {share!r}")


class ProgressLabel(StrEnum):
    NOT_STARTED = "Not started"
    ON_TRACK = "On track"
    BREAKTHROUGH = "Breakthrough"
    STALLED = "Stalled"
    AT_RISK = "At risk"
    OFF_TRACK = "Off track"
    TARGET_REACHED = "Target reached"


@dataclass(frozen=True)
class Judgement:
    label: ProgressLabel
    reason: str  # one plain-English line
    latest: float | None
    best: float | None  # direction-aware
    progress: float | None  # share of the way from baseline to target, in [0, 1]
    change_this_week: float | None  # latest minus the last result before this week; None without a new result
    weekly: list[float | None] = field(default_factory=list)  # last result of each ISO week, oldest first
    expected_pace: float | None = None  # share that linear progress would have reached by today
    plain: str = ""  # the reason in words for executives: no metric values, names or percentages
    unconfirmed: tuple[Point, ...] = ()  # low-confidence results not counted until confirmed, oldest first
