"""Which stages count as "in production": the one rule every feature (health, digest, API) asks."""

from __future__ import annotations

from bot.lifecycle import Lifecycle
from bot.lifecycle.model import _normalize

LIVE_STAGE_NAMES = frozenset({"production", "support and maintenance", "monitoring"})


def in_production(lifecycle: Lifecycle, stage_key: str) -> bool:
    """True for Production, Support & Maintenance and Monitoring (by name or key), for a stage a lifecycle marks
    `launch: true`, and for every stage after one that is."""
    try:
        index = lifecycle.index(stage_key)
    except (KeyError, ValueError):
        return _normalize(stage_key) in LIVE_STAGE_NAMES
    for stage in lifecycle.stages[: index + 1]:
        if getattr(stage, "launch", False):
            return True
    stage = lifecycle.stages[index]
    return _normalize(stage.name) in LIVE_STAGE_NAMES or _normalize(stage.key) in LIVE_STAGE_NAMES
