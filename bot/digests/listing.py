"""`/headway project list [active|paused|shipped|stopped|all]`: the whole portfolio of bets, by state.

The same groups as the digest and the App Home (bot/digests/compose.py), so a stopped project reads
"stopped at STAGE because …" wherever it is shown, for good.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, tzinfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.digests.compose import Group, compose
from bot.digests.portfolio import load_portfolio
from bot.errors import InvalidInput
from bot.lifecycle import Lifecycle
from bot.models import Project, ProjectState

WHICH = ("all", *(s.value for s in ProjectState))


def parse_which(word: str | None) -> str:
    which = (word or "all").strip().lower()
    if which not in WHICH:
        raise InvalidInput({"state": f"Choose one of {', '.join(WHICH)}."})
    return which


async def project_groups(session: AsyncSession, renderer: object, lifecycle_of: Callable[[Project], Lifecycle],
                         team_id: str, today: date, tz: tzinfo, which: str = "all") -> tuple[Group, ...]:
    """The portfolio's groups (active first, then paused, shipped and stopped), only `which` unless "all"."""
    data = await load_portfolio(session, team_id, today, tz)
    digest = compose(renderer, data, lifecycle_of, today, tz=tz)  # type: ignore[arg-type]
    return tuple(g for g in digest.groups if which in ("all", g.key))
