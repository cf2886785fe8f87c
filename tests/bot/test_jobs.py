"""Scheduled jobs through their public entry points: the profile refresh and the standup tick."""

import time
from datetime import UTC, datetime

import pytest

from bot.jobs import refresh_profiles
from bot.models import Person, Standup, StandupPrompt
from tests.conftest import EXEC, MEMBER, PM
from tests.handlers.standup_support import create_standup, tick, wait_prompt
from tests.handlers.test_projects import open_form
from tests.support import eventually, rows


async def test_time_zones_are_refreshed_and_one_failure_stops_nothing(slack, emulator, headway, clean_database):
    await create_standup(slack, emulator, [EXEC, MEMBER], PM)

    async def filled() -> bool:  # the form's own profile fill, after its ack, is done before Slack starts failing
        return all(p.profile_refreshed_at for p in await rows(clean_database, Person))
    await eventually(filled)
    emulator.users[EXEC].tz = "America/Los_Angeles"  # Eve moved
    emulator.fail_next("users.info", error="user_not_found")  # the first lookup fails
    refreshed = await refresh_profiles(headway.hw)
    zones = {p.user_id: p.tz for p in await rows(clean_database, Person)}
    assert refreshed == len(zones) - 1
    assert zones[MEMBER] == "Asia/Kolkata"
    assert zones[EXEC] in ("America/Los_Angeles", "Europe/Berlin")  # unless hers was the failing lookup
    await refresh_profiles(headway.hw)
    assert {p.user_id: p.tz for p in await rows(clean_database, Person)}[EXEC] == "America/Los_Angeles"


@pytest.mark.real_pace
async def test_a_rate_limited_lookup_waits_out_retry_after_and_the_rest_go_on(
        slack, emulator, headway, clean_database):
    await create_standup(slack, emulator, [EXEC, MEMBER], PM)

    async def profiles_filled() -> bool:  # the fill after the form reads users.info too: let it finish first
        return all(p.profile_refreshed_at for p in await rows(clean_database, Person))

    await eventually(profiles_filled)
    emulator.users[MEMBER].tz = "Asia/Tokyo"
    emulator.fail_next("users.info", status=429, retry_after=1)  # the first lookup is rate limited
    started = time.monotonic()
    refreshed = await refresh_profiles(headway.hw)
    assert time.monotonic() - started >= 0.9  # Retry-After honoured before the next lookup
    zones = {p.user_id: p.tz for p in await rows(clean_database, Person)}
    assert refreshed == len(zones) - 1
    assert zones[MEMBER] in ("Asia/Tokyo", "Asia/Kolkata")  # unless his was the rate-limited lookup


async def test_schedule_changes_apply_without_a_restart(slack, emulator, headway, clock, clean_database):
    await create_standup(slack, emulator, [EXEC], PM)
    clock.set(datetime(2026, 11, 23, 7, 0, tzinfo=UTC))  # 08:00 in Berlin: before 09:30
    await tick(headway, clock)
    assert await rows(clean_database, StandupPrompt) == []
    view_id = await open_form(slack, emulator, PM, "edit fraud-team", command="/standup")
    result = await slack.view_submission(PM, view_id, {"local_time": "07:45"})
    assert result.status == 200 and not result.body
    assert [s.local_time for s in await rows(clean_database, Standup)] == ["07:45"]
    await tick(headway, clock)
    await wait_prompt(emulator, EXEC)


async def test_new_york_prompts_follow_the_us_dst_change(slack, emulator, headway, clock, clean_database):
    await create_standup(slack, emulator, [PM], PM)
    clock.set(datetime(2026, 10, 30, 13, 29, tzinfo=UTC))  # Friday, EDT: 09:30 is 13:30 UTC
    await tick(headway, clock)
    assert await rows(clean_database, StandupPrompt) == []
    await tick(headway, clock, minutes=1)
    clock.set(datetime(2026, 11, 2, 13, 31, tzinfo=UTC))  # Monday, EST: 13:31 UTC is only 08:31
    await tick(headway, clock)
    assert len(await rows(clean_database, StandupPrompt)) == 1
    clock.set(datetime(2026, 11, 2, 14, 30, tzinfo=UTC))
    await tick(headway, clock)
    prompts = sorted(p.prompt_at for p in await rows(clean_database, StandupPrompt))
    assert prompts == [datetime(2026, 10, 30, 13, 30, tzinfo=UTC), datetime(2026, 11, 2, 14, 30, tzinfo=UTC)]
