"""The numbers behind a business lens, computed in Python so that templates only choose words.

Rate metrics (precision, recall, accuracy, false positive rate) are read as fractions; if any of the
baseline or target is above 1, the project logs percentages (81 → 0.81), so a metric logged in percent
keeps small values such as a 0.5% false positive rate right. Rates are then clamped to [0, 1] and said as
"n of every 10" (or 100, or 1000) on the project's one scale (bot/progress/figures.py).
Money is only estimated when the parameters are given, "at today's
volume", and from the improvement over the baseline when there is one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bot.progress.figures import scale_of
from bot.progress.judgement import MetricSpec, progress_fraction
from bot.progress.text import finite, percent_text, plain_number, round_significant, value_text, whole_percent

RATE_LENSES = ("precision", "recall", "accuracy", "false_positive_rate")
BUILT_IN_LENSES = (*RATE_LENSES, "error", "latency", "generic")
DEFAULT_METRIC = {
    "precision": "precision",
    "recall": "recall",
    "accuracy": "accuracy",
    "false_positive_rate": "false positive rate",
    "error": "error",
    "latency": "latency",
}
_ONE_IN_LIMIT = 1_000_000  # rarer than this reads "fewer than 1 in every 1M"


@dataclass(frozen=True)
class LensParams:
    """Optional business context for a lens. `monthly_volume` counts what the lens counts: positive cases
    (recall), alerts raised (precision), legitimate cases (false_positive_rate), predictions (accuracy)."""

    subject: str | None = None  # what is caught or predicted: "fraud cases", "deliveries"
    monthly_volume: float | None = None
    value_per_catch: float | None = None  # money saved by one more correct catch (recall, accuracy)
    cost_per_false_alarm: float | None = None  # money one false alarm costs (precision, false_positive_rate)
    currency: str = "$"
    time_unit: str | None = None  # unit of an error metric, e.g. "days"

    @classmethod
    def of(cls, project: Any) -> LensParams:
        """From a Project row (lens_subject, monthly_volume, value_per_catch, cost_per_false_alarm, currency,
        metric_unit); amounts that could not be used (negative, not finite) are dropped, not raised."""

        def amount(name: str) -> float | None:
            value = finite(getattr(project, name, None))
            return value if value is not None and value >= 0 else None

        return cls(
            subject=getattr(project, "lens_subject", None) or None,
            monthly_volume=amount("monthly_volume"),
            value_per_catch=amount("value_per_catch"),
            cost_per_false_alarm=amount("cost_per_false_alarm"),
            currency=getattr(project, "currency", None) or "$",
            time_unit=getattr(project, "metric_unit", None) or None,
        )

    def __post_init__(self) -> None:
        for name in ("monthly_volume", "value_per_catch", "cost_per_false_alarm"):
            amount = getattr(self, name)
            if amount is not None and (finite(amount) is None or amount < 0):
                raise ValueError(f"{name} must be a finite amount of at least 0, not {amount!r}")


def _label(name: str) -> str:
    return name[:1].upper() + name[1:]


def _common(lens: str, spec: MetricSpec, latest: float | None, params: LensParams, base: str) -> dict[str, Any]:
    metric = spec.name.strip() or DEFAULT_METRIC.get(base, "the metric")
    value, baseline, target = finite(latest), finite(spec.baseline), finite(spec.target)
    progress = progress_fraction(spec, value)
    return {
        "lens": lens,
        "base_lens": base,
        "metric": metric,
        "metric_label": _label(metric),
        "direction": spec.direction,
        "latest": value,
        "baseline": baseline,
        "target": target,
        "latest_text": value_text(value),
        "baseline_text": value_text(baseline),
        "target_text": value_text(target),
        "progress": progress,
        "progress_percent": None if progress is None else whole_percent(progress),
        "subject": (params.subject or "").strip() or None,
        "currency": params.currency,
        "unit": (params.time_unit or spec.unit or "").strip(),
        "monthly_volume": finite(params.monthly_volume),
        "volume_text": plain_number(params.monthly_volume),
        "value_per_catch": finite(params.value_per_catch),
        "cost_per_false_alarm": finite(params.cost_per_false_alarm),
    }


# ---------------------------------------------------------------- rates


def _one_in(rate: float | None) -> tuple[int | None, bool]:
    """(N, fewer_than) for "1 in every N" wording of a rate up to 10%; (None, False) otherwise."""
    if rate is None or not 0 < rate <= 0.1:
        return None, False
    n = 1 / rate
    if not n <= _ONE_IN_LIMIT:
        return _ONE_IN_LIMIT, True
    return round_significant(n), False


def _money(value: float | None) -> float | None:
    v = finite(value)
    return None if v is None else v + 0.0  # turns -0.0 into 0.0


def _rate_money(lens: str, rate: float, baseline: float | None, params: LensParams) -> dict[str, Any]:
    """Cases a month at today's volume, and their worth when a price is given (see LensParams).

    With a baseline: the change it makes (more catches, fewer false alarms, fewer mistakes; negative when
    worse). Without: the total (catches, false alarms, mistakes). Accuracy has no price for a total.
    """
    if params.monthly_volume is None:
        return {}
    volume = params.monthly_volume
    alarms = lens in ("precision", "false_positive_rate")
    price = params.cost_per_false_alarm if alarms else params.value_per_catch
    if baseline is not None:
        gain = baseline - rate if lens == "false_positive_rate" else rate - baseline
        cases, basis = volume * gain, "baseline"
    else:
        share = {"recall": rate, "precision": 1 - rate, "false_positive_rate": rate, "accuracy": 1 - rate}[lens]
        cases, basis = volume * share, "total"
        price = None if lens == "accuracy" else price
    value = None if price is None else cases * price
    whole = finite(cases)
    return {
        "basis": basis,
        "cases_per_month": _money(cases),
        "cases_text": plain_number(None if whole is None else abs(round(whole))),
        "monthly_value": _money(value),
    }


def rate_facts(lens: str, spec: MetricSpec, latest: float | None, params: LensParams) -> dict[str, Any]:
    scale = scale_of(spec, lens, latest)
    rate, baseline, target = scale.rate(latest), scale.rate(spec.baseline), scale.rate(spec.target)
    as_percent = scale.percent or (finite(latest) or 0) > 1
    per = scale.per or 10
    one_in, fewer_than = scale.one_in(latest) if scale.target is not None else _one_in(rate)
    target_one_in, target_fewer_than = scale.target_one_in() if scale.target is not None else _one_in(target)
    facts: dict[str, Any] = {
        "as_percent": as_percent,
        "rate": rate,
        "baseline_rate": baseline,
        "target_rate": target,
        "rate_text": percent_text(rate),
        "baseline_rate_text": percent_text(baseline),
        "target_rate_text": percent_text(target),
        "per": per,
        "count": scale.count(latest),
        "baseline_count": scale.baseline_count(),
        "target_count": scale.target_count(),
        "one_in": one_in,
        "fewer_than": fewer_than,
        "target_one_in": target_one_in,
        "target_fewer_than": target_fewer_than,
        "basis": None,
        "cases_per_month": None,
        "cases_text": "—",
        "monthly_value": None,
    }
    if rate is not None:
        facts.update(_rate_money(lens, rate, baseline, params))
    return facts


# ---------------------------------------------------------------- magnitudes


def _with_unit(amount: float | None, unit: str) -> str:
    text = plain_number(None if amount is None else abs(amount))
    if amount is None or not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def error_facts(lens: str, spec: MetricSpec, latest: float | None, params: LensParams) -> dict[str, Any]:
    """Errors are sizes: "±3 days" whatever the sign the metric was logged with."""
    unit = (params.time_unit or spec.unit or "").strip()
    return {
        "error_text": _with_unit(finite(latest), unit),
        "baseline_error_text": _with_unit(finite(spec.baseline), unit),
        "target_error_text": _with_unit(finite(spec.target), unit),
    }


def _duration(amount: float | None, unit: str) -> str:
    """120 ms; 1,500 ms reads 1.5 s."""
    if amount is not None and unit == "ms" and abs(amount) >= 1000 and math.isfinite(amount / 1000):
        return _with_unit(amount / 1000, "s")
    return _with_unit(amount, unit)


def latency_facts(lens: str, spec: MetricSpec, latest: float | None, params: LensParams) -> dict[str, Any]:
    unit = (spec.unit or "").strip() or "ms"
    return {
        "latency_text": _duration(finite(latest), unit),
        "baseline_latency_text": _duration(finite(spec.baseline), unit),
        "target_latency_text": _duration(finite(spec.target), unit),
    }


_BUILDERS = {
    "precision": rate_facts,
    "recall": rate_facts,
    "accuracy": rate_facts,
    "false_positive_rate": rate_facts,
    "error": error_facts,
    "latency": latency_facts,
}


def lens_facts(
    lens: str,
    spec: MetricSpec,
    latest: float | None,
    params: LensParams = LensParams(),  # noqa: B008 - frozen, so a shared default is safe
    base: str | None = None,
) -> dict[str, Any]:
    """Plain numbers and phrases a lens template needs (keys always present; None when unknown).

    A custom lens gets the common facts plus those of `base` (a built-in lens; by default "generic").
    """
    base = lens if lens in BUILT_IN_LENSES else (base or "generic")
    facts = _common(lens, spec, latest, params, base)
    builder = _BUILDERS.get(base)
    if builder is not None:
        facts.update(builder(base, spec, latest, params))
    return facts
