"""The digest's trend chart: one PNG of small multiples, a panel per project shown in Slack.

Each panel is the project's last result of each of the 8 weeks (`Judgement.weekly`, gaps left as gaps, never
interpolated), its baseline and target as dashed lines, the zone beyond the target lightly shaded on the
side that counts as better, and a title "KEY · label". Pure: the same lines give the same bytes; no SQL, no
Slack, no pyplot (its global figure registry is not thread-safe and leaks figures in a long-running server):
a `Figure` on an explicit Agg canvas, rendered and dropped.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.projects.status import ProjectStatus

MAX_PANELS = 8  # as many as the digest shows in Slack (compose.SHOWN_IN_SLACK)
WIDTH_PX, ROW_PX, DPI = 1200, 300, 100
COLUMNS = 2
COLORS = {  # by label, close to the emoji the digest uses
    "Not started": "#9e9e9e", "On track": "#2e7d32", "Breakthrough": "#6a1b9a", "Stalled": "#c79100",
    "At risk": "#ef6c00", "Off track": "#c62828", "Target reached": "#1565c0",
}
INK, MUTED, GRID = "#1d1c1d", "#616061", "#e8e8e8"


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
    return f"8-week trend of {', '.join(keys)} against each project's baseline and target"


def trend_chart_png(lines: Sequence[Any], *, today: date | None = None) -> bytes | None:
    """One PNG, 1200 px wide and 300 px per row of two panels; None when no project has a result to draw."""
    statuses = charted(lines)
    if not statuses:
        return None
    # Imported here: matplotlib costs a second to load, which `headway` commands and Slack handlers that never
    # draw a chart should not pay.
    import matplotlib

    matplotlib.use("Agg")  # headless, whatever MPLBACKEND says; each figure also gets an Agg canvas explicitly
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    columns = 1 if len(statuses) == 1 else COLUMNS
    rows = math.ceil(len(statuses) / columns)
    figure = Figure(figsize=(WIDTH_PX / DPI, rows * ROW_PX / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    height = rows * ROW_PX / DPI
    figure.subplots_adjust(left=0.06, right=0.98, wspace=0.18, top=1 - 0.5 / height, bottom=0.4 / height,
                           hspace=0.95 / (ROW_PX / DPI - 0.95))
    axes = figure.subplots(rows, columns, squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index < len(statuses):
            # Small multiples share the weeks: only the lowest panel of each column labels them.
            _panel(ax, statuses[index], today, week_labels=index + columns >= len(statuses))
        else:
            ax.set_visible(False)
    buffer = io.BytesIO()
    # No "Software" entry: the bytes depend on the data, not on the matplotlib build.
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _week_labels(count: int, today: date | None) -> list[str]:
    if today is None:
        return [f"−{count - 1 - i}w" if i < count - 1 else "this week" for i in range(count)]
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=count - 1 - i) for i in range(count)]
    return [f"{d:%b} {d.day}" if i < count - 1 else "this week" for i, d in enumerate(starts)]


def _panel(ax: Any, status: ProjectStatus, today: date | None, *, week_labels: bool) -> None:
    project, judgement = status.project, status.judgement
    weekly = [_finite(v) for v in judgement.weekly]
    xs = list(range(len(weekly)))
    ys = [math.nan if v is None else v for v in weekly]
    label = str(judgement.label)
    color = COLORS.get(label, INK)
    lower = str(project.metric_direction) == "lower"

    # User text is drawn literally: parse_math=False, so a "$" in a name is never read as TeX.
    # An explicit title height (y) spares matplotlib a costly layout pass per panel at draw time.
    ax.set_title(f"{project.key} · {label}", loc="left", fontsize=11, fontweight="bold", color=color, y=1.0,
                 pad=6, parse_math=False)
    metric = project.metric_name or "metric"
    ax.set_title(f"{metric} · {'lower' if lower else 'higher'} is better", loc="right", fontsize=9, color=MUTED,
                 y=1.0, pad=6, parse_math=False)

    present = [(x, v) for x, v in zip(xs, weekly, strict=True) if v is not None]
    if len(present) > 1:  # a faint dotted line across weeks without results, so a gap reads as a gap
        ax.plot(*zip(*present, strict=True), color=color, linewidth=1, linestyle=":", alpha=0.6, zorder=2)
    ax.plot(xs, ys, color=color, linewidth=2, marker="o", markersize=4, zorder=3)  # NaN breaks the solid line
    for value, name in ((_finite(project.baseline), "baseline"), (_finite(project.target), "target")):
        if value is not None:
            ax.axhline(value, color=MUTED if name == "baseline" else INK, linestyle="--", linewidth=1, zorder=2)
            ax.annotate(f"{name} {value:g}", xy=(1, value), xycoords=("axes fraction", "data"),
                        xytext=(-2, 2), textcoords="offset points", ha="right", va="bottom", fontsize=8,
                        color=MUTED, parse_math=False)
    latest = next(((i, v) for i, v in reversed(list(enumerate(weekly))) if v is not None), None)
    if latest is not None:
        ax.annotate(f"{latest[1]:.3g}", xy=latest, xytext=(0, 6), textcoords="offset points", ha="center",
                    va="bottom", fontsize=8, color=color, fontweight="bold", parse_math=False)

    low, high = ax.get_ylim()
    if low == high:  # one flat value and no baseline/target: give it some room
        low, high = low - 1, high + 1
    pad = (high - low) * 0.12
    low, high = low - pad, high + pad
    target = _finite(project.target)
    if target is not None and low < target < high:  # the better side of the target, shaded
        ax.axhspan(*(sorted((target, low)) if lower else (target, high)), color=color, alpha=0.06, zorder=1,
                   linewidth=0)
    ax.set_ylim(low, high)
    ax.set_xlim(-0.4, len(weekly) - 0.6)
    if week_labels:
        ax.set_xticks(xs, _week_labels(len(weekly), today), fontsize=8, color=MUTED)
    else:
        ax.set_xticks(xs, [])
        ax.tick_params(axis="x", length=0)
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:.3g}"))  # no "1e11" offset text over the title
    ax.tick_params(axis="y", labelsize=8, colors=MUTED)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(GRID)
