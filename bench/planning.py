"""Planning a standup of N people with and without time off (`python -m bench.fanout --planning 5000`).

Two fresh workspaces of N people (emulator in its own process, Slack's rate limits on; SQLite, or PostgreSQL with
HEADWAY_BENCH_DATABASE_URL), each with a daily standup due now. *Without*: nothing configured, as before time off
existed (statuses read and empty). *With*: the workspace's own away rules, the standup following US holidays,
10% of people on vacation by Slack status, 10% working Sun–Thu, 10% following DE-BY holidays, 5% with a calendar
feed marking today off, 5% away by `/standup away`, and 20 people whose status Headway has never seen (read at
planning time, paced, through users.info). The time is one standup tick in-process (read unknown statuses, plan,
record who is away, queue every prompt in the outbox); nothing is sent. Goal: with ≤ 1.2× without. Loading the
`holidays` package (once per process, ~0.3–1 s) is done before the clock starts and printed on its own.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import aiohttp

from bench.common import TEAM_ID, migrated_database, seed_standup, settings_for, start_emulator, workdir

GOAL = 1.2
UNKNOWN = 20


async def _slack_calls(emulator_url: str) -> Counter[str]:
    base = emulator_url.removesuffix("/api/").removesuffix("/api")
    async with aiohttp.ClientSession() as session, session.get(f"{base}/_emulator/calls") as answer:
        calls = (await answer.json())["calls"]
    return Counter(c["method"] for c in calls)


async def _add_time_off(settings, users: list[str]) -> None:
    from sqlmodel import select

    from bot.app import build_headway
    from bot.models import Absence, AbsenceKind, AwayRules, CalendarFeed, PersonWeek, Standup
    from bot.people.time_off import DEFAULT_EMOJIS, DEFAULT_WORDS, Period, dump_periods

    hw = build_headway(settings)
    today = datetime.now(UTC).date()
    try:
        async with hw.db.unit_of_work() as session:
            session.add(AwayRules(team_id=TEAM_ID, emojis="\n".join(DEFAULT_EMOJIS),
                                  words="\n".join((*DEFAULT_WORDS, "conference"))))
            standup = (await session.exec(select(Standup))).one()
            standup.holiday_region = "US"
            session.add(standup)
            weeks = {w.user_id: w for w in (await session.exec(select(PersonWeek))).all()}
            for n, user_id in enumerate(users):
                week = weeks[user_id]
                if n % 10 == 1:
                    week.status_text, week.status_emoji = "On vacation", ":palm_tree:"
                if n % 10 == 2:
                    week.workdays = "sun,mon,tue,wed,thu"
                if n % 10 == 3:
                    week.holiday_region = "DE-BY"
                if n < UNKNOWN:
                    week.status_seen_at = None
                session.add(week)
                if n % 20 == 4:
                    session.add(CalendarFeed(team_id=TEAM_ID, user_id=user_id, url="https://calendar.invalid/x.ics",
                                             url_hint="https://calendar.invalid/…", periods=dump_periods(
                                                 [Period(today - timedelta(days=1), today + timedelta(days=2),
                                                         "Out of office", False)]),
                                             next_fetch_at=datetime.now(UTC) + timedelta(hours=1)))
                if n % 20 == 5:
                    session.add(Absence(team_id=TEAM_ID, user_id=user_id, kind=AbsenceKind.AWAY, start_date=today,
                                        end_date=today + timedelta(days=3)))
    finally:
        await hw.db.dispose()


async def plan_once(size: int, with_time_off: bool) -> dict:
    from bot.app import build_headway
    from bot.jobs import standup_tick
    from bot.people.time_off import holiday_on

    directory = workdir(f"planning{size}{'-off' if with_time_off else ''}")
    users = [f"UPLAN{i:05d}" for i in range(size)]
    emulator = await start_emulator(directory, users)
    try:
        db = await migrated_database(directory)
        settings = settings_for(db, emulator.url)
        await seed_standup(settings, users)
        if with_time_off:
            await _add_time_off(settings, users)
        before = await _slack_calls(emulator.url)
        hw = build_headway(settings)
        try:
            warmed = time.perf_counter()
            holiday_on("US", datetime.now(UTC).date())  # a running Headway loaded the holidays package long ago
            warm_s = time.perf_counter() - warmed
            started = time.perf_counter()
            result = await standup_tick(hw)
            elapsed = time.perf_counter() - started
        finally:
            await hw.gateway.client.aclose()
            await hw.db.dispose()
        calls = await _slack_calls(emulator.url) - before
    finally:
        await emulator.stop()
    return {"size": size, "time_off": with_time_off, "plan_s": elapsed, "load_holidays_s": warm_s,
            "prompted": result.prompted,
            "away": result.away, "slack_calls": dict(calls)}


async def compare(size: int) -> list[dict]:
    """Prints and returns both runs and their ratio."""
    without = await plan_once(size, False)
    print(json.dumps(without), flush=True)
    with_off = await plan_once(size, True)
    print(json.dumps(with_off), flush=True)
    ratio = with_off["plan_s"] / without["plan_s"]
    print(f"planning {size:,} people: without time off {without['plan_s']:.2f} s ({without['prompted']} prompted), "
          f"with time-off rules {with_off['plan_s']:.2f} s ({with_off['prompted']} prompted, {with_off['away']} "
          f"away, Slack status reads {with_off['slack_calls']}): {ratio:.2f}× "
          f"({'within' if ratio <= GOAL else 'over'} the {GOAL}× goal)", flush=True)
    return [without, with_off]
