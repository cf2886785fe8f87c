"""Judging a live model against the value it had at launch: Healthy, Degrading or Degraded, by fixed rules.

- *Degraded*: an alert about the project is firing, or the live metric has been outside the tolerance for a
  week or more.
- *Degrading*: the live metric is outside the tolerance, for less than a week.
- *Healthy*: otherwise (also before the first live value arrives).

Only a change for the worse counts: a recall that rises, or a latency that falls, is never a degradation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.models import HealthLabel, ProductionHealth

DEGRADED_AFTER = timedelta(weeks=1)


def allowed_drop(health: ProductionHealth) -> float | None:
    """How far the live value may move the wrong way before it is outside tolerance; None without a launch value."""
    if health.launch_value is None:
        return None
    if health.tolerance_relative:
        return abs(health.launch_value) * health.tolerance
    return health.tolerance


def outside(health: ProductionHealth, direction: str, value: float | None) -> bool:
    """True when `value` is worse than the launch value by more than the tolerance."""
    drop = allowed_drop(health)
    if drop is None or value is None or health.launch_value is None:
        return False
    worse = health.launch_value - value if direction == "higher" else value - health.launch_value
    return worse > drop + 1e-12


@dataclass(frozen=True)
class Assessment:
    label: HealthLabel
    live: float | None
    outside: bool
    outside_since: datetime | None
    firing: int  # alerts firing now


def assess(health: ProductionHealth, direction: str, live: float | None, firing: int, now: datetime) -> Assessment:
    is_outside = outside(health, direction, live)
    since = health.outside_since if is_outside else None
    if firing:
        label = HealthLabel.DEGRADED
    elif is_outside:
        long = since is not None and now - since >= DEGRADED_AFTER
        label = HealthLabel.DEGRADED if long else HealthLabel.DEGRADING
    else:
        label = HealthLabel.HEALTHY
    return Assessment(label, live, is_outside, since, firing)


def tolerance_text(health: ProductionHealth) -> str:
    if health.tolerance_relative:
        return f"{health.tolerance * 100:g}% of the launch value"
    return f"±{health.tolerance:g}"


def parse_tolerance(text: str) -> tuple[float, bool]:
    """"5%" → (0.05, relative); "0.03" → (0.03, absolute). ValueError with a reason otherwise."""
    raw = text.strip().lower().removeprefix("tolerance=").removeprefix("±").strip()
    relative = raw.endswith("%")
    try:
        value = float(raw.rstrip("%").strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a tolerance: give a share such as 5% or an amount such as 0.03") from None
    if not value >= 0 or value != value or value == float("inf"):
        raise ValueError("The tolerance must be a number of at least 0.")
    if relative:
        if value > 100:
            raise ValueError("A relative tolerance is at most 100%.")
        return value / 100, True
    return value, False


def time_in_production(launched: datetime, now: datetime) -> str:
    """"3 months", "5 weeks", "4 days": how long a model has been live."""
    days = max(0, (now - launched).days)
    if days >= 45:
        months = round(days / 30.44)
        return f"{months} month{'s' if months != 1 else ''}"
    if days >= 14:
        return f"{round(days / 7)} weeks"
    if days == 0:
        return "less than a day"
    return f"{days} day{'s' if days != 1 else ''}"
