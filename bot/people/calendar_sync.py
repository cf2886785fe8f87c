"""Linking a calendar feed and keeping it fresh: at most hourly per feed, a DM after three failures in a row."""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.delivery.outbox import enqueue
from bot.models import CalendarFeed, Person
from bot.outbound import OutboundPolicy
from bot.people import calendar
from bot.people.calendar import FAILURES_BEFORE_DM, FETCH_EVERY, FeedProblem
from bot.people.time_off import dump_periods, rules_for
from bot.render import Renderer

log = logging.getLogger(__name__)


async def read_feed(policy: OutboundPolicy, url: str, tz: str, today: date) -> calendar.Feed:
    return calendar.parse(await calendar.fetch(policy, url), tz, today)


async def link(session: AsyncSession, team_id: str, user_id: str, url: str, feed: calendar.Feed, hint: str,
               now: datetime) -> CalendarFeed:
    """Store a feed that was just read successfully (replacing the person's previous one)."""
    row = (await session.exec(select(CalendarFeed).where(
        CalendarFeed.team_id == team_id, CalendarFeed.user_id == user_id))).first() or CalendarFeed(
        team_id=team_id, user_id=user_id, url=url)
    row.url, row.url_hint, row.periods = url, hint, dump_periods(feed.periods)
    row.fetched_at, row.next_fetch_at, row.failures, row.last_error = now, now + FETCH_EVERY, 0, ""
    session.add(row)
    await session.flush()
    return row


async def unlink(session: AsyncSession, team_id: str, user_id: str) -> bool:
    result = await session.exec(delete(CalendarFeed).where(  # type: ignore[call-overload]
        CalendarFeed.team_id == team_id, CalendarFeed.user_id == user_id))
    return bool(result.rowcount)


async def feed_of(session: AsyncSession, team_id: str, user_id: str) -> CalendarFeed | None:
    return (await session.exec(select(CalendarFeed).where(
        CalendarFeed.team_id == team_id, CalendarFeed.user_id == user_id))).first()


async def days_off(session: AsyncSession, feed: calendar.Feed, team_id: str, today: date) -> int:
    """How many days from today on the feed marks as time off under the workspace's rules."""
    rules = await rules_for(session, team_id)
    days: set[date] = set()
    for period in feed.periods:
        if period.end >= today and (period.out_of_office or rules.matches(period.title)):
            days |= {date.fromordinal(d) for d in range(max(period.start, today).toordinal(),
                                                          period.end.toordinal() + 1)}
    return len(days)


async def sync_due(db: Database, policy: OutboundPolicy, renderer: Renderer, now: datetime) -> int:
    """Fetch every feed whose hour is up, one at a time, each in its own unit of work; returns how many were read."""
    async with db.unit_of_work() as session:
        due = (await session.exec(select(CalendarFeed.id).where(col(CalendarFeed.next_fetch_at) <= now)
                                  .order_by(CalendarFeed.next_fetch_at).limit(500))).all()
    read = 0
    for feed_id in due:
        async with db.unit_of_work() as session:
            row = await session.get(CalendarFeed, feed_id)
            if row is None or row.next_fetch_at > now:
                continue
            tz = (await session.exec(select(Person.tz).where(Person.team_id == row.team_id,
                                                             Person.user_id == row.user_id))).first() or "UTC"
            url = row.url
        try:
            feed = await read_feed(policy, url, tz, now.astimezone(calendar.safe_zone(tz)).date())
            problem = None
        except FeedProblem as error:
            feed, problem = None, str(error)
        async with db.unit_of_work() as session:
            row = await session.get(CalendarFeed, feed_id)
            if row is None or row.url != url:
                continue  # unlinked or replaced meanwhile
            row.next_fetch_at = now + FETCH_EVERY
            if feed is not None:
                row.periods, row.fetched_at, row.failures, row.last_error = dump_periods(feed.periods), now, 0, ""
                read += 1
            else:
                row.failures += 1
                row.last_error = (problem or "")[:300]
                if row.failures == FAILURES_BEFORE_DM:
                    await enqueue(session, team_id=row.team_id, key=f"calendar:{row.id}:failing:{now.isoformat()}",
                                  kind="calendar_failing", channel=row.user_id, message=renderer.message(
                                      "standups/calendar_failing.json.j2", hint=row.url_hint, failures=row.failures,
                                      error=row.last_error))
            session.add(row)
    return read
