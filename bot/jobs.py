"""Scheduled work. Each job opens one unit of work per item, so one bad row never stops the rest."""

from __future__ import annotations

import asyncio
import logging

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlmodel import select

from bot.app import Headway
from bot.delivery.errors import RateLimited, SlackUnavailable
from bot.delivery.tokens import acting_for
from bot.experiments import mlflow
from bot.gates import tick as gate_jobs
from bot.models import Person, Standup, utcnow
from bot.people import statuses
from bot.people.fill import fill_unfilled
from bot.people.profile import UnknownUser
from bot.standups import planner

log = logging.getLogger(__name__)


PROMPT_CHUNK = 200


async def standup_tick(hw: Headway) -> planner.TickResult:
    """Prompt who is due, remind who has not answered, close runs past their cutoff."""
    now = hw.clock.now()
    result = planner.TickResult()
    async with hw.db.unit_of_work() as session:
        standup_ids = (await session.exec(
            select(Standup.id).where(Standup.paused.is_(False)))).all()  # type: ignore[attr-defined]
        unfilled = (await session.exec(select(Person.team_id).where(
            Person.profile_refreshed_at.is_(None), Person.deleted.is_(False)).distinct())).all()  # type: ignore[union-attr]
    for team_id in unfilled:  # people added by a form whose time zones are not read yet: before planning
        try:
            with acting_for(team_id):  # its token and budget
                await fill_unfilled(hw.db, team_id, hw.gateway.profiles)
        except Exception:
            log.exception("filling profiles for %s failed", team_id)
    plans = []  # (standup id, details, who is due) of each standup: planned here, prompted below
    for standup_id in standup_ids:
        try:
            async with hw.db.unit_of_work() as session:
                standup = await session.get(Standup, standup_id)
                if standup is None or standup.paused:
                    continue
                team_id, participants = standup.team_id, await planner.participants_of(session, standup.id)
            # Statuses Headway has never seen (people added before it read them): one paced users.list walk, with
            # the standup's workspace's token and budget
            with acting_for(team_id):
                await statuses.read_unknown(hw.db, team_id, participants, hw.gateway.profiles)
            async with hw.db.unit_of_work() as session:
                standup = await session.get(Standup, standup_id)
                if standup is None:
                    continue
                plan = await planner.due_prompts(session, standup, now)
                details, due = plan.details, plan.due
                if plan.away:
                    result.away += await planner.record_away(session, hw.renderer, details, plan.away)
            if due:
                plans.append((standup_id, details, due))
        except Exception:
            log.exception("planning standup %s failed", standup_id)
            result.failed += 1
    # A few hundred people per transaction, the standups taking turns: the outbox starts sending each one's first
    # prompts while the rest are written (each workspace spends a budget of its own, so one standup's thousands
    # do not make another's wait), and a failure part-way leaves the rest to the next tick (prompts and keys are
    # unique).
    failed: set[int] = set()
    for start in range(0, max((len(due) for _, _, due in plans), default=0), PROMPT_CHUNK):
        for standup_id, details, due in plans:
            if standup_id in failed or start >= len(due):
                continue
            try:
                async with hw.db.unit_of_work() as session:
                    result.prompted += await planner.prompt_people(session, hw.renderer, details,
                                                                   due[start:start + PROMPT_CHUNK], now)
                hw.deliver()
            except Exception:
                log.exception("prompting standup %s failed", standup_id)
                result.failed += 1
                failed.add(standup_id)
    for step in (planner.send_reminders, planner.close_runs):
        try:
            async with hw.db.unit_of_work() as session:
                count = await step(session, hw.renderer, now)
            if step is planner.send_reminders:
                result.reminded += count
            else:
                result.closed += count
        except Exception:
            log.exception("standup step %s failed", step.__name__)
            result.failed += 1
    hw.deliver()
    return result


async def refresh_profiles(hw: Headway) -> int:
    """Time zones change (travel, moves): refresh everyone's profile from users.info once a day."""
    async with hw.db.unit_of_work() as session:
        people = (await session.exec(select(Person.id, Person.user_id, Person.team_id).where(
            Person.deleted.is_(False)))).all()  # type: ignore[attr-defined]
    refreshed = 0
    for person_id, user_id, team_id in people:
        asked = utcnow()
        try:
            with acting_for(team_id):
                profile = await hw.gateway.profile(user_id)
        except RateLimited as error:
            await asyncio.sleep(error.retry_after)
            continue
        except (SlackUnavailable, UnknownUser) as error:
            log.warning("users.info for %s failed: %s", user_id, error)
            continue
        async with hw.db.unit_of_work() as session:
            person = await session.get(Person, person_id)
            if person is not None:
                person.tz, person.real_name, person.deleted = profile.tz, profile.real_name, profile.deleted
                person.profile_refreshed_at = utcnow()
                session.add(person)
                await statuses.record_profiles(session, person.team_id, [profile], asked)
                refreshed += 1
    return refreshed


def schedule_all(hw: Headway) -> None:
    hw.scheduler.add("standups", lambda: standup_tick(hw), IntervalTrigger(seconds=60))
    hw.scheduler.add("mlflow", lambda: mlflow.sync_all(hw), IntervalTrigger(hours=1))
    hw.scheduler.add("digests", lambda: send_due_digests(hw), IntervalTrigger(seconds=60))
    hw.scheduler.add("profiles", lambda: refresh_profiles(hw), CronTrigger(hour=3, minute=17), run_at_start=False)
    hw.scheduler.add("gates", lambda: gate_tick(hw), IntervalTrigger(minutes=5))
    hw.scheduler.add("gate_prompts", lambda: gate_prompts(hw), IntervalTrigger(hours=1))
    hw.scheduler.add("follow_through", lambda: follow_through(hw), IntervalTrigger(minutes=30))
    hw.scheduler.add("calendars", lambda: calendar_tick(hw), IntervalTrigger(minutes=5))
    hw.scheduler.add("canvases", lambda: canvas_tick(hw), IntervalTrigger(minutes=2))
    hw.scheduler.add("uninstalled_workspaces", lambda: delete_uninstalled(hw), IntervalTrigger(hours=6))


async def calendar_tick(hw: Headway) -> int:
    """Calendar feeds whose hour is up: read again through the outbound policy (bot.people.calendar_sync)."""
    from bot.people.calendar_sync import sync_due

    read = await sync_due(hw.db, hw.outbound, hw.renderer, hw.clock.now())
    hw.deliver()
    return read


async def delete_uninstalled(hw: Headway) -> int:
    """Workspaces uninstalled longer ago than HEADWAY_RETENTION_DAYS_AFTER_UNINSTALL lose all their data."""
    from bot.installs import delete_expired

    return await delete_expired(hw)


async def send_due_digests(hw: Headway) -> int:
    """Queue every digest that is due in its reader's time zone; each subscription in its own unit of work."""
    from bot.digests import service as digests
    from bot.models import OutboxMessage

    now = hw.clock.now()
    async with hw.db.unit_of_work() as session:
        subs = await digests.subscriptions(session)
        zones = {(p.team_id, p.user_id): p.tz for p in (await session.exec(select(Person))).all()}
    queued = 0
    for sub in subs:
        try:
            day = digests.due_date(sub, zones.get((sub.team_id, sub.user_id), "UTC"), now)
            if day is None:
                continue
            async with hw.db.unit_of_work() as session:
                target = sub.channel_id or sub.user_id
                key = f"digest:{sub.team_id}:{sub.kind}:{sub.user_id}:{target}:{day.isoformat()}"
                if (await session.exec(select(OutboxMessage.id).where(OutboxMessage.key == key))).first():
                    continue
                digest, message = await digests.build_digest(
                    session, hw.renderer, lambda p: hw.lifecycle(p.lifecycle), sub.team_id, sub.user_id,
                    sub.kind, day, await hw.decisions_for(session, sub.team_id, sub.user_id),
                    tz=zones.get((sub.team_id, sub.user_id), "UTC"))
            # The exec digest's trend chart is uploaded before queuing, outside any transaction (Slack calls never
            # hold one open). If we crash after the upload and before the queue commits, the next run uploads it
            # again: harmless, as the first file is private (completed without a channel) and no message shows it;
            # only the message must be sent once, and its outbox key (queued below, insert-or-nothing) sees to that.
            with acting_for(sub.team_id):
                message = await digests.with_trend_chart(hw.gateway.upload_file, hw.renderer, digest, sub.kind,
                                                         message)
            async with hw.db.unit_of_work() as session:
                queued += await digests.queue_digest(session, sub, message, day)
        except Exception:
            log.exception("digest for %s/%s failed", sub.team_id, sub.user_id)
    hw.deliver()
    return queued


async def gate_tick(hw: Headway) -> gate_jobs.GateTick:
    """Close gates at their deadline (also after downtime), nudge approvers, end holds."""
    return await gate_jobs.gate_tick(hw)


async def gate_prompts(hw: Headway) -> gate_jobs.GateTick:
    """Kill/continue prompts: stalled, overdue or past-kill-date projects; experiments past their timebox."""
    weeks = hw.settings.gate_stall_weeks
    return await gate_jobs.kill_continue_tick(hw, stall_weeks=weeks)


async def follow_through(hw: Headway) -> dict[str, int]:
    """Escalate blockers open too long; remind owners of gate conditions coming due and tell who must know when one
    is overdue. Each item in its own unit of work, so one bad row stops nothing."""
    from bot.gates import conditions
    from bot.standups import blockers

    now, done = hw.clock.now(), {"escalated": 0, "reminded": 0, "failed": 0}
    async with hw.db.unit_of_work() as session:
        to_escalate = await blockers.due_for_escalation(session, hw.settings.blocker_escalate_days, now)
        notices = await conditions.due_notices(session, now)
    for blocker_id in to_escalate:
        try:
            async with hw.db.unit_of_work() as session:
                done["escalated"] += await blockers.escalate(session, hw.renderer, blocker_id, now)
        except Exception:
            log.exception("escalating blocker %s failed", blocker_id)
            done["failed"] += 1
    for condition_id, overdue in notices:
        try:
            async with hw.db.unit_of_work() as session:
                done["reminded"] += await conditions.notify(session, hw.renderer, condition_id, overdue, now)
        except Exception:
            log.exception("condition %s notice failed", condition_id)
            done["failed"] += 1
    hw.deliver()
    return done


async def canvas_tick(hw: Headway) -> dict[str, int]:
    """Rewrite the canvases of projects whose dossier changed (one workspace at a time, bounded statements)."""
    from bot.canvases import service as canvases
    from bot.models import Project

    done = {"queued": 0, "failed": 0}
    async with hw.db.unit_of_work() as session:
        teams = (await session.exec(select(Project.team_id).where(Project.channel_id.is_not(None))  # type: ignore[union-attr]
                                    .distinct())).all()
    for team_id in teams:
        try:
            async with hw.db.unit_of_work() as session:
                projects = list((await session.exec(select(Project).where(Project.team_id == team_id))).all())
                done["queued"] += await canvases.refresh(session, hw.renderer, team_id, projects,
                                                         lambda p: hw.lifecycle(p.lifecycle), hw.clock.now())
        except Exception:
            log.exception("refreshing the canvases of %s failed", team_id)
            done["failed"] += 1
    if done["queued"]:
        hw.deliver()
    return done
