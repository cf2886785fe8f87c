"""People's Slack statuses as Headway last saw them, and their own week settings (working days, holiday region).

Statuses arrive from the `user_change` event, from profiles read for other reasons (filling in new people, the
daily refresh) and, at planning time, from a paced read of whoever's status Headway has never seen
(`read_unknown`): one users.list page covers up to 200 people. Takes a session and plain data; never commits.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database, insert_many_or_ignore
from bot.delivery.errors import RateLimited, SlackUnavailable
from bot.models import PersonWeek, utcnow
from bot.people.profile import Profile, Status

log = logging.getLogger(__name__)
Fetch = Callable[[list[str]], Awaitable[dict[str, Profile]]]
MAX_UNKNOWN_PER_TICK = 5000


async def week_rows(session: AsyncSession, team_id: str, user_ids: Iterable[str]) -> dict[str, PersonWeek]:
    """Everyone's row, created empty where missing (one insert, one select)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return {}
    await insert_many_or_ignore(session, PersonWeek, ["team_id", "user_id"], [
        dict(team_id=team_id, user_id=u, workdays=None, holiday_region=None, status_text="", status_emoji="",
             status_expires_at=None, status_seen_at=None) for u in ids])
    rows = (await session.exec(select(PersonWeek).where(
        PersonWeek.team_id == team_id, col(PersonWeek.user_id).in_(ids)))).all()
    return {r.user_id: r for r in rows}


def _apply(row: PersonWeek, status: Status, seen: datetime) -> None:
    row.status_text, row.status_emoji = status.text[:200], status.emoji[:100]
    row.status_expires_at = _instant(status.expiration)
    row.status_seen_at = seen


def _instant(unix: int) -> datetime | None:
    """status_expiration as an aware datetime; 0 (no expiry) and absurd values (past year 9999) are None."""
    try:
        return datetime.fromtimestamp(unix, UTC) if unix else None
    except (OverflowError, OSError, ValueError):
        return None


async def record_statuses(session: AsyncSession, team_id: str, statuses: dict[str, Status],
                          seen: datetime | None = None) -> None:
    """Remember what Slack said about these people's statuses (an empty one too: it means "not away"), as of
    `seen` (when Headway asked; default now). A status seen later is kept: a profile read that was in flight while
    a `user_change` event arrived must not put the older status back."""
    rows = await week_rows(session, team_id, statuses)
    at = seen or utcnow()
    for user_id, status in statuses.items():
        row = rows[user_id]
        if row.status_seen_at is not None and row.status_seen_at > at:
            continue
        _apply(row, status, at)
        session.add(row)
    await session.flush()


async def record_profiles(session: AsyncSession, team_id: str, profiles: Iterable[Profile],
                          seen: datetime | None = None) -> None:
    await record_statuses(session, team_id, {p.user_id: p.status for p in profiles if p.status is not None},
                          seen)


async def unknown(session: AsyncSession, team_id: str, user_ids: Iterable[str]) -> list[str]:
    """Of these people, whose status Headway has never read."""
    ids = list(dict.fromkeys(user_ids))
    seen: set[str] = set()
    for start in range(0, len(ids), 1000):
        seen |= set((await session.exec(select(PersonWeek.user_id).where(
            PersonWeek.team_id == team_id, col(PersonWeek.user_id).in_(ids[start:start + 1000]),
            col(PersonWeek.status_seen_at).is_not(None)))).all())
    return [u for u in ids if u not in seen]


async def read_unknown(db: Database, team_id: str, user_ids: Iterable[str], fetch: Fetch) -> int:
    """Read the statuses Headway has not seen, through the paced gateway (users.list pages when many); people Slack
    does not know are marked seen with no status so they are not asked about again. Returns how many were read.
    A 429 leaves them for the next tick instead of waiting inside planning."""
    async with db.unit_of_work() as session:
        pending = (await unknown(session, team_id, user_ids))[:MAX_UNKNOWN_PER_TICK]
    if not pending:
        return 0
    asked = utcnow()
    try:
        found = await fetch(pending)
    except RateLimited as error:
        log.info("statuses of %d people wait for the next tick: Slack asked for %s s", len(pending),
                 error.retry_after)
        return 0
    except SlackUnavailable as error:
        log.warning("statuses of %d people stay unknown for now: %s", len(pending), error)
        return 0
    async with db.unit_of_work() as session:
        await record_statuses(session, team_id, {u: (found[u].status if u in found and found[u].status else Status())
                                                 for u in pending}, asked)
    return len(pending)


async def set_workdays(session: AsyncSession, team_id: str, user_id: str, workdays: str | None) -> None:
    row = (await week_rows(session, team_id, [user_id]))[user_id]
    row.workdays = workdays
    session.add(row)
    await session.flush()


async def set_region(session: AsyncSession, team_id: str, user_id: str, region: str | None) -> None:
    row = (await week_rows(session, team_id, [user_id]))[user_id]
    row.holiday_region = region
    session.add(row)
    await session.flush()
