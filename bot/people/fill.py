"""Filling in the Slack profiles (time zone, name) of people added without one, after the form has closed.

Run as background work after a save and by the daily refresh; Slack is asked in bulk (users.list pages, or
users.info for a few) through the paced gateway, and a 429 waits for its Retry-After instead of failing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.db import Database
from bot.delivery.errors import RateLimited, SlackUnavailable
from bot.models import utcnow
from bot.people import service as people
from bot.people import statuses
from bot.people.profile import Profile

log = logging.getLogger(__name__)

Fetch = Callable[[list[str]], Awaitable[dict[str, Profile]]]
CHUNK = 200


async def fill_unfilled(db: Database, team_id: str, fetch: Fetch, *, max_waits: int = 10) -> int:
    """Fill every unfilled profile of the workspace; returns how many were written."""
    async with db.unit_of_work() as session:
        pending = await people.unfilled(session, team_id)
    if not pending:
        return 0
    waits = 0
    while True:  # one walk for everyone: users.list pages are shared by all of them
        asked = utcnow()  # the statuses are as of now: one seen later (a user_change meanwhile) stays
        try:
            found = await fetch(pending)
            break
        except RateLimited as error:
            waits += 1
            if waits > max_waits:
                log.warning("profiles of %d people stay unfilled: Slack keeps rate limiting", len(pending))
                return 0
            await asyncio.sleep(error.retry_after)
        except SlackUnavailable as error:
            log.warning("profiles of %d people stay unfilled for now: %s", len(pending), error)
            return 0
    for start in range(0, len(pending), CHUNK):
        chunk = pending[start:start + CHUNK]
        async with db.unit_of_work() as session:
            await people.fill_profiles(session, team_id, {u: found[u] for u in chunk if u in found},
                                       unknown=[u for u in chunk if u not in found])
            await statuses.record_profiles(session, team_id, [found[u] for u in chunk if u in found], asked)
    return len(pending)
