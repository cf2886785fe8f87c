"""One number, one way: every surface says a project's result with the same figure at the same scale, week
after week, and a result never reads on the wrong side of its target (bot/progress/figures.py)."""

from __future__ import annotations

import re
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.digests.charts import figures as chart_figures
from bot.progress import BUILT_IN_LENSES, MetricSpec, describe
from bot.progress.figures import half_up, scale_of, significant
from bot.render import Renderer

RENDERER = Renderer()
RATES = ("recall", "precision", "accuracy", "false_positive_rate")
COUNT = re.compile(r"(\d+) (?:of every|times? out of|false alarms? in every) (\d+)")
ONE_IN = re.compile(r"1 false alarm in every ([\d,]+)")
TARGET = re.compile(r"target:? (?:1 in )?([\d,]+)")


def test_half_up_is_not_bankers_rounding():
    assert half_up(8.5) == 9 and half_up(0.85 * 10) == 9 and half_up(2.5) == 3 and half_up(7.49) == 7
    assert significant(125) == 130 and significant(33.3) == 33 and significant(7.5) == 8


def test_the_fraud_project_keeps_one_scale():
    spec = MetricSpec("higher", 0.6, 0.85, "recall")
    heads = [describe(RENDERER, "recall", "FRAUD", spec, v).headline for v in (0.7, 0.78, 0.849, 0.85, 0.9)]
    assert heads[0] == "FRAUD catches 70 of every 100 cases (target 85)."
    assert heads[1] == "FRAUD catches 78 of every 100 cases (target 85)."
    assert heads[2] == "FRAUD catches 84 of every 100 cases (target 85)."  # short of it: never "85 (target 85)"
    assert heads[3] == "FRAUD catches 85 of every 100 cases (target 85)."
    assert heads[4] == "FRAUD catches 90 of every 100 cases (target 85)."


def project(lens: str, direction: str, baseline: float, target: float) -> SimpleNamespace:
    return SimpleNamespace(metric_name=lens.replace("_", " "), lens=lens, metric_direction=direction,
                           baseline=baseline, target=target, metric_unit="", lens_subject=None)


def _number(text: str) -> int:
    return int(text.replace(",", ""))


rate = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(RATES), rate, rate, st.lists(rate, min_size=1, max_size=8), st.booleans())
def test_every_surface_says_the_same_figure_at_one_scale_on_the_right_side(lens, baseline, target, weeks,
                                                                           percent):
    direction = "lower" if lens == "false_positive_rate" else "higher"
    k = 100 if percent else 1  # a project that logs percentages reads the same
    spec = MetricSpec(direction, baseline * k, target * k, lens, "%" if percent else "")
    p = project(lens, direction, baseline * k, target * k)
    p.metric_unit = spec.unit
    scales = set()
    for week, value in enumerate(weeks):
        headline = describe(RENDERER, lens, "P", spec, value * k).headline
        chart = chart_figures(p, [v * k for v in weeks[: week + 1]])
        scale = scale_of(spec, lens, value * k)
        scales.add((scale.per, scale.says_one_in))
        worse = value > target if direction == "lower" else value < target
        if scale.says_one_in:
            found = ONE_IN.search(headline)
            if found is None or "fewer than 1" in headline:  # none at all, or fewer than 1 in a million
                continue
            n = _number(found.group(1))
            target_match = TARGET.search(headline)
            if target_match is None or target == 0:
                continue
            target_n = _number(target_match.group(1))
            assert not (worse and n >= target_n), headline  # more alarms never reads as at or under target
            assert not (not worse and n < target_n), headline
            continue
        found = COUNT.search(headline)
        if found is None:  # "no false alarms"
            assert value * scale.per < 1 or scale.count(value * k) == 0
            continue
        count, per = int(found.group(1)), int(found.group(2))
        assert per == scale.per and chart["per"] == str(per)
        assert chart["latest"] == str(count) and chart["target"] == str(scale.target_count())
        target_count = scale.target_count()
        assert f"target {target_count}" in headline or f"target: {target_count} in" in headline, headline
        if direction == "higher":
            assert not (worse and count >= target_count), headline
            assert not (not worse and count < target_count), headline
        else:
            assert not (worse and count <= target_count), headline
            assert not (not worse and count > target_count), headline
    assert len(scales) == 1  # one scale while the goalposts stand


magnitude = st.floats(min_value=0.0, max_value=10_000, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([lens for lens in BUILT_IN_LENSES if lens not in RATES]), magnitude, magnitude,
       st.lists(magnitude, min_size=1, max_size=8))
def test_other_metrics_never_print_a_result_short_of_the_target_as_the_target(lens, baseline, target, weeks):
    spec = MetricSpec("lower", baseline, target, {"error": "MAE", "latency": "latency"}.get(lens, "F1"))
    p = project(lens, "lower", baseline, target)
    p.metric_name = spec.name
    for week, value in enumerate(weeks):
        chart = chart_figures(p, weeks[: week + 1])
        if value != target:
            assert chart["latest"] != chart["target"], (value, target, chart)
