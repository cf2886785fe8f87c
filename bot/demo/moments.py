"""When Headway next has something to do: the moments "next scheduled tick" jumps to in the playground.

Walking the clock a minute at a time would find them too, but slowly (a day is 1,440 ticks of four jobs); these
are read from the same schedule the jobs use — each standup's prompt, reminder and cutoff in each participant's
zone, each digest's send time in its reader's zone, each open gate's deadline — and the jobs then decide.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select

from bot.app import Headway
from bot.digests import service as digests
from bot.models import Gate, GateStatus, Person, Standup, StandupParticipant
from bot.standups.schedule import local_instant, parse_time, parse_weekdays, prompt_times, zone


async def upcoming(hw: Headway, now: datetime, horizon: timedelta) -> list[datetime]:
    """Every scheduled moment in (now, now + horizon], earliest first."""
    until = now + horizon
    found: set[datetime] = set()
    async with hw.db.unit_of_work() as session:
        zones = {(p.team_id, p.user_id): p.tz for p in (await session.exec(select(Person))).all()}
        standups = (await session.exec(select(Standup).where(Standup.paused.is_(False)))).all()  # type: ignore[attr-defined]
        for standup in standups:
            members = (await session.exec(select(StandupParticipant.user_id).where(
                StandupParticipant.standup_id == standup.id))).all()
            weekdays, at = parse_weekdays(standup.weekdays), parse_time(standup.local_time)
            for tz in {zones.get((standup.team_id, m), "UTC") for m in members}:
                local_today = now.astimezone(zone(tz)).date()
                for offset in range(-1, horizon.days + 2):
                    day = local_today + timedelta(days=offset)
                    if day.weekday() in weekdays:
                        times = prompt_times(day, at, zone(tz), standup.reminder_minutes, standup.cutoff_minutes)
                        found.update((times.prompt_at, times.remind_at, times.cutoff_at))
        for sub in await digests.subscriptions(session):
            tz = zone(zones.get((sub.team_id, sub.user_id), "UTC"))
            local_today = now.astimezone(tz).date()
            for offset in range(horizon.days + 8):
                day = local_today + timedelta(days=offset)
                if day.weekday() == sub.weekday:
                    found.add(local_instant(day, parse_time(sub.local_time), tz))
        deadlines = (await session.exec(select(Gate.deadline_at).where(Gate.status == GateStatus.OPEN))).all()
        found.update(deadlines)
    return sorted(moment for moment in found if now < moment <= until)


def on_the_minute(moment: datetime) -> datetime:
    """The scheduler's every-minute tick at or after `moment`."""
    whole = moment.replace(second=0, microsecond=0)
    return whole if whole == moment else whole + timedelta(minutes=1)
