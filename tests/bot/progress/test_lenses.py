import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.progress import BUILT_IN_LENSES, LensParams, MetricSpec, UnknownLensError, describe, lens_facts, lens_for
from bot.render import Renderer, TemplateOutputError

RENDERER = Renderer()
FRAUD = LensParams(subject="fraud cases", monthly_volume=1000, value_per_catch=200)

GOLDEN = [
    (
        "recall", MetricSpec("higher", 0.6, 0.9, "recall"), 0.81, LensParams(),
        "Fraud detection catches 8 of every 10 cases (target 9).",
        "Recall 81% (baseline 60%, target 90%); 70% of the way from baseline to target.",
    ),
    (
        "recall", MetricSpec("higher", 0.6, 0.9, "recall"), 0.81, FRAUD,
        "Fraud detection catches 8 of every 10 fraud cases (target 9): "
        "≈ $42k a month in avoided losses over the baseline, at today's volume.",
        "Recall 81% (baseline 60%, target 90%); 70% of the way from baseline to target. "
        "Estimate: 1,000 fraud cases a month × $200 per catch.",
    ),
    (
        "recall", MetricSpec("higher", 60, 90, "recall"), 52, LensParams(subject="fraud cases", monthly_volume=1000),
        "Fraud detection catches 5 of every 10 fraud cases (target 9): "
        "≈ 80 fewer fraud cases caught a month than the baseline, at today's volume.",
        "Recall 52% (baseline 60%, target 90%); 0% of the way from baseline to target. "
        "Estimate: 1,000 fraud cases a month.",
    ),
    (
        "recall", MetricSpec("higher", None, 0.9, "recall"), 0.81, FRAUD,
        "Fraud detection catches 8 of every 10 fraud cases (target 9): "
        "≈ $162k a month in avoided losses at today's volume.",
        "Recall 81% (target 90%, no baseline). Estimate: 1,000 fraud cases a month × $200 per catch.",
    ),
    (
        "recall", MetricSpec("higher", 0.6, 0.9, "recall"), None, FRAUD,
        "Fraud detection has no results yet; the goal is to catch 9 of every 10 fraud cases.",
        "Recall not measured yet (baseline 60%, target 90%).",
    ),
    (
        "precision", MetricSpec("higher", 0.7, 0.9), 0.81, LensParams(),
        "Fraud detection: 8 of every 10 alerts are real (target 9).",
        "Precision 81% (baseline 70%, target 90%); 55% of the way from baseline to target.",
    ),
    (
        "precision", MetricSpec("higher", 70, 90), 81,
        LensParams(subject="fraud cases", monthly_volume=5000, cost_per_false_alarm=30),
        "Fraud detection: 8 of every 10 alerts are real fraud cases (target 9); "
        "≈ $17k a month less spent on false alarms than the baseline, at today's volume.",
        "Precision 81% (baseline 70%, target 90%); 55% of the way from baseline to target. "
        "Estimate: 5,000 alerts a month × $30 per false alarm.",
    ),
    (
        "precision", MetricSpec("higher"), 0.81, LensParams(monthly_volume=5000, cost_per_false_alarm=30),
        "Fraud detection: 8 of every 10 alerts are real; false alarms cost ≈ $28k a month at today's volume.",
        "Precision 81%. Estimate: 5,000 alerts a month × $30 per false alarm.",
    ),
    (
        "accuracy", MetricSpec("higher", 0.8, None), 0.9, LensParams(),
        "Fraud detection is right 9 times out of 10.",
        "Accuracy 90% (baseline 80%, no target).",
    ),
    (
        "accuracy", MetricSpec("higher", 0.85, 0.95), 0.9,
        LensParams(subject="deliveries", monthly_volume=20000, value_per_catch=5),
        "Fraud detection gets 90 of every 100 deliveries right (target 95); "
        "≈ 1,000 fewer mistakes a month than the baseline (worth ≈ $5k), at today's volume.",
        "Accuracy 90% (baseline 85%, target 95%); 50% of the way from baseline to target. "
        "Estimate: 20,000 deliveries a month × $5 per correct answer.",
    ),
    (
        "false_positive_rate", MetricSpec("lower", 0.1, 0.02), 0.05, LensParams(),
        "Fraud detection raises 1 false alarm in every 20 legitimate cases (target: 1 in 50).",
        "False positive rate 5% (baseline 10%, target 2%); 62% of the way from baseline to target.",
    ),
    (
        "false_positive_rate", MetricSpec("lower", 10, 2), 5,
        LensParams(monthly_volume=100_000, cost_per_false_alarm=4),
        "Fraud detection raises 1 false alarm in every 20 legitimate cases (target: 1 in 50); "
        "≈ $20k a month less spent on false alarms than the baseline, at today's volume.",
        "False positive rate 5% (baseline 10%, target 2%); 62% of the way from baseline to target. "
        "Estimate: 100,000 legitimate cases a month × $4 per false alarm.",
    ),
    (
        "false_positive_rate", MetricSpec("lower", 0.4, 0.2), 0.3, LensParams(),
        "Fraud detection raises 3 false alarms in every 10 legitimate cases (target: 2 in 10).",
        "False positive rate 30% (baseline 40%, target 20%); 50% of the way from baseline to target.",
    ),
    (
        "false_positive_rate", MetricSpec("lower", 0.4, 0.0), 1e-9, LensParams(),
        "Fraud detection raises fewer than 1 false alarm in every 1M legitimate cases (target: none at all).",
        "False positive rate &lt;0.01% (baseline 40%, target 0%); 99% of the way from baseline to target.",
    ),
    (
        "error", MetricSpec("lower", 5, 2, "MAE"), 3.2, LensParams(time_unit="days"),
        "Fraud detection is typically off by ±3.2 days (target ±2 days).",
        "MAE 3.20 days (baseline 5, target 2), lower is better; 60% of the way from baseline to target.",
    ),
    (
        "error", MetricSpec("lower", 5, 2, "MAE"), None, LensParams(time_unit="days"),
        "Fraud detection has no results yet; the goal is to be off by no more than ±2 days.",
        "MAE not measured yet (baseline 5, target 2), lower is better.",
    ),
    (
        "latency", MetricSpec("lower", 200, 100, "p95 latency", "ms"), 120, LensParams(),
        "Fraud detection answers in 120 ms; target 100 ms.",
        "P95 latency 120 ms (baseline 200 ms, target 100 ms); 80% of the way from baseline to target.",
    ),
    (
        "latency", MetricSpec("lower", 2000, 100, "latency"), 1500, LensParams(),
        "Fraud detection answers in 1.5 s; target 100 ms.",
        "Latency 1.5 s (baseline 2 s, target 100 ms); 26% of the way from baseline to target.",
    ),
    (
        "generic", MetricSpec("higher", 0.7, 0.9, "recall"), 0.8134, LensParams(),
        "Fraud detection: recall is 0.81; target 0.90.",
        "Recall 0.81 (baseline 0.70, target 0.90), higher is better; 56% of the way from baseline to target.",
    ),
    (
        "generic", MetricSpec("higher", None, None, "F1"), None, LensParams(),
        "Fraud detection has no F1 results yet.",
        "F1 not measured yet, higher is better.",
    ),
]


@pytest.mark.parametrize("lens, spec, latest, params, headline, technical", GOLDEN)
def test_golden_sentences(lens, spec, latest, params, headline, technical):
    text = describe(RENDERER, lens, "Fraud detection", spec, latest, params)
    assert (text.headline, text.technical) == (headline, technical)


def test_every_built_in_lens_has_a_golden_sentence():
    assert {case[0] for case in GOLDEN} == set(BUILT_IN_LENSES)


@pytest.mark.parametrize("lens", BUILT_IN_LENSES)
def test_hostile_project_names_come_out_escaped(lens):
    name = '<!channel> <@U999|boss> & "R&D"\\ \n'
    text = describe(RENDERER, lens, name, MetricSpec("higher", 0.6, 0.9, "recall"), 0.81)
    assert text.headline.startswith('&lt;!channel&gt; &lt;@U999|boss&gt; &amp; "R&amp;D"\\ \n')
    assert "<" not in text.headline + text.technical


def test_lens_text_embeds_in_json_templates_with_plain():
    text = describe(RENDERER, "recall", 'A "quoted" <!here>\nname', MetricSpec("higher", 0.6, 0.9), 0.81)
    out = RENDERER.env.from_string('{"t": "{{ lens.headline|plain }}"}').render(lens=text)
    assert json.loads(out)["t"] == text.headline


def test_custom_lenses_are_templates_found_by_name(tmp_path):
    (tmp_path / "lenses").mkdir()
    (tmp_path / "lenses" / "chargebacks.json.j2").write_text(
        '{"headline": "{{ project }} stops {{ count }} in {{ per }} chargebacks.", "technical": "{{ metric }}"}'
    )
    text = describe(Renderer(tmp_path), "chargebacks", "<b>", MetricSpec("higher", 0.6, 0.9, "recall"), 0.81)
    assert text.headline == "&lt;b&gt; stops 8 in 10 chargebacks."  # rate facts: the metric is a recall
    assert text.technical == "recall"


def test_a_missing_lens_falls_back_to_generic_or_says_so():
    spec = MetricSpec("higher", 0.6, 0.9, "F1")
    assert describe(RENDERER, "nowhere", "P", spec, 0.8).headline == "P: F1 is 0.80; target 0.90."
    with pytest.raises(UnknownLensError):
        describe(RENDERER, "nowhere", "P", spec, 0.8, fallback=None)
    with pytest.raises(ValueError):
        describe(RENDERER, "../errors/problem", "P", spec, 0.8)


def test_a_lens_template_must_render_headline_and_technical(tmp_path):
    (tmp_path / "lenses").mkdir()
    (tmp_path / "lenses" / "broken.json.j2").write_text('{"headline": "x"}')
    with pytest.raises(TemplateOutputError, match="broken"):
        describe(Renderer(tmp_path), "broken", "P", MetricSpec("higher"), 0.5)


def test_rates_above_one_are_read_as_percentages():
    as_percent = lens_facts("recall", MetricSpec("higher", 60, 90), 81)
    as_fraction = lens_facts("recall", MetricSpec("higher", 0.6, 0.9), 0.81)
    assert as_percent["rate"] == pytest.approx(as_fraction["rate"])
    for key in ("count", "per", "target_count", "rate_text", "target_rate_text"):
        assert as_percent[key] == as_fraction[key]
    small = lens_facts("false_positive_rate", MetricSpec("lower", 2, 0.5), 0.8)  # a percent scale: 0.8%
    assert small["rate"] == pytest.approx(0.008) and small["one_in"] == 130  # 125, half-up


def test_the_scale_comes_from_the_goalposts_and_results_stay_on_their_side():
    def ratio(latest, target, baseline=None, direction="higher"):
        facts = lens_facts("recall", MetricSpec(direction, baseline, target), latest)
        return facts["count"], facts["target_count"], facts["per"]

    assert ratio(0.81, 0.9) == (8, 9, 10)
    assert ratio(0.86, 0.9) == (8, 9, 10)  # short of the target: never "9 (target 9)"
    assert ratio(0.9, 0.9) == (9, 9, 10)
    assert ratio(0.78, 0.85, 0.6) == (78, 85, 100)  # 0.85 is not a whole tenth: "of 100", every week
    assert ratio(0.95, 0.85, 0.6) == (95, 85, 100)
    assert ratio(0.849, 0.85, 0.6) == (84, 85, 100)
    assert ratio(0.97, None) == (97, None, 100)  # no goalposts: tenths would say "10 of every 10"
    assert ratio(0.002, None) == (2, None, 1000)
    assert ratio(1.0, 1.0) == (10, 10, 10)


def test_money_is_the_change_over_the_baseline():
    facts = lens_facts("recall", MetricSpec("higher", 0.6, 0.9), 0.81, FRAUD)
    assert facts["basis"] == "baseline"
    assert facts["cases_per_month"] == pytest.approx(210)
    assert facts["monthly_value"] == pytest.approx(42_000)


def test_params_refuse_negative_or_infinite_amounts():
    with pytest.raises(ValueError):
        LensParams(monthly_volume=-1)
    with pytest.raises(ValueError):
        LensParams(value_per_catch=float("inf"))


@pytest.mark.parametrize(
    "name, lens",
    [
        ("recall", "recall"),
        ("Recall@10", "recall"),
        ("sensitivity", "recall"),
        ("TPR", "recall"),
        ("true positive rate", "recall"),
        ("precision", "precision"),
        ("PPV", "precision"),
        ("precision at 90% recall", "precision"),
        ("recall@precision90", "recall"),
        ("accuracy", "accuracy"),
        ("top-1 acc", "accuracy"),
        ("FPR", "false_positive_rate"),
        ("False Positive Rate", "false_positive_rate"),
        ("false alarm rate", "false_positive_rate"),
        ("MAE", "error"),
        ("RMSE (days)", "error"),
        ("mape", "error"),
        ("ETA error", "error"),
        ("latency", "latency"),
        ("p95", "latency"),
        ("P99 (ms)", "latency"),
        ("inference_time_ms", "latency"),
        ("F1", "generic"),
        ("AUC", "generic"),
        ("macro", "generic"),  # no "acc" hiding inside words
        ("terror index", "generic"),
        ("", "generic"),
    ],
)
def test_lens_for_picks_a_lens_from_the_metric_name(name, lens):
    assert lens_for(name) == lens


def test_an_explicit_lens_wins():
    assert lens_for("recall", "Precision") == "precision"
    assert lens_for("recall", "chargebacks") == "chargebacks"
    assert lens_for("recall", "  ") == "recall"
    with pytest.raises(ValueError):
        lens_for("recall", "../../etc")


# ---------------------------------------------------------------- properties

finite = st.floats(allow_nan=False, allow_infinity=False)
maybe = st.none() | finite
amounts = st.none() | st.floats(min_value=0, max_value=1e12)
params = st.builds(
    LensParams,
    subject=st.none() | st.sampled_from(["fraud cases", "alerts", "deliveries"]),
    monthly_volume=amounts,
    value_per_catch=amounts,
    cost_per_false_alarm=amounts,
    currency=st.sampled_from(["$", "€", "£"]),
    time_unit=st.none() | st.sampled_from(["days", "%", "min"]),
)
specs = st.builds(
    MetricSpec,
    direction=st.sampled_from(["higher", "lower"]),
    baseline=maybe,
    target=maybe,
    name=st.sampled_from(["", "recall", "MAE", "p95 latency"]),
    unit=st.sampled_from(["", "ms", "days"]),
)
NOT_A_NUMBER = re.compile(r"\b(nan|inf|infinity)\b", re.IGNORECASE)
RAW_PROBABILITY = re.compile(r"\d\.\d\d")


@settings(max_examples=400)
@given(st.sampled_from(BUILT_IN_LENSES), specs, maybe, params)
def test_every_lens_renders_for_any_finite_numbers(lens, spec, latest, lens_params):
    text = describe(RENDERER, lens, "Fraud detection", spec, latest, lens_params)
    assert text.headline.startswith("Fraud detection") and text.headline.endswith(".")
    assert text.technical
    assert not NOT_A_NUMBER.search(text.headline + " " + text.technical)
    if lens in ("precision", "recall", "accuracy", "false_positive_rate"):
        assert not RAW_PROBABILITY.search(text.headline), text.headline


@settings(max_examples=150)
@given(st.sampled_from(BUILT_IN_LENSES), st.text(max_size=40), maybe)
def test_any_project_name_renders_escaped(lens, name, latest):
    text = describe(RENDERER, lens, name, MetricSpec("higher", 0.6, 0.9), latest)
    assert text.headline
    assert "<" not in text.headline and ">" not in text.headline


@given(st.text(max_size=60))
def test_lens_for_always_names_a_built_in_lens(name):
    assert lens_for(name) in BUILT_IN_LENSES


def test_params_read_a_project_row_leniently():
    from types import SimpleNamespace

    project = SimpleNamespace(
        lens="recall", lens_subject="fraud cases", monthly_volume=1000.0, value_per_catch=-5.0,
        cost_per_false_alarm=None, currency="€", metric_unit="",
    )
    assert LensParams.of(project) == LensParams(subject="fraud cases", monthly_volume=1000.0, currency="€")
