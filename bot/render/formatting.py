"""Number, date and chart formatting for people, not machines. Pure functions; also Jinja filters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime

from bot.render.escaping import cut

SPARK_CHARS = "▁▂▃▄▅▆▇█"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun agreeing: 0 approvers, 1 approver, 2 approvers (`plural` for irregular nouns)."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def number(value: float | int | None, digits: int = 2) -> str:
    """Short, readable numbers: 0.8123 → 0.81, 1234.5 → 1,234.5, 1200000 → 1.2M."""
    if value is None:
        return "—"
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    magnitude = abs(value)
    if magnitude >= 1_000_000:
        return f"{value / 1_000_000:.{1}f}M".replace(".0M", "M")
    if magnitude >= 10_000:
        return f"{value:,.0f}"
    if float(value).is_integer():
        return f"{int(value):,}"
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return text


def percent(value: float | None, digits: int = 0) -> str:
    """A share in [0, 1] as a percentage, rounded down so nothing looks done before it is: 0.829 → 82%."""
    if value is None or not math.isfinite(value):
        return "—"
    scale = 10**digits
    shown = math.floor(value * 100 * scale + 1e-9) / scale
    return f"{shown:.{digits}f}%"


def money(value: float | None, currency: str = "$") -> str:
    """Rounded the way people say it: ≈ $40k, $1.2M, $950."""
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    amount = abs(value)
    if amount >= 1_000_000:
        body = f"{amount / 1_000_000:.1f}M".replace(".0M", "M")
    elif amount >= 1_000:
        body = f"{amount / 1_000:.0f}k"
    else:
        body = f"{amount:.0f}"
    return f"{sign}{currency}{body}"


def month_year(value: date | None) -> str:
    return value.strftime("%B %Y") if value else "not set"


def day(value: date | datetime | None) -> str:
    if value is None:
        return "not set"
    return f"{value.strftime('%a')} {value.day} {value.strftime('%b %Y')}"


def ago(value: datetime | date | None, now: datetime | None = None) -> str:
    """Relative time: 'today', '3 days ago', '2 weeks ago', 'in 5 weeks'."""
    if value is None:
        return "never"
    now = now or datetime.now(UTC)
    if isinstance(value, datetime):
        days = (now.date() - value.astimezone(UTC).date()).days
    else:
        days = (now.date() - value).days
    future, days = days < 0, abs(days)
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow" if future else "yesterday"
    if days < 14:
        amount, unit = days, "day"
    elif days < 60:
        amount, unit = round(days / 7), "week"
    elif days < 730:
        amount, unit = round(days / 30.44), "month"
    else:
        amount, unit = round(days / 365.25), "year"
    phrase = f"{amount} {unit}{'s' if amount != 1 else ''}"
    return f"in {phrase}" if future else f"{phrase} ago"


def sparkline(values: Sequence[float | None]) -> str:
    """▁▂▃▅▇ from a series; gaps (None) show as a space; a flat series sits in the middle."""
    present = [v for v in values if v is not None and math.isfinite(v)]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = high - low
    chars = []
    for v in values:
        if v is None or not math.isfinite(v):
            chars.append(" ")
        elif span == 0:
            chars.append(SPARK_CHARS[3])
        else:
            chars.append(SPARK_CHARS[round((v - low) / span * (len(SPARK_CHARS) - 1))])
    return "".join(chars)


def progress_bar(fraction: float | None, width: int = 10) -> str:
    """■■■■■■□□□□ for a fraction in [0, 1]; clamped; empty when unknown."""
    if fraction is None or not math.isfinite(fraction):
        return "□" * width
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "■" * filled + "□" * (width - filled)


def truncate_words(text: str, limit: int, ellipsis: str = "…") -> str:
    """Cut plain text at a word boundary so no message ends mid-word (bot.render.escaping.cut)."""
    return cut(text, limit, ellipsis=ellipsis)
