"""Calendar feeds (ICS): fetched through the outbound policy, read with icalendar + recurring-ical-events.

A feed's address is a secret (whoever has it reads the calendar): it is stored, used to fetch, and shown back
only as its scheme and host (`url_hint`). Fetched at most hourly; three failures in a row tell the person once.
What is kept is only what time off needs: the local dates of all-day events and of events that take most of a
working day, with their titles, over a window around today — recurring events (RRULE/RDATE/EXDATE), time zones
and DST handled by the libraries, not here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import HeadwayError
from bot.outbound import OutboundPolicy, OutboundRefused
from bot.people.time_off import Period

if TYPE_CHECKING:  # httpx (with the rich/pygments its CLI module pulls in, ~5 MiB) loads when a feed is linked
    import httpx

log = logging.getLogger(__name__)

FETCH_EVERY = timedelta(hours=1)
FAILURES_BEFORE_DM = 3
MAX_FEED_BYTES = 2 * 1024 * 1024  # a year of a busy calendar is a few hundred KB
FEED_SECONDS = 15.0
WINDOW_BEFORE, WINDOW_AFTER = timedelta(days=14), timedelta(days=120)
MAX_EVENTS = 5000  # occurrences kept from the window
MAX_COMPONENTS = 5000  # VEVENTs in a feed
MAX_RECURRING = 500
SUB_DAILY = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})
HALF_DAY = timedelta(hours=4)  # a timed event must take this much of a local date to make it a day off
MAX_URL = 2000


class FeedProblem(HeadwayError):
    """The feed could not be read; the message says why in words the person can act on."""


@dataclass(frozen=True)
class Feed:
    periods: tuple[Period, ...]


def check_url(text: str) -> httpx.URL:
    """An http(s) address (webcal:// is https:// to a calendar app). FeedProblem otherwise."""
    import httpx

    raw = text.strip().strip("<>")
    if "|" in raw:  # Slack's <url|label>
        raw = raw.split("|", 1)[0]
    if raw.lower().startswith("webcal://"):
        raw = "https://" + raw[len("webcal://"):]
    if len(raw) > MAX_URL:
        raise FeedProblem("That address is too long for a calendar feed.")
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, ValueError):
        raise FeedProblem("That is not a web address. Paste your calendar's secret ICS address "
                          "(https://…/basic.ics).") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise FeedProblem("Use your calendar's https:// (or webcal://) ICS address.")
    return url


def hint(url: httpx.URL) -> str:
    """What Headway shows of a secret address: scheme and host only."""
    return f"{url.scheme}://{url.host}/…"


async def fetch(policy: OutboundPolicy, url: str) -> bytes:
    """The feed's bytes, through the outbound policy with the feed's own size and time limits."""
    import httpx

    capped = OutboundPolicy(allow=policy.allow, own_ports=policy.own_ports, own_hosts=policy.own_hosts,
                            max_bytes=min(policy.max_bytes, MAX_FEED_BYTES), seconds=min(policy.seconds, FEED_SECONDS))
    try:
        async with capped.client(follow_redirects=True, max_redirects=3, timeout=FEED_SECONDS) as client:
            response = await client.get(url, headers={"Accept": "text/calendar"})
            body = response.content
    except OutboundRefused as refused:
        raise FeedProblem(str(refused)) from None
    except httpx.TimeoutException:
        raise FeedProblem(f"the calendar server did not answer within {FEED_SECONDS:g} s") from None
    except httpx.HTTPError as error:
        raise FeedProblem(f"Headway could not reach the calendar server ({type(error).__name__})") from None
    if response.status_code != 200:
        raise FeedProblem(f"the calendar server answered HTTP {response.status_code}")
    return body


def parse(body: bytes, tz: str, today: date) -> Feed:
    """The feed's time-off candidates around `today`, in the person's zone `tz`. FeedProblem if it is not ICS."""
    import icalendar  # imported when a feed is first read: they take a while to load
    import recurring_ical_events

    if not body.lstrip().startswith(b"BEGIN:VCALENDAR"):
        raise FeedProblem("that address did not answer with a calendar (ICS)")
    try:
        calendar = icalendar.Calendar.from_ical(body)
        _defuse(calendar)
        events = recurring_ical_events.of(calendar).between(today - WINDOW_BEFORE, today + WINDOW_AFTER)
    except FeedProblem:
        raise
    except Exception as error:  # the libraries raise ValueError, KeyError, TypeError… on malformed input
        log.info("calendar feed did not parse: %s", type(error).__name__)
        raise FeedProblem("the calendar could not be read (it is not valid ICS)") from None
    zone = safe_zone(tz)
    periods = []
    for event in events[:MAX_EVENTS]:
        period = _period(event, zone)
        if period is not None:
            periods.append(period)
    return Feed(tuple(sorted(periods, key=lambda p: (p.start, p.end))))


def safe_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _defuse(calendar: Any) -> None:
    """Bound the work a hostile feed can cause before expanding it: at most MAX_COMPONENTS events and
    MAX_RECURRING repeating ones, and no sub-daily repetition (FREQ=SECONDLY over four months is millions of
    occurrences; time off is never shorter than a day, so those rules are dropped, their first event kept)."""
    events = calendar.walk("VEVENT")
    if len(events) > MAX_COMPONENTS:
        raise FeedProblem(f"the calendar has more than {MAX_COMPONENTS:,} events")
    recurring = 0
    for event in events:
        rule = event.get("RRULE")
        if rule is None:
            continue
        recurring += 1
        frequency = [str(f).upper() for f in (rule.get("FREQ") or [])]
        if recurring > MAX_RECURRING or any(f in SUB_DAILY for f in frequency):
            del event["RRULE"]


def _period(event: Any, zone: ZoneInfo) -> Period | None:
    start, end = _value(event.get("DTSTART")), _value(event.get("DTEND"))
    if start is None:
        return None
    title = str(event.get("SUMMARY") or "")[:200]
    ooo = str(event.get("X-MICROSOFT-CDO-BUSYSTATUS") or "").upper() == "OOF"
    if str(event.get("TRANSP") or "").upper() == "TRANSPARENT" and not ooo:
        return None  # shown as free: not time off, whatever it is called
    if not isinstance(start, datetime):  # all-day: DTEND is exclusive
        last = (end if isinstance(end, date) and not isinstance(end, datetime) else start + timedelta(days=1))
        last = max(start, last - timedelta(days=1))
        return Period(start, last, title, ooo)
    if end is None or not isinstance(end, datetime):
        return None
    local_start, local_end = _local(start, zone), _local(end, zone)
    days = []
    day = local_start.date()
    while day <= local_end.date() and len(days) < 400:
        opens = max(local_start, datetime.combine(day, datetime.min.time(), zone))
        closes = min(local_end, datetime.combine(day + timedelta(days=1), datetime.min.time(), zone))
        if closes - opens >= HALF_DAY:
            days.append(day)
        day += timedelta(days=1)
    if not days:
        return None
    return Period(days[0], days[-1], title, ooo)


def _value(prop: Any) -> date | datetime | None:
    value = getattr(prop, "dt", None)
    return value if isinstance(value, date) else None


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    """A floating time (no zone) is the person's own wall clock."""
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
