"""The judgement with confidence and in the reader's time zone: low-confidence results wait for confirmation;
"this week" and "today" are the reader's. Property tests over the rules, then the cases that prompted them."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.progress import MetricSpec, Point, ProgressLabel, Timeline, judge
from bot.progress.evidence import split
from tests.bot.progress.test_judgement import days, finite, instants, specs, thresholds, timelines

confidences = st.sampled_from([None, "low", "medium", "high"])
points = st.builds(Point, at=instants, value=finite, confidence=confidences, confirmed=st.booleans(),
                   trusted=st.booleans())
point_lists = st.lists(points, max_size=12)


def good(direction: str, value: float) -> float:
    return value if direction == "higher" else -value


def same_but_unconfirmed(a, b) -> bool:
    return replace(a, unconfirmed=()) == replace(b, unconfirmed=())


@settings(max_examples=300)
@given(specs, point_lists, timelines, days, thresholds)
def test_unconfirmed_results_are_exactly_the_unbacked_low_ones(spec, history, timeline, today, knobs):
    result = judge(spec, history, timeline, today, knobs)
    counted, unconfirmed = split(spec.direction, history)
    for p in unconfirmed:
        assert p.low  # only a low-confidence result, not confirmed, not from a pipeline, waits
        backers = [q for q in counted
                   if q.at >= p.at and good(spec.direction, q.value) >= good(spec.direction, p.value)]
        assert backers == []
    for p in counted:
        if p.low:  # counted although low: a result that is evidence, at or after it, is at or beyond it
            assert any(q is not p and not q.low and q.at >= p.at
                       and good(spec.direction, q.value) >= good(spec.direction, p.value) for q in counted)
    assert set(map(id, result.unconfirmed)) <= set(map(id, unconfirmed))
    assert len(counted) + len(unconfirmed) == len(history)


moderate = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(specs, st.lists(st.builds(Point, at=instants, value=moderate), max_size=12), timelines, days, st.data())
def test_an_unbacked_low_result_changes_nothing_but_the_unconfirmed_list(spec, history, timeline, today, data):
    """A low-confidence claim better than anything counted at or after it is shown, not used."""
    counted = [replace(p, confidence="medium") for p in history]
    best = max((good(spec.direction, p.value) for p in counted), default=0.0)
    claim_good = data.draw(st.floats(min_value=best + 1e-6 if counted else -1e6, max_value=best + 1e6,
                                     allow_nan=False, allow_infinity=False))
    claim = Point(data.draw(instants), good(spec.direction, claim_good), confidence="low")
    before = judge(spec, counted, timeline, today)
    after = judge(spec, [*counted, claim], timeline, today)
    assert same_but_unconfirmed(before, after)
    assert claim in after.unconfirmed or claim.at.astimezone(UTC).date() > today


@settings(max_examples=200)
@given(specs, point_lists, timelines, days)
def test_confirmed_or_trusted_low_results_count_like_medium_ones(spec, history, timeline, today):
    as_medium = [replace(p, confidence="medium") for p in history]
    confirmed = [replace(p, confidence="low", confirmed=True) for p in history]
    from_pipeline = [replace(p, confidence="low", confirmed=False, trusted=True) for p in history]
    high = [replace(p, confidence="high") for p in history]
    unstated = [replace(p, confidence=None) for p in history]
    expected = judge(spec, as_medium, timeline, today)
    for variant in (confirmed, from_pipeline, high, unstated):
        assert judge(spec, variant, timeline, today) == expected
    assert expected.unconfirmed == ()


@settings(max_examples=200)
@given(specs, point_lists, timelines, days)
def test_mirroring_keeps_which_results_are_unconfirmed(spec, history, timeline, today):
    flip = {"higher": "lower", "lower": "higher"}[spec.direction]
    mirror = replace(spec, direction=flip, baseline=None if spec.baseline is None else -spec.baseline,
                     target=None if spec.target is None else -spec.target)
    original = judge(spec, history, timeline, today)
    flipped = judge(mirror, [replace(p, value=-p.value) for p in history], timeline, today)
    assert [p.at for p in flipped.unconfirmed] == [p.at for p in original.unconfirmed]
    assert flipped.label is original.label


@settings(max_examples=300)
@given(specs, point_lists, timelines, days, thresholds)
def test_the_plain_reason_names_no_value_metric_or_percentage(spec, history, timeline, today, knobs):
    named = replace(spec, name="recall")
    result = judge(named, history, timeline, today, knobs)
    assert result.plain.endswith(".") and result.plain[:1].isupper()
    assert "%" not in result.plain and "recall" not in result.plain.lower()
    assert not re.search(r"\d\.\d|\d,\d", result.plain)
    without_dates = re.sub(r"\b\d{1,2} [A-Z][a-z]{2}( \d{4})?\b", "", result.plain)
    assert not re.search(r"\d", without_dates), result.plain


# ---------------------------------------------------------------- the demo's case, by hand

SPEC = MetricSpec("higher", 0.62, 0.9, "recall")
TIMELINE = Timeline(start=date(2026, 11, 2), expected=date(2027, 3, 31), kill=date(2027, 6, 30))


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


def test_lucas_low_confidence_074_waits_then_counts():
    history = [Point(at(17), 0.71, "medium"), Point(at(24), 0.74, "low", ref=7, author="ULUCAS")]
    waiting = judge(SPEC, history, TIMELINE, date(2026, 11, 25))
    assert waiting.latest == 0.71 and waiting.progress == (0.71 - 0.62) / (0.9 - 0.62)
    assert [p.ref for p in waiting.unconfirmed] == [7]
    clicked = judge(SPEC, [history[0], replace(history[1], confirmed=True)], TIMELINE, date(2026, 11, 25))
    assert clicked.latest == 0.74 and clicked.unconfirmed == ()
    lower_later = judge(SPEC, [*history, Point(at(25), 0.73, "high")], TIMELINE, date(2026, 11, 25))
    assert lower_later.latest == 0.73 and len(lower_later.unconfirmed) == 1  # contradicted, not confirmed
    pipeline = judge(SPEC, [*history, Point(at(25), 0.75, "low", trusted=True)], TIMELINE, date(2026, 11, 25))
    assert pipeline.latest == 0.75 and pipeline.unconfirmed == ()


def test_words_for_executives():
    half = judge(SPEC, [Point(at(2), 0.62), Point(at(16), 0.70), Point(at(18), 0.76)], TIMELINE, date(2026, 11, 25))
    assert half.plain == "About half-way from where we started to what the business needs."
    stalled = judge(SPEC, [Point(at(2) - timedelta(weeks=2), 0.66)], TIMELINE, date(2026, 11, 25))
    assert stalled.label is ProgressLabel.STALLED and stalled.plain == "No real progress for five weeks."
    jump = judge(SPEC, [Point(at(16), 0.66), Point(at(24), 0.78)], TIMELINE, date(2026, 11, 25))
    assert jump.label is ProgressLabel.BREAKTHROUGH
    assert jump.plain == "A big step this week: it closed about half of what was left to the target."


# ---------------------------------------------------------------- the reader's time zone, around midnight

HONOLULU, KIRITIMATI, NEW_YORK = ZoneInfo("Pacific/Honolulu"), ZoneInfo("Pacific/Kiritimati"), ZoneInfo(
    "America/New_York")
TRIAGE = MetricSpec("higher", 0.5, 0.9)
TRIAGE_TIME = Timeline(start=date(2026, 10, 1), expected=date(2027, 2, 1))


def triage(now: datetime, tz: ZoneInfo):
    """0.6 two weeks back, then 0.85 posted a minute before `now`: a breakthrough in the reader's week."""
    history = [Point(now - timedelta(weeks=2), 0.6), Point(now - timedelta(minutes=1), 0.85)]
    return judge(TRIAGE, history, TRIAGE_TIME, now.astimezone(tz).date(), tz=tz)


def test_new_york_at_0045_utc_sees_the_result_posted_a_minute_ago():
    now = datetime(2026, 11, 24, 0, 45, tzinfo=UTC)  # Mon 23 Nov, 19:45 in New York
    result = triage(now, NEW_YORK)
    assert result.label is ProgressLabel.BREAKTHROUGH and result.latest == 0.85
    utc_reading = judge(TRIAGE, [Point(now - timedelta(weeks=2), 0.6), Point(now - timedelta(minutes=1), 0.85)],
                        TRIAGE_TIME, date(2026, 11, 23))  # the bug: UTC dates against New York's today
    assert utc_reading.latest == 0.6


def test_utc_minus_ten_just_before_midnight():
    now = datetime(2026, 11, 24, 9, 45, tzinfo=UTC)  # Mon 23 Nov, 23:45 in Honolulu; already Tuesday in UTC
    result = triage(now, HONOLULU)
    assert result.label is ProgressLabel.BREAKTHROUGH and result.change_this_week == 0.85 - 0.6
    assert result.weekly[-1] == 0.85


def test_utc_plus_fourteen_just_after_midnight_on_monday():
    now = datetime(2026, 11, 22, 10, 15, tzinfo=UTC)  # Mon 23 Nov, 00:15 in Kiritimati; still Sunday in UTC
    result = triage(now, KIRITIMATI)
    assert result.label is ProgressLabel.BREAKTHROUGH  # posted at 00:14 on Monday there: this week's news
    history = [Point(now - timedelta(weeks=2), 0.6), Point(now - timedelta(minutes=1), 0.85)]
    utc_dates = judge(TRIAGE, history, TRIAGE_TIME, date(2026, 11, 23))  # the bug: dated Sunday, in UTC
    assert utc_dates.label is not ProgressLabel.BREAKTHROUGH and utc_dates.change_this_week is None
