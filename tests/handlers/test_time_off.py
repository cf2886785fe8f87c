"""People's real week end to end: Slack statuses (by event, preset, expiring), a calendar feed on loopback, public
holidays (US, a German state), Sun–Thu working days — each skips exactly the right prompts and shows in the report
and the stats with its reason; bad input is answered and changes nothing."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from aiohttp import web

from bot.models import CalendarFeed, Person, PersonWeek, StandupAway, StandupPrompt
from tests.conftest import ADMIN, CHANNEL, EXEC, MEMBER, PM
from tests.handlers.standup_support import create_standup, dms_to, tick
from tests.support import all_text, eventually, rows

SECRET = "s3cr3t-token-abc123"


@pytest.fixture
def settings(settings):
    """Calendar feeds are served on loopback here: the operator allows it, as HEADWAY_OUTBOUND_ALLOW would."""
    return settings.model_copy(update={"outbound_allow": "127.0.0.1"})


@pytest.fixture
async def feeds():
    """A loopback calendar server: path → (status, content type, body)."""
    served: dict[str, tuple[int, str, bytes]] = {}
    hits: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        hits.append(request.path)
        status, kind, body = served.get(request.path, (404, "text/plain", b"not found"))
        return web.Response(status=status, body=body, content_type=kind)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    served["base"] = (0, "", f"http://127.0.0.1:{port}".encode())
    served["hits"] = hits  # type: ignore[assignment]
    yield served
    await runner.cleanup()


def base(feeds) -> str:
    return feeds["base"][2].decode()


async def say(slack, user: str, text: str) -> str:
    result = await slack.slash_command(user, "/standup", text, channel_id=CHANNEL)
    if result.body:
        return all_text(result.body.get("blocks", []))
    return all_text((await result.wait_for_response(timeout=10)).get("blocks", []))  # a first feed read loads ICS


def prompted(emulator, user: str) -> int:
    return len(dms_to(emulator, user, "prompt"))


def report_text(emulator) -> str:
    """The latest text of the standup report (its parent message, as last posted or updated)."""
    calls = [c for c in emulator.calls if c.method in ("chat.postMessage", "chat.update")
             and c.params.get("channel") == CHANNEL and not c.params.get("thread_ts") and c.response.get("ok")]
    blocks = calls[-1].params.get("blocks")
    return all_text(json.loads(blocks) if isinstance(blocks, str) else blocks or [])


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


async def rows_until(database, model, predicate, timeout: float = 5.0) -> list:
    """Rows of `model` once `predicate(rows)` holds (the server writes after acking): polls, no fixed sleep."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await rows(database, model)
        if predicate(found):
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{model.__name__} rows never matched: {found}")
        await asyncio.sleep(0.02)


async def status_seen(database, user: str, emoji: str) -> None:
    await rows_until(database, PersonWeek, lambda found: any(
        w.user_id == user and w.status_emoji == emoji and w.status_seen_at for w in found))


async def test_a_status_set_by_event_skips_the_prompt_and_shows_as_away(slack, emulator, headway, clock,
                                                                        clean_database):
    await create_standup(slack, emulator, [EXEC, MEMBER], PM)
    await eventually(lambda: len(emulator.calls_to("users.info")) >= 3)  # profiles filled after the form
    emulator.set_status(EXEC, "On vacation until Friday", ":palm_tree:")  # Slack sends user_change
    await status_seen(clean_database, EXEC, ":palm_tree:")

    clock.set(at(23, 8, 35))  # 09:35 in Berlin, 14:05 in Kolkata
    await tick(headway, clock)
    await eventually(lambda: prompted(emulator, MEMBER) == 1)
    assert prompted(emulator, EXEC) == 0
    [away] = await rows(clean_database, StandupAway)
    assert (away.user_id, away.reason, away.until) == (EXEC, "Slack status", None)

    await tick(headway, clock, hours=11)  # past the cutoff: the report is summed up
    text = await eventually(lambda: "Away (1)" in report_text(emulator) and report_text(emulator))
    assert f"<@{EXEC}> (Slack status)" in text
    assert f"No answer (1)*: <@{MEMBER}>" in text  # only Max was expected
    stats = await say(slack, PM, "stats fraud-team")
    assert f"<@{EXEC}>: — (0 answered, 0 missed, 1 away)" in stats
    assert f"<@{MEMBER}>: 0% (0 answered, 1 missed)" in stats

    emulator.set_status(EXEC, "", "")  # back: the cleared status arrives as user_change too
    await status_seen(clean_database, EXEC, "")
    await tick(headway, clock, hours=13)  # Tue 08:35 UTC
    await eventually(lambda: prompted(emulator, EXEC) == 1)


async def test_a_status_set_while_headway_reads_the_profile_is_not_put_back(slack, emulator, headway,
                                                                            clean_database):
    """The profile read after the standup form answers with the status as it was; the user_change event that
    arrives before that read is written is newer, and stays (it was overwritten once, under load in CI)."""
    emulator.slow_next("users.info", seconds=1.0, count=10)  # the answers carry the status as it was when asked
    await create_standup(slack, emulator, [EXEC, MEMBER], PM)
    await eventually(lambda: [c for c in emulator.calls_to("users.info") if c.params.get("user") == EXEC])
    emulator.set_status(EXEC, "On vacation until Friday", ":palm_tree:")  # Slack sends user_change
    await status_seen(clean_database, EXEC, ":palm_tree:")
    await rows_until(clean_database, Person, lambda found: all(p.profile_refreshed_at for p in found
                                                               if p.user_id in (EXEC, MEMBER)), timeout=10)
    [week] = [w for w in await rows(clean_database, PersonWeek) if w.user_id == EXEC]
    assert (week.status_text, week.status_emoji) == ("On vacation until Friday", ":palm_tree:")


async def test_a_status_set_before_headway_saw_the_person_counts(slack, emulator, headway, clock, clean_database):
    emulator.users[EXEC].status_text, emulator.users[EXEC].status_emoji = "Out of office", ":airplane:"
    emulator.users[PM].status_text, emulator.users[PM].status_emoji = "Sick", ":face_with_thermometer:"
    emulator.users[MEMBER].status_text, emulator.users[MEMBER].status_emoji = "In a meeting", ":calendar:"
    await create_standup(slack, emulator, [EXEC, MEMBER, PM], PM, cutoff_minutes="1200")  # PM: seen before, as creator
    clock.set(at(23, 14, 35))  # 09:35 in New York; Berlin and Kolkata still inside their window
    infos = len(emulator.calls_to("users.info"))
    await tick(headway, clock)
    await eventually(lambda: prompted(emulator, MEMBER) == 1)  # "in a meeting" is not time off
    assert prompted(emulator, EXEC) == prompted(emulator, PM) == 0
    assert PM in [c.params.get("user") for c in emulator.calls_to("users.info")[infos:]]  # read at planning time
    assert {(a.user_id, a.reason) for a in await rows(clean_database, StandupAway)} == {
        (EXEC, "Slack status"), (PM, "Slack status")}
    calls = len(emulator.calls_to("users.info"))
    await tick(headway, clock, minutes=1)
    assert len(emulator.calls_to("users.info")) == calls  # a status seen once is not asked for again


async def test_a_status_that_expires_mid_week(slack, emulator, headway, clock, clean_database):
    expires = int(at(25, 0).timestamp())  # Wed 25 Nov 00:00 UTC (05:30 in Kolkata)
    emulator.users[MEMBER].status_text, emulator.users[MEMBER].status_emoji = "Parental leave", ":baby:"
    emulator.users[MEMBER].status_expiration = expires
    await create_standup(slack, emulator, [MEMBER], PM)
    for day in (23, 24, 25, 26):  # 09:35 in Kolkata each day
        clock.set(at(day, 4, 5))
        await tick(headway, clock)
    await eventually(lambda: prompted(emulator, MEMBER) == 2)  # Wednesday and Thursday only
    away = await rows(clean_database, StandupAway)
    assert sorted((a.reason, str(a.until)) for a in away) == [("Slack status", "2026-11-24")] * 2
    prompts = await rows(clean_database, StandupPrompt)
    assert len(prompts) == 2


ICS_OOO_MONDAYS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Headway tests//EN
BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:ooo-mondays@headway.test
DTSTAMP:20261001T000000Z
DTSTART;TZID=America/New_York:20261019T080000
DTEND;TZID=America/New_York:20261019T180000
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=8
SUMMARY:OOO - caring for my father
END:VEVENT
BEGIN:VEVENT
UID:standup-sync@headway.test
DTSTAMP:20261001T000000Z
DTSTART;TZID=America/New_York:20261124T080000
DTEND;TZID=America/New_York:20261124T180000
SUMMARY:Planning offsite
END:VEVENT
END:VCALENDAR
"""


async def test_a_calendar_feed_with_a_recurring_ooo_across_dst(slack, emulator, headway, clock, clean_database,
                                                              feeds):
    """Weekly OOO Mondays 08:00–18:00 New York from October (EDT) into late November (EST): the expansion keeps
    the wall-clock time through the change, so Monday 23 November is off; Tuesday's offsite is not time off."""
    feeds[f"/calendars/{SECRET}/basic.ics"] = (200, "text/calendar", ICS_OOO_MONDAYS)
    await create_standup(slack, emulator, [PM, EXEC], PM)
    answer = await say(slack, PM, f"calendar {base(feeds)}/calendars/{SECRET}/basic.ics")
    assert "is linked" in answer and "127.0.0.1" in answer and SECRET not in answer
    assert "3 days off found" in answer  # Mondays 23 and 30 November and 7 December (the 8th and last)
    assert SECRET not in all_text([r for r in emulator.responses])  # never echoed anywhere
    assert SECRET not in await say(slack, PM, "calendar")

    clock.set(at(23, 14, 35))  # 09:35 in New York
    await tick(headway, clock)
    await tick(headway, clock, hours=-6)  # 08:35 UTC: 09:35 in Berlin
    await eventually(lambda: prompted(emulator, EXEC) == 1)
    assert prompted(emulator, PM) == 0
    [away] = await rows(clean_database, StandupAway)
    assert (away.user_id, away.reason) == (PM, "calendar")
    clock.set(at(24, 14, 35))  # Tuesday: an offsite is busy, not time off
    await tick(headway, clock)
    await eventually(lambda: prompted(emulator, PM) == 1)


async def test_public_holidays_us_and_a_german_state(slack, emulator, headway, clock, clean_database):
    await create_standup(slack, emulator, [PM, EXEC], PM, holiday_region="US")
    answer = await say(slack, EXEC, "holidays de-sn")
    assert "DE-SN" in answer
    clock.set(at(18, 14, 35))  # Wed 18 Nov: Repentance and Prayer Day in Saxony; 09:35 New York, 15:35 Berlin
    await tick(headway, clock)
    await eventually(lambda: prompted(emulator, PM) == 1)
    assert prompted(emulator, EXEC) == 0
    clock.set(at(26, 14, 35))  # Thu 26 Nov: Thanksgiving in the US, not in Saxony
    await tick(headway, clock)
    await eventually(lambda: prompted(emulator, EXEC) == 1)
    assert prompted(emulator, PM) == 1
    await tick(headway, clock, hours=12)
    text = await eventually(lambda: "Thanksgiving" in report_text(emulator) and report_text(emulator))
    assert f"<@{PM}> (public holiday: Thanksgiving Day)" in text
    assert {(a.user_id, a.reason) for a in await rows(clean_database, StandupAway)} == {
        (EXEC, "public holiday: Repentance and Prayer Day"), (PM, "public holiday: Thanksgiving Day")}
    stats = await say(slack, PM, "stats fraud-team")
    assert f"<@{PM}>: 0% (0 answered, 1 missed, 1 away)" in stats
    from tests.handlers.test_projects import FRAUD, create

    await create(slack, emulator, FRAUD)  # Pat is its PM: the team digest's line counts only who was expected
    team = await slack.slash_command(PM, "/headway", "digest preview team", channel_id=CHANNEL)
    line = all_text((await team.wait_for_response())["blocks"])
    assert "standup answers this week: 0 (from who was expected; 1 day of time off not counted)" in line


async def test_sun_to_thu_working_days(slack, emulator, headway, clock, clean_database):
    await create_standup(slack, emulator, [EXEC, MEMBER], PM, weekdays=["workdays"])
    assert "Sun, Mon, Tue, Wed, Thu" in await say(slack, MEMBER, "workdays Sun-Thu")
    assert "every working day" in await say(slack, PM, "list")
    clock.set(at(27, 8, 35))  # Friday: 09:35 Berlin, 14:05 Kolkata
    await tick(headway, clock)
    await eventually(lambda: prompted(emulator, EXEC) == 1)
    assert prompted(emulator, MEMBER) == 0
    clock.set(at(29, 8, 35))  # Sunday
    await tick(headway, clock)
    await eventually(lambda: prompted(emulator, MEMBER) == 1)
    assert prompted(emulator, EXEC) == 1
    assert await rows(clean_database, StandupAway) == []  # a day someone does not work is not time off


async def test_away_rules_are_the_admins_and_apply_to_statuses(slack, emulator, headway, clock, clean_database):
    listing = await say(slack, MEMBER, "away-rules")
    assert ":palm_tree:" in listing and "“vacation”" in listing and "admins" in listing
    help_text = await say(slack, MEMBER, "help")
    assert "away-rules" in help_text and "Slack status says :palm_tree: vacation" in help_text
    await create_standup(slack, emulator, [EXEC], PM)
    from tests.handlers.test_projects import open_form

    view_id = await open_form(slack, emulator, ADMIN, "away-rules", command="/standup")
    bad = await slack.view_submission(ADMIN, view_id, {"emojis": "palm tree", "words": "vacation"})
    assert "emojis" in bad.body["errors"]
    view_id = await open_form(slack, emulator, ADMIN, "away-rules", command="/standup")
    done = await slack.view_submission(ADMIN, view_id, {"emojis": ":palm_tree:", "words": "vacation\nconference"})
    assert done.status == 200 and not done.body
    emulator.set_status(EXEC, "At a conference", ":microphone:")
    await status_seen(clean_database, EXEC, ":microphone:")
    clock.set(at(23, 8, 35))
    await tick(headway, clock)
    assert [(a.user_id, a.reason) for a in await rows(clean_database, StandupAway)] == [(EXEC, "Slack status")]
    assert prompted(emulator, EXEC) == 0


HUGE = b"BEGIN:VCALENDAR\r\n" + b"X-FILLER:" + b"x" * (3 * 1024 * 1024) + b"\r\nEND:VCALENDAR\r\n"
BOMB = b"""BEGIN:VCALENDAR
VERSION:2.0
BEGIN:VEVENT
UID:bomb@evil
DTSTART:20261101T000000Z
DTEND:20261101T000001Z
RRULE:FREQ=SECONDLY
SUMMARY:vacation
END:VEVENT
END:VCALENDAR
"""
BROKEN = b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:not-a-date\nSUMMARY:vacation\nEND:VEVENT\nEND:VCALENDAR\n"


async def test_bad_input_is_answered_and_changes_nothing(slack, emulator, headway, clock, clean_database, feeds):
    feeds["/huge.ics"] = (200, "text/calendar", HUGE)
    feeds["/page.ics"] = (200, "text/html", b"<html><body>Sign in</body></html>")
    feeds["/broken.ics"] = (200, "text/calendar", BROKEN)
    feeds["/bomb.ics"] = (200, "text/calendar", BOMB)
    cases = {
        "http://127.0.0.1:9/nothing-listens.ics": "could not reach",
        f"{base(feeds)}/missing.ics": "HTTP 404",
        f"{base(feeds)}/huge.ics": "more than 2 MB",
        f"{base(feeds)}/page.ics": "did not answer with a calendar",
        f"{base(feeds)}/broken.ics": "not valid ICS",
        "ftp://example.com/cal.ics": "https://",
        "http://169.254.169.254/latest/meta-data": "does not call",
    }
    for url, why in cases.items():
        answer = await say(slack, PM, f"calendar {url}")
        assert why in answer, (url, answer)
        assert "Nothing changed" in answer or "Use your calendar" in answer, answer
    assert await rows(clean_database, CalendarFeed) == []
    answer = await say(slack, PM, f"calendar {base(feeds)}/bomb.ics")  # defused: sub-daily repeats are dropped
    assert "is linked" in answer

    assert "not a country" in await say(slack, PM, "holidays XX")
    assert "has no region" in await say(slack, PM, "holidays DE-ZZ")
    assert "not a day or a range" in await say(slack, PM, "workdays Mon-Funday")
    assert "not a day or a range" in await say(slack, PM, "workdays 1-5")
    weeks = [w for w in await rows(clean_database, PersonWeek) if w.user_id == PM]
    assert all(w.workdays is None and w.holiday_region is None for w in weeks)

    from tests.handlers.test_projects import make_pm, open_form

    await make_pm(slack)
    view_id = await open_form(slack, emulator, PM, "new", command="/standup")
    result = await slack.view_submission(PM, view_id, {"name": "team", "participants": [PM], "channel": CHANNEL,
                                                       "weekdays": ["mon"], "local_time": "09:30",
                                                       "holiday_region": "Narnia"})
    assert "not a country" in result.body["errors"]["holiday_region"]


async def test_a_blocker_whose_owner_is_away_waits_for_them(slack, emulator, headway, clock, clean_database):
    """Max reports a blocker on Monday and is on vacation (Slack status until Monday 7 Dec): the card says he is away
    and it does not escalate on Friday; his days off do not age it once he is back."""
    from bot.jobs import follow_through
    from bot.models import Blocker
    from tests.bot.standups.test_blockers import blocked_member, card_text

    await blocked_member(slack, emulator, headway, clock)
    emulator.set_status(MEMBER, "Vacation", ":palm_tree:", int(datetime(2026, 12, 7, tzinfo=UTC).timestamp()))
    await status_seen(clean_database, MEMBER, ":palm_tree:")
    clock.advance(days=4)  # Friday: 4 working days since Monday, but Max has been away since Monday
    assert (await follow_through(headway.hw))["escalated"] == 0
    card = await card_text(slack)
    assert f"<@{MEMBER}> for 4 working days (away, back Mon 7 Dec 2026): Waiting for labelled" in card
    clock.set(at(30, 0) .replace(day=9, month=12, hour=8))  # Wed 9 Dec: back for two working days (Mon, Tue, Wed)
    assert (await follow_through(headway.hw))["escalated"] == 0
    assert [b.escalated_at for b in await rows(clean_database, Blocker)] == [None]


async def test_gate_approvers_away_are_shown_and_a_deadline_nobody_can_meet_warns(slack, emulator, clock,
                                                                                 clean_database):
    from tests.handlers.gate_support import card, fraud_project, request_gate, text_of

    await fraud_project(slack, emulator)
    assert "away from" in await say(slack, EXEC, "away 2026-11-23 2026-12-04")  # said so
    assert "Mon, Tue, Wed, Thu, Fri" in await say(slack, MEMBER, "workdays")  # Headway knows Max from here on
    emulator.set_status(MEMBER, "Out of office", ":airplane:")  # Slack status, no expiry
    await status_seen(clean_database, MEMBER, ":airplane:")
    gate = await request_gate(slack, emulator, clean_database, [EXEC, MEMBER])  # deadline Mon 30 Nov
    text = text_of(await card(emulator, gate.id, "channel"))
    assert f"<@{EXEC}> (Business owner) — :hourglass_flowing_sand: not voted yet · :palm_tree: away, back Mon 7 Dec" \
        in text
    assert f"<@{MEMBER}> — :hourglass_flowing_sand: not voted yet · :palm_tree: away, back" in text
    # "Your gate is out", privately where the PM asked, warns that nobody will be there to decide
    told = await eventually(lambda: [r for r in emulator.responses if r["user_id"] == PM and "is out" in
                                     all_text(r["blocks"])])
    assert "Every approver is away on Mon 30 Nov" in all_text(told[0]["blocks"])



async def test_a_feed_is_read_at_most_hourly_and_three_failures_in_a_row_tell_its_owner(slack, emulator, headway,
                                                                                       clock, clean_database, feeds):
    from bot.jobs import calendar_tick

    path = f"/calendars/{SECRET}/basic.ics"
    feeds[path] = (200, "text/calendar", ICS_OOO_MONDAYS)
    assert "is linked" in await say(slack, EXEC, f"calendar {base(feeds)}{path}")
    hits = feeds["hits"]
    assert hits == [path]
    await calendar_tick(headway.hw)
    clock.advance(minutes=59)
    await calendar_tick(headway.hw)
    assert hits == [path]  # not again within the hour
    feeds[path] = (500, "text/plain", b"oops")
    for hour in range(3):
        clock.advance(hours=1)
        await calendar_tick(headway.hw)
        assert len(hits) == 2 + hour
        if hour < 2:
            assert not dms_to(emulator, EXEC, "could not read your calendar")
    [feed] = await rows(clean_database, CalendarFeed)
    assert (feed.failures, feed.last_error) == (3, "the calendar server answered HTTP 500")
    [dm] = await eventually(lambda: dms_to(emulator, EXEC, "could not read your calendar"))
    text = json.dumps(dm.params)
    assert SECRET not in text and "127.0.0.1" in text
    clock.advance(hours=1)
    await calendar_tick(headway.hw)
    assert len(dms_to(emulator, EXEC, "could not read your calendar")) == 1  # told once per failing streak
    feeds[path] = (200, "text/calendar", ICS_OOO_MONDAYS)
    clock.advance(hours=1)
    await calendar_tick(headway.hw)
    [feed] = await rows(clean_database, CalendarFeed)
    assert (feed.failures, feed.last_error) == (0, "")
    assert "unlinked" in await say(slack, EXEC, "calendar off")
    assert await rows(clean_database, CalendarFeed) == []


async def test_a_status_set_after_the_prompt_stops_the_reminder(slack, emulator, headway, clock, clean_database):
    await create_standup(slack, emulator, [EXEC], PM)
    clock.set(at(23, 8, 35))
    await tick(headway, clock)
    await eventually(lambda: prompted(emulator, EXEC) == 1)
    emulator.set_status(EXEC, "Home sick", ":face_with_thermometer:")
    await status_seen(clean_database, EXEC, ":face_with_thermometer:")
    await tick(headway, clock, hours=1, minutes=5)  # past the reminder delay
    await tick(headway, clock, hours=11)  # past the cutoff
    text = await eventually(lambda: "Away (1)" in report_text(emulator) and report_text(emulator))
    assert prompted(emulator, EXEC) == 1  # no reminder
    assert "No answer" not in text and f"<@{EXEC}> (Slack status)" in text  # off since lunch: not expected
    assert [p.status for p in await rows(clean_database, StandupPrompt)] == ["skipped"]


async def test_thanksgiving_for_a_us_team_prompts_nobody(slack, emulator, headway, clock, clean_database):
    await create_standup(slack, emulator, [PM], PM, holiday_region="US")
    assert "public holidays of US" in await say(slack, PM, "list")
    clock.set(at(26, 14, 35))  # Thanksgiving, 09:35 in New York
    await tick(headway, clock)
    await tick(headway, clock, hours=11)
    text = await eventually(lambda: "Away (1)" in report_text(emulator) and report_text(emulator))
    assert "Nobody was expected today: everyone is away." in text and "No answer" not in text
    assert prompted(emulator, PM) == 0
