"""Is an ML project on track? One deterministic label and one plain-English reason, from its metric history.

ML progress is lumpy: weeks of nothing, then a jump. Executives need the same answer every time they ask,
so the judgement is a fixed set of rules over the results recorded up to `today`, applied in this order
(the first that matches wins):

0. Evidence       — low-confidence results count only once confirmed (bot.progress.evidence); the others
                    are listed in `Judgement.unconfirmed` and change nothing below.
1. Not started    — no results recorded yet.
2. Target reached — the latest result is at least as good as the target.
3. Off track      — today is past the kill (stop) date and the target is not reached.
4. Breakthrough   — this week's latest result beats the best result before this week by at least
                    `breakthrough_share` of the gap that remained to the target (needs a target and an
                    earlier result: a first result is a starting point, not a jump).
5. Stalled        — the best result has not improved meaningfully for `stall_weeks` weeks or more.
                    Meaningful means by at least `meaningful_share` of the baseline→target gap; without
                    a usable gap, of the size of the baseline (or of the first result). Small gains add
                    up: they are measured from the last meaningful best, not from the previous result.
6. At risk        — past the expected date, or progress is behind linear pace (start → expected date)
                    by more than `pace_tolerance`.
7. On track       — otherwise.

Conventions: "better" follows the metric's direction (for "lower", going down is progress); all logic runs
on "goodness" (the value, negated for "lower"), so mirroring the values and the direction changes nothing.
Dates are the reader's: a result's day and week are those of its instant in `tz` (the reader's time zone),
the zone `today` was taken in, so a result posted a minute ago is in "this week" wherever the reader is.
Results dated after `today` (clock skew, back-filled plans) and non-finite values are ignored; naive
datetimes are read as UTC; of two results at the same instant the better one counts as the later.
Without a baseline or target (or with a target no better than the baseline) there is no gap: the label
comes from the trend and the dates only, and the reason says what is missing. Nothing here raises for
finite inputs, however extreme. Each reason comes twice: `reason` with the numbers, for the team, and
`plain` in words (bot.progress.words), for executives.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from bot.progress import words
from bot.progress.evidence import split
from bot.progress.model import Judgement, MetricSpec, Point, ProgressLabel, Thresholds, Timeline
from bot.progress.text import finite, short_date, value_text, whole_percent

__all__ = [
    "Judgement",
    "MetricSpec",
    "Point",
    "ProgressLabel",
    "Thresholds",
    "Timeline",
    "expected_pace",
    "judge",
    "progress_fraction",
    "weekly_series",
]


@dataclass(frozen=True)
class _Obs:
    at: datetime
    good: float  # the value, negated when lower is better
    value: float
    day: date  # in the reader's time zone


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _good(direction: str, value: float | None) -> float | None:
    v = finite(value)
    if v is None:
        return None
    return v if direction == "higher" else -v


def _ratio(a: float, b: float, c: float, d: float) -> float | None:
    """(a - b) / (c - d) without overflow for any finite inputs; None when undefined."""
    num, den = a - b, c - d
    if not (abs(num) < float("inf") and abs(den) < float("inf")):
        num, den = a / 2 - b / 2, c / 2 - d / 2
    if den == 0:
        return None
    result = num / den
    return None if result != result else result  # NaN


def _gap(spec: MetricSpec) -> tuple[float, float] | None:
    """(baseline, target) in goodness when they make a gap worth measuring, else None."""
    gb, gt = _good(spec.direction, spec.baseline), _good(spec.direction, spec.target)
    if gb is None or gt is None or not gt > gb:
        return None
    return gb, gt


def progress_fraction(spec: MetricSpec, value: float | None) -> float | None:
    """Share of the way from baseline to target, direction-aware, clamped to [0, 1].

    None when the value, baseline or target is missing, or the target is not better than the baseline
    (equal, or on the wrong side for the direction): then there is no way to go.
    """
    gap, gv = _gap(spec), _good(spec.direction, value)
    if gap is None or gv is None:
        return None
    share = _ratio(gv, gap[0], gap[1], gap[0])
    return None if share is None else min(1.0, max(0.0, share))


def _week_start(today: date) -> date:
    return today - timedelta(days=today.weekday())


def _weekly(items: Iterable[tuple[date, float]], today: date, weeks: int) -> list[float | None]:
    """Last value per ISO week; `items` sorted oldest first and not after today."""
    if weeks <= 0:
        return []
    first = _week_start(today) - timedelta(weeks=weeks - 1)
    series: list[float | None] = [None] * weeks
    for day, value in items:
        if day >= first:
            series[(day - first).days // 7] = value
    return series


def weekly_series(points: Sequence[Point], today: date, weeks: int = 8, tz: tzinfo = UTC) -> list[float | None]:
    """The last value of each ISO week, oldest first, ending with the week of `today`; None for empty weeks.

    Nothing is interpolated: a gap is a week without results. Of two results at the same instant, the
    larger counts as the later (deterministic whatever the input order).
    """
    ordered = sorted((_utc(p.at).astimezone(tz), v) for p in points if (v := finite(p.value)) is not None)
    return _weekly(((at.date(), v) for at, v in ordered if at.date() <= today), today, weeks)


def expected_pace(timeline: Timeline, today: date) -> float | None:
    """Share of the work that linear progress from start to expected date would have done by today."""
    if timeline.expected is None:
        return None
    total = (timeline.expected - timeline.start).days
    if total <= 0:
        return 1.0 if today >= timeline.expected else 0.0
    return min(1.0, max(0.0, (today - timeline.start).days / total))


def _observations(spec: MetricSpec, points: Sequence[Point], today: date, tz: tzinfo) -> list[_Obs]:
    found = []
    for p in points:
        at, good = _utc(p.at), _good(spec.direction, p.value)
        if good is not None and (day := at.astimezone(tz).date()) <= today:
            found.append(_Obs(at=at, good=good, value=float(p.value), day=day))
    return sorted(found, key=lambda o: (o.at, o.good))


def _missing(spec: MetricSpec) -> str | None:
    """What stops us measuring progress against the target, in words; None when nothing does."""
    if finite(spec.target) is None:
        return "the target is not set"
    if finite(spec.baseline) is None:
        return "the baseline is not set"
    if _gap(spec) is None:
        return "the target is no better than the baseline"
    return None


def _meaningful(spec: MetricSpec, new: float, old: float, first: float, share: float) -> bool:
    """Is `new` a gain over `old` big enough not to be noise? (see rule 5)"""
    if not new > old:
        return False
    gap = _gap(spec)
    if gap is not None:
        lo, hi = gap
    else:
        base = _good(spec.direction, spec.baseline)
        lo, hi = 0.0, abs(base if base is not None else first)
    gain = _ratio(new, old, hi, lo)
    return gain is None or gain >= share  # no scale at all: any gain counts


def _last_meaningful(spec: MetricSpec, obs: list[_Obs], share: float) -> _Obs:
    record = obs[0]
    for o in obs[1:]:
        if _meaningful(spec, o.good, record.good, obs[0].good, share):
            record = o
    return record


def judge(
    spec: MetricSpec,
    points: Sequence[Point],
    timeline: Timeline,
    today: date,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, so a shared default is safe
    tz: tzinfo = UTC,
) -> Judgement:
    """Label a project's progress by the rules in the module docstring, with a one-line reason.

    `today` is the reader's date in `tz`; results are dated in `tz` too.
    """
    counted, pending = split(spec.direction, points)
    unconfirmed = tuple(p for p in pending if _utc(p.at).astimezone(tz).date() <= today)
    obs = _observations(spec, counted, today, tz)
    weekly = _weekly(((o.day, o.value) for o in obs), today, thresholds.weeks_of_history)
    pace = expected_pace(timeline, today)
    missing = _missing(spec)

    def verdict(label: ProgressLabel, reason: str, plain: str, **numbers: Any) -> Judgement:
        if missing and label is not ProgressLabel.TARGET_REACHED:
            reason = f"{reason}; {missing}"
            plain = f"{plain}; {words.MISSING[missing]}"
        return Judgement(label, reason + ".", weekly=weekly, expected_pace=pace, plain=words.capital(plain) + ".",
                         unconfirmed=unconfirmed, **numbers)

    if not obs:
        reason, plain = "No results recorded yet", "no results yet"
        if today < timeline.start:
            reason = f"Starts on {short_date(timeline.start, today)}; no results yet"
            plain = f"starts on {short_date(timeline.start, today)}"
        elif timeline.kill and today > timeline.kill:
            reason = f"No results recorded yet, and the stop date ({short_date(timeline.kill, today)}) has passed"
            plain = "no results yet, and the agreed stop date has passed"
        return verdict(ProgressLabel.NOT_STARTED, reason, plain, latest=None, best=None, progress=None,
                       change_this_week=None)

    latest, best = obs[-1], max(obs, key=lambda o: o.good)
    monday = _week_start(today)
    before = [o for o in obs if o.day < monday]
    change = finite(latest.value - before[-1].value) if before and latest.day >= monday else None
    progress = progress_fraction(spec, latest.value)
    numbers = dict(latest=latest.value, best=best.value, progress=progress, change_this_week=change)
    target, goal = finite(spec.target), _good(spec.direction, spec.target)
    standing = f"latest {value_text(latest.value)}" + (f", target {value_text(target)}" if target is not None else "")

    if goal is not None and latest.good >= goal:
        reason = f"Latest result {value_text(latest.value)} meets the target of {value_text(target)}"
        return verdict(ProgressLabel.TARGET_REACHED, reason, "reached what the business needs", **numbers)
    if timeline.kill and today > timeline.kill:
        reason = f"Past the stop date ({short_date(timeline.kill, today)})"
        reason += f" without reaching the target ({standing})" if goal is not None else f", {standing}"
        plain = "past the agreed stop date" + (" without reaching what the business needs" if goal is not None else "")
        return verdict(ProgressLabel.OFF_TRACK, reason, plain, **numbers)
    if goal is not None and before and latest.day >= monday:
        prior = max(before, key=lambda o: o.good)
        closed = _ratio(latest.good, prior.good, goal, prior.good) if goal > prior.good else None
        if closed is not None and latest.good > prior.good and closed >= thresholds.breakthrough_share:
            reason = (
                f"Jumped from {value_text(prior.value)} to {value_text(latest.value)} this week, "
                f"closing {whole_percent(min(closed, 1.0))}% of the remaining gap to the target"
            )
            plain = f"a big step this week: it closed {words.closed_words(min(closed, 1.0))} to the target"
            return verdict(ProgressLabel.BREAKTHROUGH, reason, plain, **numbers)
    record = _last_meaningful(spec, obs, thresholds.meaningful_share)
    idle_days = (today - record.day).days
    if idle_days >= 7 * thresholds.stall_weeks:
        weeks, since = idle_days // 7, short_date(record.day, today)
        reason = (
            f"No meaningful improvement for {weeks} week{'s' if weeks != 1 else ''} "
            f"(best {value_text(best.value)} since {since})"
        )
        return verdict(ProgressLabel.STALLED, reason, f"no real progress for {words.count_words(weeks, 'week')}",
                       **numbers)
    if timeline.expected and today > timeline.expected:
        reason = f"Past the expected date ({short_date(timeline.expected, today)})"
        reason += f" and the target is not reached ({standing})" if goal is not None else f", {standing}"
        plain = f"past the date we expected it ({short_date(timeline.expected, today)}), and not there yet"
        return verdict(ProgressLabel.AT_RISK, reason, plain, **numbers)
    if progress is not None and pace is not None and pace - progress > thresholds.pace_tolerance:
        reason = (
            f"{whole_percent(progress)}% of the way to the target; "
            f"about {whole_percent(pace)}% was expected by now ({standing})"
        )
        plain = f"{words.progress_words(progress)}, behind the pace we planned"
        return verdict(ProgressLabel.AT_RISK, reason, plain, **numbers)
    if progress is not None:
        reason = f"{whole_percent(progress)}% of the way from baseline to target ({standing})"
        plain = words.progress_words(progress)
    else:
        improving = record is not obs[0]
        reason = f"{'Improving' if improving else 'No clear gain yet'} ({standing})"
        plain = "improving" if improving else "no clear gain yet"
    return verdict(ProgressLabel.ON_TRACK, reason, plain, **numbers)
