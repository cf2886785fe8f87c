"""Blockers that age: kept from the standup answer that reported them until their owner says they are resolved.

The next prompt asks "Still blocked by …?" (one click each way); a blocker older than
HEADWAY_BLOCKER_ESCALATE_DAYS working days is escalated once to its project's PMs (a conditional UPDATE of
`escalated_at` decides who sends it; the outbox key makes the DM once-only), and it shows in the exec digest's
"Decisions and help needed" with its age and who could help.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.delivery.outbox import Outgoing, enqueue
from bot.errors import HeadwayError, NotAllowed, NotFound
from bot.ids import ActionId
from bot.models import Blocker, Person, Project, ProjectMember, ProjectRole, ProjectState, StandupAnswer
from bot.people.time_off import TimeOffBook
from bot.render import Message, Renderer
from bot.standups.schedule import zone

SHOWN_IN_PROMPT = 5


def working_days(start: date, end: date) -> int:
    """Weekdays after `start` up to and including `end`: a blocker reported on Friday is 1 working day old on
    Monday."""
    if end <= start:
        return 0
    whole, rest = divmod((end - start).days, 7)
    days = whole * 5
    for offset in range(1, rest + 1):
        if (start + timedelta(days=whole * 7 + offset)).weekday() < 5:
            days += 1
    return days


def age_text(blocker: Blocker, today: date) -> str:
    days = working_days(blocker.reported_at.date(), today)
    return "less than a working day" if days == 0 else f"{days} working day{'s' if days != 1 else ''}"


def _same(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


async def open_blockers(session: AsyncSession, team_id: str, user_ids: Iterable[str] | None = None,
                        project_id: int | None = None) -> list[Blocker]:
    query = select(Blocker).where(Blocker.team_id == team_id, Blocker.resolved_at.is_(None))  # type: ignore[union-attr]
    if user_ids is not None:
        query = query.where(Blocker.user_id.in_(list(user_ids)))  # type: ignore[attr-defined]
    if project_id is not None:
        query = query.where(Blocker.project_id == project_id)
    return list((await session.exec(query.order_by(Blocker.reported_at, Blocker.id))).all())


async def track(session: AsyncSession, answer: StandupAnswer, now: datetime) -> Blocker | None:
    """Keep the blocker an answer reports: the same words again confirm the open one; new words open another."""
    text = answer.blocker.strip()
    if not answer.blocked or not text:
        return None
    for blocker in await open_blockers(session, answer.team_id, [answer.user_id]):
        if _same(blocker.text, text) or blocker.answer_id == answer.id:
            blocker.text, blocker.confirmed_at, blocker.project_id = text[:1000], now, answer.project_id
            session.add(blocker)
            await session.flush()
            return blocker
    blocker = Blocker(team_id=answer.team_id, project_id=answer.project_id, user_id=answer.user_id, text=text[:1000],
                      answer_id=answer.id, reported_at=now)
    session.add(blocker)
    await session.flush()
    return blocker


def still_blocked_messages(renderer: Renderer, blockers: list[Blocker], run_key: str, today: date
                           ) -> list[Outgoing]:
    """One "Still blocked by …?" DM per person, queued right after their prompt (same run, so once per run)."""
    by_user: dict[str, list[Blocker]] = {}
    for blocker in blockers:
        by_user.setdefault(blocker.user_id, []).append(blocker)
    out = []
    for user_id, mine in by_user.items():
        shown = [(b, age_text(b, today)) for b in mine[:SHOWN_IN_PROMPT]]
        message = renderer.message("standups/still_blocked.json.j2", blockers=shown, ids=ActionId)
        out.append(Outgoing(team_id=mine[0].team_id, key=f"{run_key}:{user_id}:still_blocked", kind="still_blocked",
                            channel=user_id, message=message))
    return out


async def answer_still_blocked(session: AsyncSession, team_id: str, user_id: str, blocker_id: int, resolved: bool,
                               now: datetime) -> Blocker:
    blocker = await session.get(Blocker, blocker_id)
    if blocker is None or blocker.team_id != team_id:
        raise NotFound("That blocker no longer exists.")
    if blocker.user_id != user_id:
        raise NotAllowed("Only the person who reported a blocker can say whether it still blocks them.")
    if blocker.resolved_at is not None:
        raise HeadwayError("That blocker is already marked resolved.")
    if resolved:
        blocker.resolved_at, blocker.resolved_by = now, user_id
    else:
        blocker.confirmed_at = now
    session.add(blocker)
    await session.flush()
    return blocker


@dataclass(frozen=True)
class HelpNeeded:
    """An escalated blocker, for the exec digest: how old, who is stuck, and who could help."""

    project_id: int
    project_key: str
    project_name: str
    user_id: str
    text: str
    age: str
    helpers: tuple[str, ...]  # the project's PMs and business owner
    back_on: date | None = None  # the owner is away (time off) and back then: help can wait for them


async def help_needed(session: AsyncSession, team_id: str, today: date) -> tuple[HelpNeeded, ...]:
    """Escalated blockers still open, oldest first (two queries)."""
    rows = (await session.exec(select(Blocker, Project).join(Project, Project.id == Blocker.project_id).where(
        Blocker.team_id == team_id, Blocker.resolved_at.is_(None), Blocker.escalated_at.is_not(None),  # type: ignore[union-attr]
        Project.state != ProjectState.STOPPED).order_by(Blocker.reported_at))).all()
    if not rows:
        return ()
    pms: dict[int, list[str]] = {}
    for member in (await session.exec(select(ProjectMember).where(
            ProjectMember.project_id.in_({p.id for _, p in rows}),  # type: ignore[attr-defined]
            ProjectMember.role == ProjectRole.PM))).all():
        pms.setdefault(member.project_id, []).append(member.user_id)
    away = await back_on(session, team_id, [b.user_id for b, _ in rows], today)
    return tuple(HelpNeeded(p.id, p.key, p.name, b.user_id, b.text, age_text(b, today), tuple(dict.fromkeys(
        [*pms.get(p.id, []), *([p.business_owner_id] if p.business_owner_id else [])])), away.get(b.user_id))
        for b, p in rows)


async def due_for_escalation(session: AsyncSession, after_days: int, now: datetime) -> list[int]:
    """Open, not yet escalated blockers on a project, older than `after_days` working days of their owner's.

    Time off does not age a blocker: while its owner is away it waits (the digest says they are away, until
    when), and days they were off do not count once they are back."""
    rows = (await session.exec(select(Blocker.id, Blocker.reported_at, Blocker.team_id, Blocker.user_id).where(
        Blocker.project_id.is_not(None), Blocker.resolved_at.is_(None), Blocker.escalated_at.is_(None),  # type: ignore[union-attr]
        Blocker.reported_at <= now - timedelta(days=after_days)).order_by(Blocker.id))).all()
    candidates = [r for r in rows if working_days(r[1].date(), now.date()) > after_days]
    due = []
    for team_id in {r[2] for r in candidates}:
        mine = [r for r in candidates if r[2] == team_id]
        book = await TimeOffBook.load(session, team_id, [r[3] for r in mine])
        zones = await _zones(session, team_id, [r[3] for r in mine])
        for blocker_id, reported, _, user_id in mine:
            today = now.astimezone(zone(zones.get(user_id))).date()
            present = present_days(book, user_id, reported.date(), today)
            if book.off(user_id, today, now) is None and present > after_days:
                due.append(blocker_id)
    return sorted(due)


def present_days(book: TimeOffBook, user_id: str, start: date, end: date) -> int:
    """The owner's working days after `start` up to `end` that they were not off (at most a year looked at)."""
    days, day = 0, start
    for _ in range(min((end - start).days, 366)):
        day += timedelta(days=1)
        if book.works_on(user_id, day) and book.off(user_id, day) is None:
            days += 1
    return days


async def _zones(session: AsyncSession, team_id: str, user_ids: list[str]) -> dict[str, str]:
    return dict((await session.exec(select(Person.user_id, Person.tz).where(
        Person.team_id == team_id, Person.user_id.in_(user_ids)))).all())  # type: ignore[attr-defined]


async def back_on(session: AsyncSession, team_id: str, user_ids: Iterable[str], today: date) -> dict[str, date]:
    """Of these blocker owners, who is away today, and the day they are back."""
    ids = list(dict.fromkeys(user_ids))
    book = await TimeOffBook.load(session, team_id, ids, since=today)
    found = {u: book.back_on(u, today) for u in ids}
    return {u: d for u, d in found.items() if d is not None}


async def escalate(session: AsyncSession, renderer: Renderer, blocker_id: int, now: datetime) -> bool:
    """Tell the project's PMs, once: whoever sets `escalated_at` first queues the DMs (keys make them once-only)."""
    won = await session.exec(update(Blocker).where(  # type: ignore[call-overload]
        Blocker.id == blocker_id, Blocker.escalated_at.is_(None), Blocker.resolved_at.is_(None))  # type: ignore[union-attr]
        .values(escalated_at=now))
    if not won.rowcount:
        return False
    blocker = await session.get(Blocker, blocker_id)
    project = await session.get(Project, blocker.project_id) if blocker else None  # type: ignore[union-attr]
    if blocker is None or project is None:
        return False
    pm_ids = (await session.exec(select(ProjectMember.user_id).where(
        ProjectMember.project_id == project.id, ProjectMember.role == ProjectRole.PM))).all()
    message = escalation_message(renderer, blocker, project, now.date())
    for pm in dict.fromkeys(pm_ids):
        await enqueue(session, team_id=blocker.team_id, key=f"blocker:{blocker.id}:escalated:{pm}",
                      kind="blocker_escalated", channel=pm, message=message)
    return True


def escalation_message(renderer: Renderer, blocker: Blocker, project: Project, today: date) -> Message:
    return renderer.message("standups/blocker_escalated.json.j2", b=blocker, p=project, age=age_text(blocker, today))
