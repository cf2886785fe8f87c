"""Is an ML project on track, and what does its metric mean for the business? Pure domain code.

`judgement` labels progress from a metric's history (Not started … Target reached) with a one-line reason;
`lenses` says the latest value in business terms through `templates/lenses/<lens>.json.j2`.
"""

from bot.progress.judgement import (
    Judgement,
    MetricSpec,
    Point,
    ProgressLabel,
    Thresholds,
    Timeline,
    expected_pace,
    judge,
    progress_fraction,
    weekly_series,
)
from bot.progress.lenses import (
    BUILT_IN_LENSES,
    LensParams,
    LensText,
    UnknownLensError,
    describe,
    lens_facts,
    lens_for,
)

__all__ = [
    "BUILT_IN_LENSES",
    "Judgement",
    "LensParams",
    "LensText",
    "MetricSpec",
    "Point",
    "ProgressLabel",
    "Thresholds",
    "Timeline",
    "UnknownLensError",
    "describe",
    "expected_pace",
    "judge",
    "lens_facts",
    "lens_for",
    "progress_fraction",
    "weekly_series",
]
