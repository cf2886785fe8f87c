from datetime import UTC, date, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.render import formatting as f


def test_numbers_read_like_people_write_them():
    assert f.number(0.8123) == "0.81"
    assert f.number(12) == "12"
    assert f.number(1234.5) == "1,234.5"
    assert f.number(25_000) == "25,000"
    assert f.number(1_200_000) == "1.2M"
    assert f.number(None) == "—"
    assert f.number(float("nan")) == "—"


def test_money_and_percent():
    assert f.money(40_123) == "$40k"
    assert f.money(1_250_000) == "$1.2M"
    assert f.money(-950) == "-$950"
    assert f.percent(0.823) == "82%"


def test_relative_dates():
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert f.ago(date(2026, 11, 24), now) == "today"
    assert f.ago(date(2026, 11, 23), now) == "yesterday"
    assert f.ago(date(2026, 11, 21), now) == "3 days ago"
    assert f.ago(date(2026, 11, 3), now) == "3 weeks ago"
    assert f.ago(date(2027, 3, 1), now) == "in 3 months"
    assert f.ago(None, now) == "never"


def test_sparkline_and_bar():
    assert f.sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert f.sparkline([2, 2, 2]) == "▄▄▄"
    assert f.sparkline([1, None, 3]) == "▁ █"
    assert f.sparkline([]) == ""
    assert f.progress_bar(0.5) == "■■■■■□□□□□"
    assert f.progress_bar(1.7) == "■" * 10
    assert f.progress_bar(-1) == "□" * 10


@given(st.text(), st.integers(min_value=2, max_value=400))
def test_truncation_never_exceeds_the_limit(text, limit):
    out = f.truncate_words(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text


@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=32)), max_size=60))
def test_sparkline_has_one_character_per_value(values):
    line = f.sparkline(values)
    assert line == "" or len(line) == len(values)
