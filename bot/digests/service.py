"""Subscriptions, building a digest for one reader, and sending the due ones through the outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.outbox import enqueue
from bot.digests.compose import Decision, Digest, compose, without_live
from bot.digests.portfolio import load_portfolio
from bot.errors import InvalidInput
from bot.ids import ActionId
from bot.lifecycle import Lifecycle
from bot.models import DigestKind, DigestSubscription, Person, PersonRole, Project, Role, utcnow
from bot.render import Message, Renderer
from bot.standups.schedule import local_instant, parse_time, zone

log = logging.getLogger(__name__)

SEND_WINDOW = timedelta(hours=12)  # after downtime, a digest still goes out within half a day; later, skipped


async def subscribe(session: AsyncSession, team_id: str, user_id: str, kind: DigestKind,
                    channel_id: str | None) -> DigestSubscription:
    row = (await session.exec(select(DigestSubscription).where(
        DigestSubscription.team_id == team_id, DigestSubscription.user_id == user_id,
        DigestSubscription.kind == kind))).first()
    row = row or DigestSubscription(team_id=team_id, user_id=user_id, kind=kind)
    row.channel_id, row.active, row.updated_at = channel_id, True, utcnow()
    session.add(row)
    await session.flush()
    return row


async def unsubscribe(session: AsyncSession, team_id: str, user_id: str, kind: DigestKind | None) -> int:
    """Turn subscriptions off (kept as rows, so an exec's default subscription is not re-created)."""
    changed = 0
    for wanted in ([kind] if kind else list(DigestKind)):
        row = (await session.exec(select(DigestSubscription).where(
            DigestSubscription.team_id == team_id, DigestSubscription.user_id == user_id,
            DigestSubscription.kind == wanted))).first()
        if row is None:
            row = DigestSubscription(team_id=team_id, user_id=user_id, kind=wanted)
        changed += row.active
        row.active, row.updated_at = False, utcnow()
        session.add(row)
    await session.flush()
    return changed


async def subscriptions(session: AsyncSession, team_id: str | None = None) -> list[DigestSubscription]:
    """Active subscriptions, including execs' default exec digest (Monday 08:30 in their zone, by DM)."""
    query = select(DigestSubscription)
    if team_id:
        query = query.where(DigestSubscription.team_id == team_id)
    rows = list((await session.exec(query)).all())
    have = {(r.team_id, r.user_id, r.kind) for r in rows}
    execs = select(Person.team_id, Person.user_id).join(PersonRole, PersonRole.person_id == Person.id).where(
        PersonRole.role == Role.EXEC)
    if team_id:
        execs = execs.where(Person.team_id == team_id)
    for team, user in (await session.exec(execs)).all():
        if (team, user, DigestKind.EXEC) not in have:
            rows.append(DigestSubscription(team_id=team, user_id=user, kind=DigestKind.EXEC))
    return [r for r in rows if r.active]


async def build_digest(session: AsyncSession, renderer: Renderer, lifecycle_of: Callable[[Project], Lifecycle],
                       team_id: str, reader_id: str | None, kind: DigestKind, today: date,
                       decisions: tuple[Decision, ...] = (), only: str | None = None,
                       tz: str | None = "UTC") -> tuple[Digest, Message]:
    """The digest `reader_id` gets on `today`, their date in their zone `tz`: results are dated in it too."""
    data = await load_portfolio(session, team_id, today, zone(tz))
    if only:
        data.projects = [p for p in data.projects if p.key == only]
    digest = compose(renderer, data, lifecycle_of, today, reader_id, decisions if kind == DigestKind.EXEC else (),
                     tz=zone(tz))
    if kind == DigestKind.EXEC:
        digest = await with_live_projects(session, renderer, lifecycle_of, data.projects, digest)
    return digest, render_digest(renderer, digest, kind)


async def with_live_projects(session: AsyncSession, renderer: Renderer, lifecycle_of: Callable[[Project], Lifecycle],
                             projects: list[Project], digest: Digest) -> Digest:
    """The exec digest's "In production" group: every live project, however long ago it shipped (one query); each
    is shown there only, not also among the active lines or the shipped projects."""
    from bot.production.overview import live_projects

    now = datetime.combine(digest.today, time(12), tzinfo=UTC)
    return without_live(digest, tuple(await live_projects(session, renderer, projects, lifecycle_of, now)))


def render_digest(renderer: Renderer, digest: Digest, kind: DigestKind, chart: dict[str, str] | None = None) -> Message:
    """The digest's message; `chart` ({"file_id", "alt_text"}) adds the uploaded trend chart (exec digest)."""
    template = "digests/exec.json.j2" if kind == DigestKind.EXEC else "digests/team.json.j2"
    return renderer.message(template, digest=digest, now=utcnow(), open_gate_action=ActionId.DIGEST_OPEN_GATE,
                            chart=chart, ids=ActionId)


async def with_trend_chart(upload: Callable[..., Awaitable[str]], renderer: Renderer, digest: Digest,
                           kind: DigestKind, message: Message) -> Message:
    """The exec digest with its 8-week trend chart uploaded (`upload`: SlackGateway.upload_file) and shown.

    Nothing to chart, or a chart or upload that fails: the digest goes out as it is, without the image (logged).
    The chart is drawn in a worker thread: matplotlib takes a few hundred milliseconds that Slack's
    3-second acknowledgements on this event loop must not wait for. It reads only `digest`: no SQL.
    """
    if kind != DigestKind.EXEC:
        return message
    from bot.digests.charts import alt_text, trend_chart_png  # matplotlib loads only when a chart is drawn

    try:
        png = await asyncio.to_thread(trend_chart_png, digest.shown, today=digest.today)
        described = alt_text(digest.shown)
        if png is None or described is None:
            return message
        file_id = await upload(f"headway-trend-{digest.today.isoformat()}.png", png,
                               title=f"ML portfolio trend, week of {digest.today.isoformat()}", alt_text=described)
    except Exception:
        log.warning("the trend chart of %s's digest was not attached; the digest goes without it",
                    digest.reader_id, exc_info=True)
        return message
    return render_digest(renderer, digest, kind, {"file_id": file_id, "alt_text": described})


def due_date(subscription: DigestSubscription, tz: str, now: datetime) -> date | None:
    """The local date of the digest this subscription should have received by now, if still in its window."""
    local_today = now.astimezone(zone(tz)).date()
    for day in (local_today, local_today - timedelta(days=1)):
        if day.weekday() != subscription.weekday:
            continue
        send_at = local_instant(day, parse_time(subscription.local_time), zone(tz))
        if send_at <= now < send_at + SEND_WINDOW:
            return day
    return None


async def queue_digest(session: AsyncSession, subscription: DigestSubscription, message: Message,
                       local_day: date) -> bool:
    target = subscription.channel_id or subscription.user_id
    key = f"digest:{subscription.team_id}:{subscription.kind}:{subscription.user_id}:{target}:{local_day.isoformat()}"
    return await enqueue(session, team_id=subscription.team_id, key=key, kind=f"digest_{subscription.kind}",
                         channel=target, message=message)


def parse_kind(word: str | None) -> DigestKind | None:
    if word is None:
        return None
    try:
        return DigestKind(word.lower())
    except ValueError:
        raise InvalidInput({"kind": "Choose exec or team."}) from None
