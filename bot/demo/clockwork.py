"""The playground's clock control: move Headway's `ManualClock` and run the scheduled jobs that are due there.

`headway playground` runs Headway with its scheduler off, like the demo; this does the scheduler's work at the
moments a visitor picks — the next scheduled moment (`bot.demo.moments`), an hour later in the scheduler's own
5-minute steps, or Monday 08:30 in the exec's zone — so standups, reminders, cutoffs, gate deadlines and the weekly
digest happen in front of them, through the same jobs (`bot.jobs`) the real scheduler runs.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import Headway
from bot.clock import ManualClock
from bot.demo.moments import on_the_minute, upcoming
from bot.jobs import canvas_tick, gate_prompts, gate_tick, send_due_digests, standup_tick
from bot.render.formatting import count

STEP = timedelta(minutes=5)
HORIZON = timedelta(days=8)  # "next tick" looks a week ahead: Friday evening's next tick is Monday's standup


def next_weekday_at(now: datetime, weekday: int, at: time, tz: str) -> datetime:
    """The first `weekday` at `at` in zone `tz` strictly after `now` (weekday: Monday is 0)."""
    zone = ZoneInfo(tz)
    day = now.astimezone(zone).date()
    day += timedelta(days=(weekday - day.weekday()) % 7)
    moment = datetime.combine(day, at, tzinfo=zone)
    if moment <= now:
        moment = datetime.combine(day + timedelta(days=7), at, tzinfo=zone)
    return moment.astimezone(UTC)


class Clockwork:
    """Implements the playground's `ClockControl` for a Headway running on a `ManualClock`."""

    def __init__(self, hw: Headway, reader: tuple[str, str] = ("Elena", "Europe/Madrid")) -> None:
        if not isinstance(hw.clock, ManualClock):
            raise ValueError("the playground's clock control needs Headway on a ManualClock")
        self.hw, self.clock = hw, hw.clock
        self.reader_name, self.reader_tz = reader

    def describe(self) -> dict[str, Any]:
        now = self.clock.now()
        return {"now": now.isoformat(), "label": f"{now:%a %d %b, %H:%M} UTC",
                "ops": [{"op": "tick", "label": "⏭ Next tick",
                         "title": "Advance to the next scheduled tick at which Headway has something to do"},
                        {"op": "hour", "label": "+1 hour", "title": "One hour later, running every job due on the way"},
                        {"op": "monday", "label": f"Monday 08:30, {self.reader_name}",
                         "title": f"Jump to Monday 08:30 in {self.reader_name}'s zone ({self.reader_tz}): "
                                  "the weekly digest"}]}

    async def move(self, op: str) -> dict[str, Any]:
        """Move the clock as `op` says; return what the jobs did and the new time."""
        if op == "tick":
            done = await self._until_something()
        elif op == "hour":
            done = await self._walk(self.clock.now() + timedelta(hours=1))
        elif op == "monday":
            target = next_weekday_at(self.clock.now(), 0, time(8, 30), self.reader_tz)
            self.clock.set(target)
            done = await self.run_due(hourly=True)
        else:
            raise ValueError("op must be one of tick, hour, monday")
        return {"did": done, "said": said(done), "clock": self.describe()}

    async def _until_something(self) -> dict[str, int]:
        """Jump from one scheduled moment to the next until a job does something (at most a week ahead); with
        nothing scheduled, one minute passes."""
        for moment in await upcoming(self.hw, self.clock.now(), HORIZON):
            before = self.clock.now()
            self.clock.set(on_the_minute(moment))
            done = await self.run_due(hourly=self.clock.now().hour != before.hour or
                                      self.clock.now() - before >= timedelta(hours=1))
            if done:
                return done
        self.clock.set(on_the_minute(self.clock.now() + timedelta(minutes=1)))
        return await self.run_due()

    async def _walk(self, target: datetime) -> dict[str, int]:
        total: dict[str, int] = {}
        while self.clock.now() < target:
            self.clock.set(min(_next_step(self.clock.now()), target))
            for key, amount in (await self.run_due()).items():
                total[key] = total.get(key, 0) + amount
        return total

    async def run_due(self, hourly: bool = False) -> dict[str, int]:
        """Run the jobs the scheduler would run at this minute (`hourly`: also the hourly one, as when the clock
        jumped over an hour's start); counts of what each did."""
        now = self.clock.now()
        standups = await standup_tick(self.hw)
        done = {"standup prompts": standups.prompted, "reminders": standups.reminded,
                "standups closed": standups.closed, "digests": await send_due_digests(self.hw)}
        gates = await gate_tick(self.hw)  # every 5 minutes in the scheduler; the jumps here are rarely shorter
        done.update({"gates closed": gates.closed, "gate reminders": gates.reminded})
        done["canvases rewritten"] = (await canvas_tick(self.hw))["queued"]  # every 2 minutes in the scheduler
        if now.minute == 0 or hourly:
            prompts = await gate_prompts(self.hw)
            done["kill/continue prompts"] = prompts.prompted
        return {key: count for key, count in done.items() if count}


NOUNS = {"standup prompts": "standup prompt", "reminders": "reminder", "standups closed": "standup closed",
         "digests": "digest", "gates closed": "gate closed", "gate reminders": "gate reminder",
         "kill/continue prompts": "kill/continue prompt"}


def said(done: dict[str, int]) -> str:
    """What the jobs did, for the page's toast: "1 digest, 2 standup prompts" (counts and nouns agree)."""
    return ", ".join(count(n, NOUNS.get(what, what), what) for what, n in done.items())


def _next_step(now: datetime) -> datetime:
    """The next multiple of five minutes after `now` (the scheduler's minute ticks, five at a time)."""
    base = now.replace(second=0, microsecond=0)
    return base + STEP - timedelta(minutes=base.minute % 5)
