"""People's real week: `/standup workdays`, `holidays`, `calendar`, `away-rules`, and the `user_change` event."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck

from bot.app import Headway
from bot.delivery.gateway import profile_from_user
from bot.errors import HeadwayError, InvalidInput
from bot.ids import CallbackId
from bot.models import Role
from bot.people import calendar, calendar_sync, statuses
from bot.people import service as people
from bot.people.time_off import (
    WEEKDAYS,
    holiday_on,
    parse_region,
    parse_rules,
    parse_workdays,
    rules_for,
    save_rules,
    stored_workdays,
)
from bot.people.time_off import workdays_text as as_text
from bot.standups.schedule import zone
from handlers.deferred import ack_only, acked
from handlers.forms import read_state
from handlers.modals import open_then_fill
from handlers.registry import CommandRegistry
from handlers.replies import respond
from handlers.requests import CommandRequest
from handlers.router import Router

TEMPLATE = "standups/time_off.json.j2"


def add_commands(registry: CommandRegistry) -> None:
    registry.add("workdays", "Your working days (default Mon-Fri)", workdays, args="[DAYS, e.g. Sun-Thu]",
                 max_args=7)
    registry.add("holidays", "Follow a country's public holidays", holidays, args="[COUNTRY[-REGION] | off]",
                 max_args=1)
    registry.add("calendar", "Link your calendar (secret ICS address): its time off counts", link_calendar,
                 args="[ICS-URL | off]", max_args=1)
    registry.add("away-rules", "Which Slack statuses and calendar titles mean time off", away_rules,
                 who="admins change them", opens_modal=True)


async def workdays(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        await people.ensure_person(session, req.team_id, req.user_id, hw.gateway.profile)
        rows = await statuses.week_rows(session, req.team_id, [req.user_id])
        if req.args:
            days = parse_workdays(" ".join(req.args))  # a HeadwayError answers and changes nothing
            await statuses.set_workdays(session, req.team_id, req.user_id, as_text(days))
        current = rows[req.user_id].workdays if not req.args else as_text(days)
    await respond(hw, req.response_url, TEMPLATE, what="workdays", workdays=_in_week_order(stored_workdays(current)),
                  note="")


def _in_week_order(days: frozenset[int]) -> list[str]:
    """Sun-Thu reads "Sun, Mon, Tue, Wed, Thu": start after a day off, so a run of days stays together."""
    start = next((d for d in range(7) if d in days and (d - 1) % 7 not in days), 0)
    return [WEEKDAYS[(start + i) % 7].title() for i in range(7) if (start + i) % 7 in days]


async def holidays(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        person = await people.ensure_person(session, req.team_id, req.user_id, hw.gateway.profile)
        if req.args:
            region = None if req.args[0].lower() in ("off", "none") else parse_region(req.args[0])
            await statuses.set_region(session, req.team_id, req.user_id, region)
        else:
            region = (await statuses.week_rows(session, req.team_id, [req.user_id]))[req.user_id].holiday_region
    today = hw.clock.now().astimezone(zone(person.tz)).date()
    next_day, next_name = None, None
    for offset in range(366) if region else ():
        name = holiday_on(region, today + timedelta(days=offset))
        if name:
            next_day, next_name = today + timedelta(days=offset), name
            break
    await respond(hw, req.response_url, TEMPLATE, what="holidays", region=region, next_day=next_day,
                  next_name=next_name, note="")


async def link_calendar(hw: Headway, req: CommandRequest) -> None:
    """Read the feed before storing it: a feed that cannot be read is refused with the reason, nothing changes.
    The address is never echoed back, only its host."""
    async with hw.db.unit_of_work() as session:
        person = await people.ensure_person(session, req.team_id, req.user_id, hw.gateway.profile)
        if not req.args:
            feed = await calendar_sync.feed_of(session, req.team_id, req.user_id)
            note = f"Last read problem: {feed.last_error}" if feed and feed.last_error else ""
            await respond(hw, req.response_url, TEMPLATE, what="calendar", hint=feed.url_hint if feed else "",
                          days=None, note=note)
            return
        if req.args[0].lower() in ("off", "none", "remove"):
            await calendar_sync.unlink(session, req.team_id, req.user_id)
            await respond(hw, req.response_url, TEMPLATE, what="calendar_off", note="")
            return
    url = calendar.check_url(req.args[0])
    now = hw.clock.now()
    today = now.astimezone(zone(person.tz)).date()
    try:
        feed = await calendar_sync.read_feed(hw.outbound, str(url), person.tz, today)
    except calendar.FeedProblem as problem:
        raise HeadwayError(f"Headway could not use that calendar: {problem}. Nothing changed.") from None
    async with hw.db.unit_of_work() as session:
        await calendar_sync.link(session, req.team_id, req.user_id, str(url), feed, calendar.hint(url), now)
        days = await calendar_sync.days_off(session, feed, req.team_id, today)
    await respond(hw, req.response_url, TEMPLATE, what="calendar", hint=calendar.hint(url), days=days, note="")


async def away_rules(hw: Headway, req: CommandRequest) -> None:
    async with hw.db.unit_of_work() as session:
        actor = await people.actor(session, req.team_id, req.user_id, hw.gateway.profile)
        rules = await rules_for(session, req.team_id)
    if not actor.has(Role.ADMIN):
        await respond(hw, req.response_url, TEMPLATE, what="rules", rules=rules,
                      note="Headway admins change these with `/standup away-rules`.")
        return

    async def build() -> dict[str, Any]:
        return hw.renderer.view("standups/away_rules_form.json.j2", callback_id=CallbackId.AWAY_RULES, rules=rules)

    await open_then_fill(hw, req.trigger_id, "Away rules", build)


def register(router: Router, hw: Headway) -> None:
    async def status_changed(body: dict[str, Any], event: dict[str, Any]) -> None:
        """user_change carries the whole user object: keep its status (text, emoji, expiration)."""
        user = event.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            return
        profile = profile_from_user(user)
        team_id = str(body.get("team_id") or user.get("team_id") or "")
        async with hw.db.unit_of_work() as session:
            if await people.find_person(session, team_id, profile.user_id) is None:
                return  # nobody Headway plans for; their status is read when they join a standup
            await statuses.record_profiles(session, team_id, [profile])

    router.event("user_change")(acked(hw, ack_only, status_changed))

    async def submit_rules(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        values = read_state(view)
        try:
            rules = parse_rules(str(values.get("emojis") or ""), str(values.get("words") or ""))
            async with hw.db.unit_of_work() as session:
                actor = await people.actor(session, team_id, user_id, hw.gateway.profile)
                if not actor.has(Role.ADMIN):
                    raise InvalidInput({"emojis": "Only Headway admins can change the away rules."})
                await save_rules(session, team_id, rules, user_id)
        except InvalidInput as error:
            await ack(response_action="errors", errors=error.errors)
            return
        await ack()

    router.view(CallbackId.AWAY_RULES.value)(acked(hw, submit_rules))
