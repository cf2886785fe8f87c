"""The public-holiday act of `headway demo`, played last: Lucas follows Brazil's public holidays, and on the next one
the standup leaves him out and says why, in the report and the stats.

It moves the story's clock forward to that holiday (weeks ahead at most), so it comes after every other act.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.demo.cast import CHANNEL, LUCAS, PRIYA
from bot.demo.stage import Stage
from bot.demo.standups import AT, CUTOFF_MINUTES, STANDUP, _blocks
from bot.jobs import standup_tick
from bot.people.time_off import holiday_on

REGION = "BR"


def next_holiday(after: date) -> tuple[date, str]:
    """The first weekday after `after` that is a public holiday in Brazil (there is one within a few months)."""
    day = after
    for _ in range(366):
        day += timedelta(days=1)
        name = holiday_on(REGION, day)
        if name and day.weekday() < 5:
            return day, name
    raise ValueError("no public holiday in a year")


async def public_holiday(story: Stage) -> None:
    clock = story.server.hw.clock
    zone = ZoneInfo(LUCAS.user.tz)
    story.out.step(f"{LUCAS.first_name} runs /standup holidays {REGION}")
    answer = await story.command(LUCAS, f"holidays {REGION}", command="/standup")
    story.out.ephemeral(LUCAS.first_name, answer)
    story.expect(answer, "public holidays of", f"{LUCAS.first_name}'s `/standup holidays {REGION}`")
    day, name = next_holiday(clock.now().astimezone(zone).date())
    story.out.say(f"Headway's public holidays come from the `holidays` package, in each person's own zone. The next "
                  f"one for {LUCAS.first_name} is {name} on {day:%a} {day.day} {day:%b}.")

    story.out.step(f"{day:%a} {day.day} {day:%b}, 09:30 in São Paulo: the scheduler ticks")
    clock.set(datetime.combine(day, AT, tzinfo=zone).astimezone(UTC))  # type: ignore[attr-defined]
    tick = await standup_tick(story.server.hw)
    if tick.failed or tick.away < 1:
        raise story.failure(f"on {name} {LUCAS.first_name} was not left out of the standup")
    story.out.say(f"No prompt for {LUCAS.first_name} today, and no reminder: it is {name} where he lives. Ada's "
                  "status still says she is on vacation, so she is not asked either. (This short act plays only "
                  "São Paulo's morning: Kenji's and Priya's are left out of the story.)")

    mark = len(story.emu.calls)
    new_york = ZoneInfo(PRIYA.user.tz)
    cutoff = datetime.combine(day, AT, tzinfo=new_york) + timedelta(minutes=CUTOFF_MINUTES)
    story.out.step(f"{cutoff.astimezone(zone):%H:%M} in São Paulo: the cutoff")
    clock.set(cutoff.astimezone(UTC))  # type: ignore[attr-defined]
    if (await standup_tick(story.server.hw)).failed:
        raise story.failure("the standup tick at the holiday's cutoff failed")
    updates = await story.wait_for(lambda: [c for c in story.emu.calls[mark:] if c.method == "chat.update" and c.ok
                                            and c.params.get("channel") == CHANNEL.id], "the holiday's report")
    message = _blocks(updates[-1])
    story.expect(message, f"@{LUCAS.handle} (public holiday: {name})", "the report on the holiday")
    story.expect(message, "everyone is away", "the report on the holiday")
    story.out.message_as(f"The {STANDUP} report in #{CHANNEL.name} reads:", message)

    story.out.step(f"{PRIYA.first_name} runs /standup stats")
    stats = await story.command(PRIYA, "stats", command="/standup")
    story.out.ephemeral(PRIYA.first_name, stats)
    story.expect(stats, "1 away", f"{PRIYA.first_name}'s `/standup stats`")
    story.out.say(f"{LUCAS.first_name}'s holiday counts neither as answered nor as missed: only days people were "
                  "expected count.")


__all__ = ["public_holiday"]
