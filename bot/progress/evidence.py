"""Which results count as evidence: a low-confidence result waits for confirmation before it moves anything.

A result reported with confidence "low" ("March looks too good") is *unconfirmed*: people see it, but the
label, the progress figure and gate snapshots ignore it until it is confirmed, by

- someone clicking Confirm (its author or a PM: `Point.confirmed`), or
- a later counted result at or beyond it (any source, at the same instant or after), including a pipeline's
  or MLflow's result, which is always counted (`Point.trusted`). A trusted result *below* the claim does not
  confirm it: it contradicts it, and the claim stays unconfirmed.

Medium, high and unstated confidence count as they always did. Pure functions over `Point`s.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import UTC, datetime

from bot.progress.model import Point
from bot.progress.text import finite


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _good(direction: str, value: float) -> float:
    return value if direction == "higher" else -value


def split(direction: str, points: Sequence[Point]) -> tuple[list[Point], list[Point]]:
    """(counted, unconfirmed): results with a non-finite value are left out of both."""
    usable = [p for p in points if finite(p.value) is not None]
    evidence = sorted((_utc(p.at), _good(direction, p.value)) for p in usable if not p.low)
    # best[i]: the best goodness among evidence from index i onwards (the suffix maximum)
    best = [0.0] * len(evidence)
    running = float("-inf")
    for i in range(len(evidence) - 1, -1, -1):
        running = max(running, evidence[i][1])
        best[i] = running
    instants = [at for at, _ in evidence]
    counted, unconfirmed = [], []
    for p in usable:
        if not p.low:
            counted.append(p)
            continue
        i = bisect_left(instants, _utc(p.at))
        backed = i < len(evidence) and best[i] >= _good(direction, p.value)
        (counted if backed else unconfirmed).append(p)
    unconfirmed.sort(key=lambda p: (_utc(p.at), _good(direction, p.value)))
    return counted, unconfirmed
