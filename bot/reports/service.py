"""One call from a request to a delivered report: read the scope and period as the reader means them, check
they may read it, build it, and queue its files to their DM through the outbox (idempotent by request)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.outbox import enqueue
from bot.lifecycle import Lifecycle
from bot.models import OutboxMethod, Project
from bot.people.service import Actor
from bot.render import Message, Renderer
from bot.reports import render
from bot.reports.build import build_report
from bot.reports.model import Report
from bot.reports.periods import parse_period
from bot.reports.scope import authorize, resolve, split_scope
from bot.standups.schedule import zone

DEFAULT_PERIOD = "this week"


@dataclass(frozen=True)
class Delivered:
    report: Report
    files: list[render.ReportFile]


async def read_request(session: AsyncSession, reader: Actor, words: list[str], now: datetime,
                       lifecycle_of: Callable[[Project], Lifecycle]) -> Report:
    """`SCOPE PERIOD` as `reader` typed it, as the report they may read (ScopeProblem, PeriodProblem,
    NotAllowed otherwise)."""
    scope_words, period_words = split_scope(words)
    scope = await resolve(session, reader.person.team_id, scope_words, reader.user_id)
    tz = zone(reader.person.tz)
    period = parse_period(" ".join(period_words) or DEFAULT_PERIOD, now.astimezone(tz).date())
    scope = await authorize(session, reader, scope)
    return await build_report(session, scope, period, reader.person.tz, lifecycle_of, now)


async def send_to_dm(session: AsyncSession, renderer: Renderer, reader: Actor, report: Report, request_id: str,
                     limit: int = render.PART_BYTES) -> Delivered:
    """Queue the report's files for the reader's DM, once per request (`request_id`: Slack's trigger id)."""
    found = render.files(renderer, report, limit=limit)
    comment = f"{report.title} — {report.period.label}: {len(found)} file{'s' if len(found) != 1 else ''}."
    await enqueue(session, team_id=reader.person.team_id, key=f"report:{reader.person.team_id}:{request_id}",
                  kind="report", channel=reader.user_id, method=OutboxMethod.UPLOAD, message=Message(text=comment),
                  extra={"files": [asdict(f) for f in found]})
    return Delivered(report, found)
