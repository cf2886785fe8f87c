"""Numbers and dates the way the judgement and the lenses say them: short, finite, never scientific noise.

Every helper accepts any float (the domain code is property-tested with extreme values) and never returns
"nan" or "inf": a number that cannot be shown sensibly comes out as "—".
"""

from __future__ import annotations

import math
from datetime import date

from bot.render import formatting


def finite(value: float | int | None) -> float | None:
    """The value as a float, or None when it is missing, NaN or infinite (treated as "no data")."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def value_text(value: float | None) -> str:
    """A metric value: 0.9 → "0.90", 3.25 → "3.25", 120 → "120", 1234.5 → "1,234.5", 0.0034 → "0.0034".

    Two decimals below 10 so that a latest and a target line up ("0.81" vs "0.90"); whole-ish above.
    """
    v = finite(value)
    if v is None:
        return "—"
    magnitude = abs(v)
    if magnitude >= 1e15 or 0 < magnitude < 1e-4:
        return f"{v:.2g}"
    if v.is_integer():
        return formatting.number(int(v))
    if magnitude >= 10:
        return formatting.number(v)
    if magnitude >= 0.1:
        return f"{v:.2f}"
    return plain_number(v)


def plain_number(value: float | None) -> str:
    """A quantity without trailing zeros: 3.2 → "3.2", 3.0 → "3", 0.0034 → "0.0034", 1200 → "1,200"."""
    v = finite(value)
    if v is None:
        return "—"
    magnitude = abs(v)
    if magnitude >= 1e15 or 0 < magnitude < 1e-4:
        return f"{v:.2g}"
    if magnitude >= 1 or v == 0:
        return formatting.number(round(v, 2) if not v.is_integer() else int(v))
    digits = 1 - math.floor(math.log10(magnitude))  # two significant digits
    return f"{v:.{digits}f}".rstrip("0").rstrip(".")


def percent_text(share: float | None) -> str:
    """A share in [0, 1]: whole percentages ("81%"), finer only for small shares ("0.5%", "0.05%")."""
    s = finite(share)
    if s is None:
        return "—"
    pct = s * 100
    if pct == 0 or abs(pct) >= 1:
        return f"{pct:.0f}%"
    if abs(pct) < 0.01:
        return "<0.01%" if pct > 0 else ">-0.01%"
    return f"{plain_number(pct)}%"


def whole_percent(share: float) -> int:
    """Floor of a share in [0, 1] as a percentage: 0.999 → 99, so nothing looks done before it is."""
    return max(0, min(100, math.floor(share * 100)))


def short_date(day: date, today: date) -> str:
    """ "2 Nov", with the year only when it is not this year ("2 Nov 2025")."""
    text = f"{day.day} {day.strftime('%b')}"
    return text if day.year == today.year else f"{text} {day.year}"


def round_significant(value: float, digits: int = 2) -> int:
    """A count people can say: 1250 → 1200 (banker's rounding on the last digit), 33.3 → 33, 7.4 → 7."""
    if value < 1:
        return 1
    magnitude = math.floor(math.log10(value))
    return int(round(value, -max(0, magnitude + 1 - digits)))
