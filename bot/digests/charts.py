"""The digest's trend chart: one PNG, a panel per project, in what the business counts.

Made to be read inline in Slack (about 480 px wide): one column of panels that share a week axis (labelled
once, at the bottom), each titled by the project's name and its label, its vertical axis in the lens's terms on the
project's one scale ("fraud cases caught, per 10", "typical error (days)"; figures as the text says them,
bot/progress/figures.py) with "better" always up (an axis where fewer is better
is turned upside down and says so), the starting point and the target as dashed lines, and an as-of date.
Each panel is the project's last counted result of each of the 8 weeks (`Judgement.weekly`), gaps left as gaps.

Pure: the same lines give the same bytes; no SQL, no Slack, no pyplot (its global figure registry is not
thread-safe and leaks figures in a long-running server): a `Figure` on an explicit Agg canvas, rendered and
dropped.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from bot.progress.figures import Scale
from bot.progress.lenses import project_scale
from bot.progress.text import value_text

if TYPE_CHECKING:
    from bot.projects.status import ProjectStatus

MAX_PANELS = 8  # as many as the digest shows in Slack (compose.SHOWN_IN_SLACK)
WIDTH_IN, HEADER_IN, PANEL_IN, FOOTER_IN, DPI = 4.8, 0.55, 1.25, 0.45, 200  # 960 px wide: sharp at 480
COLORS = {  # by label, close to the emoji the digest uses
    "Not started": "#9e9e9e", "On track": "#2e7d32", "Breakthrough": "#6a1b9a", "Stalled": "#c79100",
    "At risk": "#ef6c00", "Off track": "#c62828", "Target reached": "#1565c0",
}
INK, MUTED, GRID = "#1d1c1d", "#616061", "#e8e8e8"


@dataclass(frozen=True)
class Axis:
    """A panel's vertical axis in business terms: `scale` turns a metric value into what `label` counts."""

    label: str
    scale: Callable[[float], float]
    fewer_is_better: bool
    figures: Scale


def axis_for(project: Any, values: Sequence[float], latest: float | None = None) -> Axis:
    """The lens's words for the axis, on the project's one scale (bot/progress/figures.py), as the text says."""
    scale = project_scale(project, latest if latest is not None else next(iter(reversed(values)), None))
    subject = (project.lens_subject or "").strip()
    unit = (project.metric_unit or "").strip()
    lower = str(project.metric_direction) == "lower"
    per = scale.per

    def plot(value: float) -> float:
        return scale.plotted(value) or 0.0

    if scale.base == "recall":
        return Axis(f"{subject or 'cases'} caught, per {per}", plot, False, scale)
    if scale.base == "precision":
        return Axis(f"alerts that are right, per {per}", plot, False, scale)
    if scale.base == "accuracy":
        return Axis(f"right answers, per {per}", plot, False, scale)
    if scale.base == "false_positive_rate":
        return Axis(f"false alarms per {per} {subject or 'good cases'}", plot, True, scale)
    if scale.base == "error":
        return Axis(f"typical error{f' ({unit})' if unit else ''}", plot, True, scale)
    if scale.base == "latency":
        return Axis(f"response time ({unit or 'ms'})", plot, True, scale)
    name = project.metric_name or "result"
    return Axis(f"{name}{f' ({unit})' if unit else ''}", plot, lower, scale)


def figures(project: Any, weekly: Sequence[float | None]) -> dict[str, str | None]:
    """What a panel writes beside its line: the latest result, the start and the target, as every surface does."""
    values = [v for v in weekly if _finite(v) is not None]
    latest = values[-1] if values else None
    axis = axis_for(project, values, latest)
    baseline, target = _finite(project.baseline), _finite(project.target)
    return {"latest": None if latest is None else axis.figures.text(latest),
            "start": None if baseline is None else _goalpost_text(axis.figures, "baseline"),
            "target": None if target is None else _goalpost_text(axis.figures, "target"),
            "per": str(axis.figures.per) if axis.figures.per else None}


def _goalpost_text(scale: Scale, which: str) -> str:
    if scale.per is not None:
        count = scale.target_count() if which == "target" else scale.baseline_count()
        return "—" if count is None else str(count)
    value = scale.target if which == "target" else scale.baseline
    return value_text(value)


def _status(line: Any) -> ProjectStatus:
    """A digest ProjectLine or a ProjectStatus."""
    return line.status if hasattr(line, "status") else line


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def charted(lines: Sequence[Any]) -> list[ProjectStatus]:
    """The statuses that get a panel: the first MAX_PANELS lines that have at least one weekly value."""
    statuses = [_status(line) for line in lines[:MAX_PANELS]]
    return [s for s in statuses if any(_finite(v) is not None for v in s.judgement.weekly)]


def alt_text(lines: Sequence[Any]) -> str | None:
    """What the chart shows, for the image block's alt_text (screen readers, notifications)."""
    keys = [s.project.key for s in charted(lines)]
    if not keys:
        return None
    return f"8-week trend of {', '.join(keys)} in business terms, better upwards."


def trend_chart_png(lines: Sequence[Any], *, today: date | None = None) -> bytes | None:
    """One PNG 960 px wide (read at 480), a 250 px panel per project; None when no project has a result."""
    statuses = charted(lines)
    if not statuses:
        return None
    # Imported here: matplotlib costs a second to load, which `headway` commands and Slack handlers that never
    # draw a chart should not pay.
    import matplotlib

    matplotlib.use("Agg")  # headless, whatever MPLBACKEND says; each figure also gets an Agg canvas explicitly
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height = HEADER_IN + PANEL_IN * len(statuses) + FOOTER_IN
    figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.13, right=0.97, top=1 - HEADER_IN / height, bottom=FOOTER_IN / height,
                           hspace=0.62)
    axes = figure.subplots(len(statuses), 1, squeeze=False, sharex=True)
    as_of = f"as of {today:%a} {today.day} {today:%b %Y}" if today else "last 8 weeks"
    figure.text(0.02, 1 - 0.12 / height, "How each project is doing, week by week", fontsize=9.5,
                fontweight="bold", color=INK, va="top")
    figure.text(0.02, 1 - 0.32 / height, f"Higher is better on every panel · {as_of}", fontsize=7, color=MUTED,
                va="top")
    for index, ax in enumerate(axes.flat):
        _panel(ax, statuses[index], today, week_labels=index == len(statuses) - 1)
    buffer = io.BytesIO()
    # No "Software" entry: the bytes depend on the data, not on the matplotlib build.
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _week_labels(count: int, today: date | None) -> list[str]:
    if today is None:
        return [f"−{count - 1 - i}w" if i < count - 1 else "now" for i in range(count)]
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=count - 1 - i) for i in range(count)]
    # Every other week, so the labels stay apart at 480 px; the current week always.
    return ["this wk" if i == count - 1 else (f"{d.day} {d:%b}" if (count - 1 - i) % 2 == 0 else "")
            for i, d in enumerate(starts)]


def _since(count: int, first: int, today: date | None) -> str:
    """ "results since 30 Nov" (or "3 weeks of results so far" without a date): why the line starts late."""
    weeks = count - first
    if today is None:
        return f"{weeks} week{'s' if weeks != 1 else ''} of results so far"
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    return f"results since the week of {start.day} {start:%b}"


def _panel(ax: Any, status: ProjectStatus, today: date | None, *, week_labels: bool) -> None:
    project, judgement = status.project, status.judgement
    raw = [_finite(v) for v in judgement.weekly]
    axis = axis_for(project, [v for v in raw if v is not None])
    said = figures(project, raw)

    def scaled(value: float | None) -> float | None:
        return None if value is None else _finite(axis.scale(value))

    weekly = [scaled(v) for v in raw]
    xs = list(range(len(weekly)))
    ys = [math.nan if v is None else v for v in weekly]
    label = str(judgement.label)
    color = COLORS.get(label, INK)

    # User text is drawn literally: parse_math=False, so a "$" in a name is never read as TeX.
    # An explicit title height (y) spares matplotlib a costly layout pass per panel at draw time.
    name = project.name if len(project.name) <= 34 else project.name[:33] + "…"
    ax.set_title(name, loc="left", fontsize=8, fontweight="bold", color=INK, y=1.0, pad=3, parse_math=False)
    ax.set_title(label, loc="right", fontsize=8, fontweight="bold", color=color, y=1.0, pad=3, parse_math=False)
    ax.set_ylabel(axis.label + (" (fewer is better)" if axis.fewer_is_better else ""), fontsize=6, color=MUTED,
                  labelpad=2, wrap=True)

    present = [(x, v) for x, v in zip(xs, weekly, strict=True) if v is not None]
    if len(present) > 1:  # a faint dotted line across weeks without results, so a gap reads as a gap
        ax.plot(*zip(*present, strict=True), color=color, linewidth=0.8, linestyle=":", alpha=0.6, zorder=2)
    ax.plot(xs, ys, color=color, linewidth=1.6, marker="o", markersize=2.8, zorder=3)  # NaN breaks the line
    for value, name_ in ((scaled(_finite(project.baseline)), "start"), (scaled(_finite(project.target)), "target")):
        if value is not None:
            ax.axhline(value, color=MUTED if name_ == "start" else INK, linestyle="--", linewidth=0.7, zorder=2)
            ax.annotate(f"{name_} {value:.3g}", xy=(0, value), xycoords=("axes fraction", "data"),
                        xytext=(2, 1.5), textcoords="offset points", ha="left", va="bottom", fontsize=6,
                        color=MUTED, parse_math=False)
    latest = next(((i, v) for i, v in reversed(list(enumerate(weekly))) if v is not None), None)
    first = next((i for i, v in enumerate(weekly) if v is not None), None)
    if first:  # weeks before the first result are not gaps: say since when there are results, not empty ticks
        ax.text(0.01, 0.5, _since(len(weekly), first, today), transform=ax.transAxes,
                fontsize=6, color=MUTED, ha="left", va="center", style="italic", parse_math=False)
    if latest is not None:
        ax.annotate(str(said["latest"]), xy=latest, xytext=(0, 3), textcoords="offset points", ha="center",
                    va="bottom", fontsize=6.5, color=color, fontweight="bold", parse_math=False)

    low, high = ax.get_ylim()
    if low == high:  # one flat value and no baseline/target: give it some room
        low, high = low - 1, high + 1
    pad = (high - low) * 0.15
    low, high = low - pad, high + pad
    target = scaled(_finite(project.target))
    if target is not None and low < target < high:  # the better side of the target, shaded
        ax.axhspan(*(sorted((target, low)) if axis.fewer_is_better else (target, high)), color=color, alpha=0.06,
                   zorder=1, linewidth=0)
    ax.set_ylim((high, low) if axis.fewer_is_better else (low, high))  # better is always up
    ax.set_xlim(-0.4, len(weekly) - 0.6)
    if week_labels:
        ax.set_xticks(xs, _week_labels(len(weekly), today), fontsize=6.5, color=MUTED)
    else:
        ax.tick_params(axis="x", length=0, labelbottom=False)
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    ax.yaxis.set_major_locator(MaxNLocator(nbins=3))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:.3g}"))  # no "1e11" offset text over the title
    ax.tick_params(axis="y", labelsize=6, colors=MUTED, length=2, pad=1)
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
