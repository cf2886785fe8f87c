"""The metric snapshot a gate freezes when it is requested.

Approvers decide on what they were shown: the card keeps the value, baseline, target, trend and judgement of
the day the gate was requested, even if new results arrive while the vote runs — and the goalposts (metric,
direction, baseline, target, expected and stop dates), so a target moved during the vote shows as moved.
Stored as JSON on the gate.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from bot.models import Measurement, Project
from bot.progress.text import finite
from bot.projects.goalposts import frozen
from bot.projects.status import project_status
from bot.render import Renderer


def trend(weekly: Sequence[float | None], direction: str) -> str | None:
    """"improving", "slipping" or "flat" from the last two weeks with results; None with fewer than two."""
    values = [v for v in weekly if finite(v) is not None]
    if len(values) < 2:
        return None
    change = values[-1] - values[-2]
    if direction == "lower":
        change = -change
    return "improving" if change > 0 else "slipping" if change < 0 else "flat"


def take(renderer: Renderer, project: Project, measurements: Sequence[Measurement], today: date,
         now: datetime, tz: tzinfo = UTC) -> dict[str, Any]:
    """Unconfirmed (low-confidence) results are left out of the figures, and counted in `unconfirmed`."""
    status = project_status(renderer, project, measurements, today, tz=tz)
    judgement = status.judgement
    return {
        "metric": project.metric_name, "unit": project.metric_unit, "direction": project.metric_direction,
        "value": judgement.latest, "best": judgement.best, "baseline": project.baseline, "target": project.target,
        "progress": judgement.progress, "weekly": judgement.weekly, "trend": trend(judgement.weekly,
                                                                                  project.metric_direction),
        "change_this_week": judgement.change_this_week, "label": judgement.label.value, "reason": judgement.reason,
        "headline": status.lens.headline, "technical": status.lens.technical, "taken_at": now.isoformat(),
        "results": len(measurements) - len(judgement.unconfirmed), "unconfirmed": len(judgement.unconfirmed),
        "goalposts": frozen(project),  # metric, direction, baseline, target and dates as agreed on the day
    }


def dumps(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, ensure_ascii=False, default=str)


def loads(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
