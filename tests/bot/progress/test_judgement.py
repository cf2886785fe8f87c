import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.progress import (
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

TODAY = date(2026, 11, 25)  # a Wednesday; its ISO week starts Monday 23 Nov
SPEC = MetricSpec("higher", 0.6, 0.9)
TIMELINE = Timeline(start=date(2026, 9, 1), expected=date(2027, 1, 31), kill=date(2027, 3, 31))


def at(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def points(*pairs: tuple[str, float]) -> list[Point]:
    return [Point(at(day), value) for day, value in pairs]


# ---------------------------------------------------------------- progress_fraction


def test_progress_is_the_share_of_the_way_from_baseline_to_target():
    assert progress_fraction(SPEC, 0.75) == pytest.approx(0.5)
    assert progress_fraction(SPEC, 0.5) == 0.0  # worse than the baseline: no progress, not negative
    assert progress_fraction(SPEC, 0.95) == 1.0


def test_for_lower_is_better_going_down_is_progress():
    spec = MetricSpec("lower", baseline=10.0, target=2.0)
    assert progress_fraction(spec, 6.0) == pytest.approx(0.5)
    assert progress_fraction(spec, 12.0) == 0.0
    assert progress_fraction(spec, 1.0) == 1.0


@pytest.mark.parametrize(
    "spec, value",
    [
        (MetricSpec("higher", None, 0.9), 0.7),
        (MetricSpec("higher", 0.6, None), 0.7),
        (MetricSpec("higher", 0.6, 0.6), 0.7),
        (MetricSpec("higher", 0.9, 0.6), 0.7),  # target on the wrong side for the direction
        (MetricSpec("lower", 2.0, 10.0), 5.0),
        (SPEC, None),
        (SPEC, float("nan")),
    ],
)
def test_progress_is_unknown_without_a_gap_or_a_value(spec, value):
    assert progress_fraction(spec, value) is None


def test_direction_must_be_known():
    with pytest.raises(ValueError):
        MetricSpec("up")  # type: ignore[arg-type]


# ---------------------------------------------------------------- weekly_series


def test_weekly_series_keeps_the_last_value_of_each_iso_week_and_invents_nothing():
    history = points(("2026-11-02", 0.70), ("2026-11-05", 0.72), ("2026-11-17", 0.75), ("2026-11-23", 0.74))
    assert weekly_series(history, TODAY, weeks=4) == [0.72, None, 0.75, 0.74]


def test_weekly_series_ignores_the_future_and_old_weeks_and_any_input_order():
    history = points(("2026-10-01", 0.5), ("2026-11-24", 0.8), ("2026-11-26", 0.99), ("2026-11-23", 0.7))
    assert weekly_series(list(reversed(history)), TODAY, weeks=2) == [None, 0.8]
    assert weekly_series(history, TODAY, weeks=0) == []


def test_weekly_series_uses_utc_days():
    late_sunday_in_new_york = datetime.fromisoformat("2026-11-22T21:00:00-05:00")  # Monday 02:00 UTC
    assert weekly_series([Point(late_sunday_in_new_york, 1.0)], TODAY, weeks=2) == [None, 1.0]


# ---------------------------------------------------------------- one example per label


def test_no_points_is_not_started():
    result = judge(SPEC, [], TIMELINE, TODAY)
    assert result.label is ProgressLabel.NOT_STARTED
    assert result.reason == "No results recorded yet."
    assert (result.latest, result.best, result.progress, result.change_this_week) == (None, None, None, None)
    assert result.weekly == [None] * 8


def test_not_started_before_the_start_date_says_when_it_starts():
    result = judge(SPEC, [], Timeline(start=date(2026, 12, 1)), TODAY)
    assert result.reason == "Starts on 1 Dec; no results yet."


def test_reaching_the_target_wins_over_everything_else():
    late = Timeline(start=date(2026, 1, 1), expected=date(2026, 6, 1), kill=date(2026, 9, 1))
    result = judge(SPEC, points(("2026-11-20", 0.91)), late, TODAY)
    assert result.label is ProgressLabel.TARGET_REACHED
    assert result.reason == "Latest result 0.91 meets the target of 0.90."
    assert result.progress == 1.0


def test_past_the_kill_date_is_off_track():
    timeline = Timeline(start=date(2026, 1, 1), kill=date(2026, 11, 1))
    result = judge(SPEC, points(("2026-11-10", 0.70), ("2026-11-24", 0.85)), timeline, TODAY)
    assert result.label is ProgressLabel.OFF_TRACK  # even with a jump this week
    assert result.reason == "Past the stop date (1 Nov) without reaching the target (latest 0.85, target 0.90)."


def test_a_big_jump_this_week_is_a_breakthrough():
    result = judge(SPEC, points(("2026-11-10", 0.70), ("2026-11-24", 0.80)), TIMELINE, TODAY)
    assert result.label is ProgressLabel.BREAKTHROUGH
    assert result.reason == "Jumped from 0.70 to 0.80 this week, closing 50% of the remaining gap to the target."
    assert result.change_this_week == pytest.approx(0.10)


def test_a_jump_is_measured_from_the_best_before_this_week_not_a_bad_last_week():
    history = points(("2026-11-03", 0.80), ("2026-11-17", 0.70), ("2026-11-24", 0.82))
    result = judge(SPEC, history, TIMELINE, TODAY)
    assert result.label is ProgressLabel.ON_TRACK
    assert result.change_this_week == pytest.approx(0.12)


def test_weeks_without_meaningful_gains_are_a_stall():
    history = points(("2026-10-05", 0.65), ("2026-11-02", 0.71), ("2026-11-16", 0.712), ("2026-11-23", 0.70))
    result = judge(SPEC, history, TIMELINE, TODAY)
    assert result.label is ProgressLabel.STALLED
    assert result.reason == "No meaningful improvement for 3 weeks (best 0.71 since 2 Nov)."
    assert result.best == 0.712 and result.latest == 0.70


def test_small_gains_add_up_to_a_meaningful_one():
    # each step is 1% of the gap (noise), but three of them are 3%: the record moves on 16 Nov
    history = points(("2026-10-26", 0.700), ("2026-11-02", 0.703), ("2026-11-09", 0.706), ("2026-11-16", 0.709))
    assert judge(SPEC, history, TIMELINE, TODAY).label is not ProgressLabel.STALLED
    stricter = Thresholds(meaningful_share=0.05)
    assert judge(SPEC, history, TIMELINE, TODAY, stricter).label is ProgressLabel.STALLED


def test_behind_linear_pace_is_at_risk():
    history = points(("2026-11-10", 0.60), ("2026-11-17", 0.61), ("2026-11-24", 0.615))
    result = judge(SPEC, history, TIMELINE, TODAY)
    assert result.label is ProgressLabel.AT_RISK
    assert result.reason == "5% of the way to the target; about 55% was expected by now (latest 0.61, target 0.90)."
    assert result.expected_pace == pytest.approx(85 / 152)


def test_past_the_expected_date_is_at_risk():
    timeline = Timeline(start=date(2026, 1, 1), expected=date(2026, 11, 1))
    result = judge(SPEC, points(("2026-11-17", 0.74), ("2026-11-24", 0.76)), timeline, TODAY)
    assert result.label is ProgressLabel.AT_RISK
    assert result.reason == "Past the expected date (1 Nov) and the target is not reached (latest 0.76, target 0.90)."


def test_steady_progress_is_on_track():
    history = points(("2026-11-10", 0.70), ("2026-11-17", 0.74), ("2026-11-24", 0.76))
    result = judge(SPEC, history, TIMELINE, TODAY)
    assert result.label is ProgressLabel.ON_TRACK
    assert result.reason == "53% of the way from baseline to target (latest 0.76, target 0.90)."
    assert result.weekly == [None, None, None, None, None, 0.70, 0.74, 0.76]


def test_without_a_target_the_trend_decides_and_the_reason_says_so():
    history = points(("2026-11-10", 0.70), ("2026-11-17", 0.74), ("2026-11-24", 0.76))
    result = judge(MetricSpec("higher"), history, TIMELINE, TODAY)
    assert result.label is ProgressLabel.ON_TRACK and result.progress is None
    assert result.reason == "Improving (latest 0.76); the target is not set."
    stalled = judge(MetricSpec("higher", baseline=0.6), points(("2026-10-01", 0.7)), TIMELINE, TODAY)
    assert stalled.label is ProgressLabel.STALLED and stalled.reason.endswith("; the target is not set.")
    no_baseline = judge(MetricSpec("higher", target=0.9), history, TIMELINE, TODAY)
    assert no_baseline.reason.endswith("; the baseline is not set.")


def test_lower_is_better_with_a_target_below_the_baseline():
    spec = MetricSpec("lower", baseline=10.0, target=2.0)
    history = points(("2026-11-10", 8.0), ("2026-11-24", 5.0))
    result = judge(spec, history, TIMELINE, TODAY)
    assert result.label is ProgressLabel.BREAKTHROUGH
    assert result.best == 5.0 and result.progress == pytest.approx(0.625)
    assert judge(spec, points(("2026-11-24", 1.5)), TIMELINE, TODAY).label is ProgressLabel.TARGET_REACHED


def test_a_single_point_is_neither_a_jump_nor_a_stall():
    result = judge(SPEC, points(("2026-11-24", 0.85)), TIMELINE, TODAY)
    assert result.label is ProgressLabel.ON_TRACK
    assert result.change_this_week is None and result.latest == result.best == 0.85


def test_future_points_are_ignored():
    result = judge(SPEC, points(("2026-11-24", 0.7), ("2026-12-24", 0.95)), TIMELINE, TODAY)
    assert result.latest == 0.7 and result.label is not ProgressLabel.TARGET_REACHED


def test_expected_pace_is_linear_and_clamped():
    assert expected_pace(Timeline(date(2026, 1, 1), date(2026, 1, 11)), date(2026, 1, 6)) == 0.5
    assert expected_pace(Timeline(date(2026, 1, 1), date(2026, 1, 11)), date(2025, 1, 1)) == 0.0
    assert expected_pace(Timeline(date(2026, 1, 1), date(2026, 1, 11)), date(2027, 1, 1)) == 1.0
    assert expected_pace(Timeline(date(2026, 1, 1)), date(2026, 1, 6)) is None


def test_thresholds_refuse_nonsense():
    with pytest.raises(ValueError):
        Thresholds(stall_weeks=0)
    with pytest.raises(ValueError):
        Thresholds(meaningful_share=1.5)


# ---------------------------------------------------------------- properties

finite = st.floats(allow_nan=False, allow_infinity=False)
maybe = st.none() | finite
days = st.dates(min_value=date(2025, 6, 1), max_value=date(2027, 6, 1))
instants = st.datetimes(min_value=datetime(2025, 6, 1), max_value=datetime(2027, 6, 1), timezones=st.just(UTC))
point_lists = st.lists(st.builds(Point, at=instants, value=finite), max_size=12)
timelines = st.builds(Timeline, start=days, expected=st.none() | days, kill=st.none() | days)
thresholds = st.builds(
    Thresholds,
    stall_weeks=st.integers(1, 6),
    meaningful_share=st.floats(0, 1),
    breakthrough_share=st.floats(0, 1),
    pace_tolerance=st.floats(0, 1),
    weeks_of_history=st.integers(0, 12),
)
specs = st.builds(MetricSpec, direction=st.sampled_from(["higher", "lower"]), baseline=maybe, target=maybe)


def mirrored(spec: MetricSpec, history: list[Point]) -> tuple[MetricSpec, list[Point]]:
    flip = {"higher": "lower", "lower": "higher"}[spec.direction]
    baseline = None if spec.baseline is None else -spec.baseline
    target = None if spec.target is None else -spec.target
    return (
        replace(spec, direction=flip, baseline=baseline, target=target),
        [Point(p.at, -p.value) for p in history],
    )


@given(specs, maybe)
def test_progress_is_always_within_zero_and_one(spec, value):
    share = progress_fraction(spec, value)
    assert share is None or 0.0 <= share <= 1.0


@settings(max_examples=300)
@given(specs, point_lists, timelines, days, thresholds)
def test_judge_never_fails_and_stays_consistent(spec, history, timeline, today, knobs):
    result = judge(spec, history, timeline, today, knobs)
    assert isinstance(result.label, ProgressLabel)
    assert result.reason.endswith(".") and not re.search(r"\b(nan|inf)\b", result.reason)
    assert len(result.weekly) == knobs.weeks_of_history
    assert result.progress is None or 0.0 <= result.progress <= 1.0
    assert (result.latest is None) == (result.label is ProgressLabel.NOT_STARTED)


@settings(max_examples=200)
@given(specs, point_lists, timelines, days)
def test_mirroring_values_and_direction_changes_nothing(spec, history, timeline, today):
    original = judge(spec, history, timeline, today)
    mirror_spec, mirror_history = mirrored(spec, history)
    flipped = judge(mirror_spec, mirror_history, timeline, today)
    assert flipped.label is original.label
    assert flipped.progress == original.progress
    assert flipped.expected_pace == original.expected_pace
    if original.best is not None:
        assert flipped.best == -original.best and flipped.latest == -original.latest


@settings(max_examples=200)
@given(specs, point_lists, timelines, days, st.randoms(use_true_random=False))
def test_input_order_does_not_matter(spec, history, timeline, today, rng):
    shuffled = list(history)
    rng.shuffle(shuffled)
    assert judge(spec, shuffled, timeline, today) == judge(spec, history, timeline, today)
    assert weekly_series(shuffled, today) == weekly_series(history, today)


@given(specs, finite, timelines, days)
def test_a_single_point_never_breaks_through(spec, value, timeline, today):
    history = [Point(datetime.combine(today, datetime.min.time(), UTC) - timedelta(days=1), value)]
    assert judge(spec, history, timeline, today).label is not ProgressLabel.BREAKTHROUGH


def test_spec_and_timeline_read_a_project_row():
    from types import SimpleNamespace

    from bot.models import MetricDirection

    project = SimpleNamespace(
        metric_direction=MetricDirection.LOWER, baseline=5.0, target=2.0, metric_name="MAE", metric_unit="days",
        start_date=date(2026, 9, 1), expected_date=None, kill_date=date(2027, 3, 1),
    )
    assert MetricSpec.of(project) == MetricSpec("lower", 5.0, 2.0, "MAE", "days")
    assert Timeline.of(project) == Timeline(date(2026, 9, 1), None, date(2027, 3, 1))


def test_off_track_without_a_target_does_not_claim_one():
    timeline = Timeline(start=date(2026, 1, 1), kill=date(2026, 11, 1))
    result = judge(MetricSpec("higher"), points(("2026-11-24", 0.85)), timeline, TODAY)
    assert result.reason == "Past the stop date (1 Nov), latest 0.85; the target is not set."
    one_week = judge(SPEC, points(("2026-11-16", 0.7)), TIMELINE, TODAY, Thresholds(stall_weeks=1))
    assert one_week.reason == "No meaningful improvement for 1 week (best 0.70 since 16 Nov)."
