"""The standup tick: prompt who is due, remind who has not answered, close runs at their cutoff.

Runs every minute (and after a restart). Everything it sends goes through the outbox under a key
made of standup, date, person and kind, so a second tick or a second replica adds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import insert_many_or_ignore, insert_or_ignore
from bot.delivery.outbox import Outgoing, enqueue, enqueue_many
from bot.ids import ActionId
from bot.models import (
    OutboxMethod,
    Person,
    PromptStatus,
    Standup,
    StandupAway,
    StandupParticipant,
    StandupPrompt,
    StandupRun,
)
from bot.people.time_off import Off, TimeOffBook
from bot.render import Message, Renderer
from bot.standups import blockers, settled
from bot.standups.report import run_key, summarize
from bot.standups.schedule import PromptTimes, due_prompt, parse_time, person_weekdays, prompt_times, zone
from bot.standups.service import StandupDetails, participants_of

__all__ = ["participants_of"]  # the tick reads a standup's people before planning it

log = logging.getLogger(__name__)


@dataclass
class TickResult:
    prompted: int = 0
    reminded: int = 0
    closed: int = 0
    failed: int = 0
    away: int = 0  # people off (time off) who would have been prompted


async def time_off_book(session: AsyncSession, standup: Standup, user_ids: Iterable[str],
                        since: date) -> TimeOffBook:
    """Who is off when, for this standup's people (its holiday region for those without their own)."""
    return await TimeOffBook.load(session, standup.team_id, user_ids, standup_id=standup.id,
                                  region=standup.holiday_region, since=since)


async def prompt_people(
    session: AsyncSession, renderer: Renderer, details: StandupDetails, due: list[tuple[Participant, PromptTimes]],
    now: datetime,
) -> int:
    """Create the runs (and their report parents) and the prompts of whoever has none yet; returns how many.

    In bulk — one query per run for who already has a prompt, one insert for the prompts and one for their
    messages — so prompting a thousand people is a handful of statements, not thousands. The prompt DM is the
    same for everyone in a run (its buttons name the run), so it is rendered once per run.
    A prompt sent late (after downtime) still gets its full reminder delay, unless the cutoff comes first.
    """
    standup = details.standup
    runs: dict[date, StandupRun] = {}
    prompted_in: dict[int, set[str]] = {}
    rendered: dict[int, Message] = {}
    prompts: list[dict[str, object]] = []
    messages: list[Outgoing] = []
    runs_by_id: dict[int, StandupRun] = {}
    for person, times in due:
        if times.local_date not in runs:
            runs[times.local_date] = run = await _ensure_run(session, renderer, details, times)
            prompted_in[run.id] = set((await session.exec(select(StandupPrompt.user_id).where(  # type: ignore[arg-type]
                StandupPrompt.run_id == run.id))).all())
            rendered[run.id] = prompt_message(renderer, standup, run)  # type: ignore[index]
            runs_by_id[run.id] = run  # type: ignore[index]
        run = runs[times.local_date]
        if person.user_id in prompted_in[run.id]:
            continue
        prompted_in[run.id].add(person.user_id)
        prompts.append(dict(
            team_id=standup.team_id, run_id=run.id, standup_id=standup.id, user_id=person.user_id, tz=person.tz,
            prompt_at=times.prompt_at, remind_at=max(times.remind_at, now + (times.remind_at - times.prompt_at)),
            cutoff_at=times.cutoff_at, status=PromptStatus.PROMPTED))
        messages.append(Outgoing(
            team_id=standup.team_id, key=f"{run_key(standup.id, run.run_date)}:{person.user_id}:prompt",
            kind="standup_prompt", channel=person.user_id, message=rendered[run.id]))  # type: ignore[index]
    await insert_many_or_ignore(session, StandupPrompt, ["run_id", "user_id"], prompts)
    by_run: dict[int, list[str]] = {}
    for prompt in prompts:  # "Still blocked by …?" right after the prompt, for whoever has open blockers
        by_run.setdefault(prompt["run_id"], []).append(str(prompt["user_id"]))  # type: ignore[arg-type]
    for run_id, people_here in by_run.items():
        run = runs_by_id[run_id]
        still = await blockers.open_blockers(session, standup.team_id, people_here)
        messages += blockers.still_blocked_messages(renderer, still, run_key(standup.id, run.run_date), run.run_date)
    await enqueue_many(session, messages)
    return len(prompts)


def prompt_message(renderer: Renderer, standup: Standup, run: StandupRun, *, reminder: bool = False) -> Message:
    """The run's prompt (or reminder) DM: the same for everyone in the run."""
    return renderer.message("standups/prompt.json.j2", standup=standup, run_id=run.id, run_date=run.run_date,
                            ids=ActionId, reminder=reminder)


async def _ensure_run(session: AsyncSession, renderer: Renderer, details: StandupDetails,
                      times: PromptTimes) -> StandupRun:
    standup = details.standup
    run = (await session.exec(select(StandupRun).where(
        StandupRun.standup_id == standup.id, StandupRun.run_date == times.local_date))).first()
    if run is not None:
        return run
    run = StandupRun(team_id=standup.team_id, standup_id=standup.id, run_date=times.local_date,
                     closes_at=await _closing_time(session, details, times))
    session.add(run)
    await session.flush()
    summary = await summarize(session, standup, run)
    await enqueue(session, team_id=standup.team_id, key=f"{run_key(standup.id, run.run_date)}:parent",
                  kind="standup_report", channel=standup.channel_id,
                  message=renderer.message("standups/report.json.j2", summary=summary, standup=standup))
    return run


async def _closing_time(session: AsyncSession, details: StandupDetails, times: PromptTimes) -> datetime:
    """A run closes at the latest cutoff among its participants for that local date."""
    standup = details.standup
    zones = set((await session.exec(select(Person.tz).where(
        Person.team_id == standup.team_id, Person.user_id.in_(details.participant_ids)))).all())  # type: ignore[attr-defined]
    at = parse_time(standup.local_time)
    cutoffs = [prompt_times(times.local_date, at, zone(tz), standup.reminder_minutes, standup.cutoff_minutes).cutoff_at
               for tz in zones or {"UTC"}]
    return max([*cutoffs, times.cutoff_at])


class Participant(NamedTuple):
    """What planning reads of a person: a standup of thousands holds these, not whole rows, until all are
    prompted (5,000 `Person` rows were 8 MiB at the peak of a fan-out, bench.memory)."""

    user_id: str
    tz: str
    deleted: bool
    is_bot: bool


@dataclass
class Plan:
    """This tick's work for one standup: who is due a prompt, and who would be but is off (with why)."""

    details: StandupDetails
    due: list[tuple[Participant, PromptTimes]] = field(default_factory=list)
    away: list[tuple[Participant, PromptTimes, Off]] = field(default_factory=list)


async def due_prompts(session: AsyncSession, standup: Standup, now: datetime) -> Plan:
    """Who is due a prompt of this standup now (in their own zone, on its days and theirs), and who is off."""
    participant_ids = tuple((await session.exec(select(StandupParticipant.user_id).where(
        StandupParticipant.standup_id == standup.id))).all())
    plan = Plan(StandupDetails(standup, participant_ids))
    people = [Participant(*row) for row in (await session.exec(
        select(Person.user_id, Person.tz, Person.deleted, Person.is_bot).where(
            Person.team_id == standup.team_id, Person.user_id.in_(participant_ids)))).all()]  # type: ignore[attr-defined]
    at = parse_time(standup.local_time)
    holidays = plan.details.holidays
    book = await time_off_book(session, standup, participant_ids, now.date() - timedelta(days=2))
    for person in people:
        if person.deleted or person.is_bot:
            continue
        weekdays = person_weekdays(standup.weekdays, book.workdays(person.user_id),
                                   book.has_own_workdays(person.user_id))
        times = due_prompt(now, person.tz, weekdays, at, standup.reminder_minutes, standup.cutoff_minutes, holidays)
        if times is None:
            continue
        off = book.off(person.user_id, times.local_date, times.prompt_at)
        if off is None:
            plan.due.append((person, times))
        else:
            plan.away.append((person, times, off))
    return plan


async def record_away(session: AsyncSession, renderer: Renderer, details: StandupDetails,
                      away: list[tuple[Participant, PromptTimes, Off]]) -> int:
    """Note who is off in their run (created if need be, so the report can say so): no prompt, no reminder,
    listed as away with the reason, never counted. Someone already prompted in that run keeps their prompt."""
    standup = details.standup
    runs: dict[date, StandupRun] = {}
    taken: dict[int, set[str]] = {}
    rows: list[dict[str, object]] = []
    for person, times, off in away:
        if times.local_date not in runs:
            runs[times.local_date] = run = await _ensure_run(session, renderer, details, times)
            taken[run.id] = set((await session.exec(select(StandupPrompt.user_id).where(  # type: ignore[index]
                StandupPrompt.run_id == run.id))).all()) | set((await session.exec(select(StandupAway.user_id).where(
                    StandupAway.run_id == run.id))).all())
        run = runs[times.local_date]
        if person.user_id in taken[run.id]:  # type: ignore[index]
            continue
        taken[run.id].add(person.user_id)  # type: ignore[index]
        rows.append(dict(team_id=standup.team_id, run_id=run.id, standup_id=standup.id, user_id=person.user_id,
                         reason=off.reason[:200], until=off.until))
    await insert_many_or_ignore(session, StandupAway, ["run_id", "user_id"], rows)
    return len(rows)


async def send_reminders(session: AsyncSession, renderer: Renderer, now: datetime) -> int:
    due = (await session.exec(select(StandupPrompt, Standup).join(Standup, Standup.id == StandupPrompt.standup_id)
                              .where(StandupPrompt.status == PromptStatus.PROMPTED,
                                     StandupPrompt.reminded_at.is_(None),  # type: ignore[union-attr]
                                     StandupPrompt.remind_at <= now, StandupPrompt.cutoff_at > now))).all()
    books: dict[int, TimeOffBook] = {}
    for standup in {standup.id: standup for _, standup in due}.values():
        books[standup.id] = await time_off_book(  # type: ignore[index]
            session, standup, [p.user_id for p, s in due if s.id == standup.id], now.date() - timedelta(days=2))
    reminded = 0
    for prompt, standup in due:
        run = await session.get(StandupRun, prompt.run_id)
        off = books[standup.id].off(prompt.user_id, run.run_date, now)  # type: ignore[index, union-attr]
        if off is not None:  # off since the prompt (a status set at lunch): no reminder, and not "didn't answer"
            prompt.status = PromptStatus.SKIPPED
            session.add(prompt)
            await insert_or_ignore(session, StandupAway, ["run_id", "user_id"], team_id=standup.team_id,
                                   run_id=run.id, standup_id=standup.id, user_id=prompt.user_id,  # type: ignore[union-attr]
                                   reason=off.reason[:200], until=off.until)
            continue
        reminded += 1
        message = prompt_message(renderer, standup, run, reminder=True)
        await enqueue(session, team_id=standup.team_id,
                      key=f"{run_key(standup.id, run.run_date)}:{prompt.user_id}:reminder",
                      kind="standup_reminder", channel=prompt.user_id, message=message)
        prompt.reminded_at = now
        session.add(prompt)
    await session.flush()
    return reminded


async def close_runs(session: AsyncSession, renderer: Renderer, now: datetime) -> int:
    runs = (await session.exec(select(StandupRun, Standup).join(Standup, Standup.id == StandupRun.standup_id)
                               .where(StandupRun.closed_at.is_(None), StandupRun.closes_at <= now))).all()  # type: ignore[union-attr]
    for run, standup in runs:
        waiting = (await session.exec(select(StandupPrompt).where(
            StandupPrompt.run_id == run.id, StandupPrompt.status == PromptStatus.PROMPTED))).all()
        for prompt in waiting:
            prompt.status = PromptStatus.MISSED
            session.add(prompt)
        run.closed_at = now
        session.add(run)
        await session.flush()
        await refresh_report(session, renderer, standup, run, reason="closed")
        await settled.closed(session, renderer, standup, run, now)
    return len(runs)


async def refresh_report(session: AsyncSession, renderer: Renderer, standup: Standup, run: StandupRun,
                         reason: str) -> None:
    """Update the run's parent message in place; `reason` makes the outbox key unique per change.

    Refreshes of one run take turns (the run's row locked): each sees the answers saved by the ones before it, so
    the newest refresh — the one sent when waiting refreshes supersede each other — is complete. FOR NO KEY UPDATE:
    the answers' foreign keys share-lock the run's key, and a plain FOR UPDATE deadlocked two answers."""
    await session.exec(select(StandupRun.id).where(StandupRun.id == run.id).with_for_update(key_share=True))
    summary = await summarize(session, standup, run)
    key = run_key(standup.id, run.run_date)
    await enqueue(session, team_id=standup.team_id, key=f"{key}:parent:{reason}", kind="standup_report_update",
                  channel=standup.channel_id, method=OutboxMethod.UPDATE, target_key=f"{key}:parent",
                  message=renderer.message("standups/report.json.j2", summary=summary, standup=standup))


async def standup_zone(session: AsyncSession, standup: Standup) -> str:
    """The standup's own time zone, which dates its runs and reports: as set, else its creator's, else UTC."""
    if standup.tz:
        return standup.tz
    if standup.created_by:
        tz = (await session.exec(select(Person.tz).where(Person.team_id == standup.team_id,
                                                         Person.user_id == standup.created_by))).first()
        if tz:
            return tz
    return "UTC"


async def run_now(session: AsyncSession, renderer: Renderer, details: StandupDetails, now: datetime) -> int:
    """`/standup run NAME now`: prompt everyone at once, with the usual reminder and cutoff from now.

    One run, so one report message: dated in the standup's own zone (`standup_zone`), whatever zones its people
    are in (Los Angeles is still on yesterday when Berlin is on today). Absences are checked on each person's date.
    """
    standup = details.standup
    run_date = now.astimezone(zone(await standup_zone(session, standup))).date()
    people = (await session.exec(select(Person).where(
        Person.team_id == standup.team_id, Person.user_id.in_(details.participant_ids)))).all()  # type: ignore[attr-defined]
    due: list[tuple[Person, PromptTimes]] = []
    away: list[tuple[Person, PromptTimes, Off]] = []
    book = await time_off_book(session, standup, details.participant_ids, now.date() - timedelta(days=2))
    for person in people:
        times = PromptTimes(local_date=run_date, prompt_at=now,
                            remind_at=now + timedelta(minutes=standup.reminder_minutes),
                            cutoff_at=now + timedelta(minutes=standup.cutoff_minutes))
        off = book.off(person.user_id, now.astimezone(zone(person.tz)).date(), now)
        if off is None:
            due.append((person, times))
        else:
            away.append((person, times, off))
    count = await prompt_people(session, renderer, details, due, now)
    await record_away(session, renderer, details, away)
    return count
