"""One number, one way: the figure a reader sees for a metric value, the same on every surface.

Cards, digests, the chart's axis and labels, the Home and the gate snapshot all say a project's result
through `scale_of` (once per project) and `Scale.count` / `Scale.text` (per value), so an executive comparing
two weeks, or the chart and the sentence under it, reads the same figure at the same scale.

- A rate (recall, precision, accuracy, false positive rate) is said "n of every 10" or "of 100" (1000 for
  rare rates). The scale is chosen from the project's baseline and target — never from the latest value — so
  it stays the same week after week while the goalposts stand: the smallest scale on which the target is
  whole (within half a step: 0.85 is "85 of 100", not "9 of 10"), both stay off none/all, they read apart,
  and the target leaves a step free on its worse side (so a result short of it can say so).
  Without goalposts, the latest value picks the scale.
- Rounding is half-up (8.5 → 9), not Python's banker's `round` (8.5 → 8).
- Honest sides: a result short of the target never reads as at or beyond it, and a result at or beyond it
  never reads as short (the count is moved to the right side of the target's count).
- Other metrics (error, latency, anything else) keep their own unit, with enough digits that a result short
  of the target never prints the same as the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from bot.progress.model import MetricSpec
from bot.progress.text import finite, value_text

RATE_BASES = ("precision", "recall", "accuracy", "false_positive_rate")
SCALES = (10, 100, 1000)
_TOLERANCE = 1e-9
ONE_IN_LIMIT = 1_000_000  # rarer than this reads "fewer than 1 in every 1M"


def half_up(value: float) -> int:
    """8.5 → 9, 0.85 × 10 → 9 (decimal rounding of the shortest repr, so float noise does not decide)."""
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def significant(value: float, digits: int = 2) -> int:
    """A count people can say, half-up on two significant digits: 1250 → 1300, 33.3 → 33, 7.5 → 8."""
    if value < 1:
        return 1
    places = max(0, math.floor(math.log10(value)) + 1 - digits)
    return half_up(value / 10**places) * 10**places


def _faithful(rate: float, per: int) -> int:
    """A rate as a count of `per`: half-up, but a rate strictly between 0 and 1 never reads as none or all."""
    count = half_up(rate * per)
    if 0 < rate < 1:
        count = min(per - 1, max(1, count))
    return max(0, min(per, count))


def _whole(rate: float, per: int) -> bool:
    """On this scale the rate is a whole count, within half a step of the next finer scale."""
    scaled = rate * per
    return abs(scaled - half_up(scaled)) <= 0.05 + _TOLERANCE


@dataclass(frozen=True)
class Scale:
    """How one project's values are said. `per` is None for metrics that are not rates."""

    base: str  # the lens's built-in base: recall, precision, … or generic
    direction: str
    percent: bool  # the goalposts are logged in percent (81 rather than 0.81)
    per: int | None
    baseline: float | None  # as rates when `per` is set, else as logged
    target: float | None

    @property
    def is_rate(self) -> bool:
        return self.per is not None

    def rate(self, value: float | None) -> float | None:
        """A logged value as a rate in [0, 1]: percent when the project logs percent, or when it is above 1."""
        v = finite(value)
        if v is None:
            return None
        if self.percent or v > 1:
            v = v / 100
        return min(1.0, max(0.0, v))

    def target_count(self) -> int | None:
        if self.per is None or self.target is None:
            return None
        return _faithful(self.target, self.per)

    def baseline_count(self) -> int | None:
        if self.per is None or self.baseline is None:
            return None
        return _faithful(self.baseline, self.per)

    def count(self, value: float | None) -> int | None:
        """The count a reader sees for a value (a rate metric only), on the honest side of the target."""
        rate = self.rate(value)
        if rate is None or self.per is None:
            return None
        count = _faithful(rate, self.per)
        target, target_count = self.target, self.target_count()
        if target is None or target_count is None:
            return count
        if self.direction == "lower":
            if rate > target and count <= target_count:
                count = target_count + 1
            elif rate <= target and count > target_count:
                count = target_count
        else:
            if rate < target and count >= target_count:
                count = target_count - 1
            elif rate >= target and count < target_count:
                count = target_count
        return max(0, min(self.per, count))

    @property
    def says_one_in(self) -> bool:
        """A false positive rate whose target is at most 10% is said "1 in every N", every week."""
        return self.base == "false_positive_rate" and self.target is not None and self.target <= 0.1

    def one_in(self, value: float | None) -> tuple[int | None, bool]:
        """(N, fewer_than) for "1 in every N" (see `says_one_in`), on the honest side of the target's N."""
        rate = self.rate(value)
        if rate is None or rate <= 0 or not self.says_one_in:
            return None, False
        if 1 / rate > ONE_IN_LIMIT:
            return ONE_IN_LIMIT, True
        n = significant(1 / rate)
        target_n, _ = self._target_one_in()
        if target_n is not None and self.target is not None:
            if rate > self.target and n >= target_n:
                n = max(1, target_n - 1)
            elif rate <= self.target and n < target_n:
                n = target_n
        return n, False

    def target_one_in(self) -> tuple[int | None, bool]:
        return self._target_one_in()

    def _target_one_in(self) -> tuple[int | None, bool]:
        target = self.target
        if not self.says_one_in or target is None or target <= 0:
            return None, False
        if 1 / target > ONE_IN_LIMIT:
            return ONE_IN_LIMIT, True
        return significant(1 / target), False

    def plotted(self, value: float | None) -> float | None:
        """Where a value sits on the chart's axis: the rate on this scale (continuous), or the value itself."""
        if self.per is None:
            return finite(value)
        rate = self.rate(value)
        return None if rate is None else rate * self.per

    def text(self, value: float | None) -> str:
        """The figure as written: "8" (of `per`) for a rate, "0.81" or "3.2" otherwise; "—" when unknown."""
        if self.per is not None:
            count = self.count(value)
            return "—" if count is None else str(count)
        return honest_value_text(value, self.target, self.direction)


def honest_value_text(value: float | None, target: float | None, direction: str) -> str:
    """`value_text`, with more digits when a value short of (or beyond) the target would print as the target."""
    v, t = finite(value), finite(target)
    text = value_text(v)
    if v is None or t is None or v == t or text != value_text(t):
        return text
    for digits in range(3, 16):
        text, other = f"{v:.{digits}g}", f"{t:.{digits}g}"
        if text != other:
            return text
    return repr(v)


def scale_of(spec: MetricSpec, base: str, latest: float | None = None) -> Scale:
    """The project's scale: from its baseline and target (see the module doc), `latest` only without both."""
    if base not in RATE_BASES:
        return Scale(base, spec.direction, False, None, finite(spec.baseline), finite(spec.target))
    goalposts = [v for v in (finite(spec.baseline), finite(spec.target)) if v is not None]
    percent = any(v > 1 for v in goalposts) or (spec.unit or "").strip() == "%"
    probe = Scale(base, spec.direction, percent, 10, None, None)
    baseline, target = probe.rate(spec.baseline), probe.rate(spec.target)
    known = [r for r in (baseline, target) if r is not None]
    if not known:
        rate = probe.rate(latest)
        per = next((p for p in SCALES if rate is None or not 0 < rate < 1 or 0 < half_up(rate * p) < p), 1000)
        return Scale(base, spec.direction, percent, per, None, None)
    return Scale(base, spec.direction, percent, _per(baseline, target, spec.direction), baseline, target)


def _per(baseline: float | None, target: float | None, direction: str) -> int:
    known = [r for r in (baseline, target) if r is not None]

    def fits(per: int) -> bool:
        if not _whole(target if target is not None else known[0], per):  # the target reads exactly
            return False
        if not all(not 0 < r < 1 or 0 < half_up(r * per) < per for r in known):
            return False
        if baseline is not None and target is not None and abs(baseline - target) > _TOLERANCE and \
                _faithful(baseline, per) == _faithful(target, per):
            return False
        if target is not None and 0 < target < 1:
            count = _faithful(target, per)
            return count >= 2 if direction != "lower" else count <= per - 2
        return True

    return next((per for per in SCALES if fits(per)), SCALES[-1])
