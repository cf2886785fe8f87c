"""Failures a person can fix reach that person: held messages, the Retry button, a revoked token, the App Home."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from pydantic import SecretStr

from bot.delivery.outbox import enqueue
from bot.models import OutboxMessage, OutboxMethod, OutboxStatus, Person, PersonRole, Role
from bot.models.standups import Standup
from bot.people.service import ensure_workspace
from bot.render import Message
from bot.slack_emulator import EmulatorChannel
from tests.conftest import ADMIN, CHANNEL, MEMBER, OTHER, PM, TEAM_ID
from tests.handlers.standup_support import outbox_key, outbox_keys, where
from tests.support import eventually, rows

REPORT = "CREPORT01"


async def queue(server, messages: list[dict]) -> None:
    async with server.hw.db.unit_of_work() as session:
        await ensure_workspace(session, TEAM_ID)
        for m in messages:
            await enqueue(session, team_id=TEAM_ID, kind=m.pop("kind", "standup_report"),
                          message=Message(text=m.pop("text", m["key"])), **m)
    server.hw.deliver()


async def statuses(database_url: str) -> dict[str, str]:
    return {r.key: r.status for r in await rows(database_url, OutboxMessage)}


async def health_of(url: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(url + "/healthz")


async def paused_health(url: str) -> httpx.Response:
    """/healthz once the event's work (queued behind the ack) has paused sending."""
    deadline = asyncio.get_running_loop().time() + 10
    while (health := await health_of(url)).status_code != 503:
        assert asyncio.get_running_loop().time() < deadline, health.json()
        await asyncio.sleep(0.05)
    return health


async def until(probe, timeout: float = 15.0) -> None:
    """Wait for an async condition (database state)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await probe():
        assert asyncio.get_running_loop().time() < deadline, f"{probe.__name__} never held"
        await asyncio.sleep(0.05)


def held_dms(emulator, user_id: str) -> list:
    return [c for c in emulator.calls_to("chat.postMessage")
            if c.params.get("channel") == user_id and c.ok and outbox_key(c).startswith("held:")]


async def standup_owned_by(server, owner: str, channel: str) -> None:
    async with server.hw.db.unit_of_work() as session:
        await ensure_workspace(session, TEAM_ID)
        session.add(Standup(team_id=TEAM_ID, name="ML daily", channel_id=channel, questions="[]", created_by=owner))


async def test_a_report_refused_for_membership_is_held_its_owner_told_once_and_retry_sends_it_in_order(
    headway, emulator, slack, clean_database
):
    emulator.add_channel(EmulatorChannel(id=REPORT, name="ml-standup", is_private=True, members=[PM]))
    await standup_owned_by(headway, PM, REPORT)  # the bot was never invited: Slack refuses the post
    await queue(headway, [{"key": "report", "channel": REPORT},
                          {"key": "answer1", "channel": REPORT, "thread_key": "report"},
                          {"key": "answer2", "channel": REPORT, "thread_key": "report"}])
    await eventually(lambda: len(held_dms(emulator, PM)) == 1)
    found = await statuses(clean_database)
    assert {k: v for k, v in found.items() if not k.startswith("held:")} == {
        "report": "held", "answer1": "held", "answer2": "held"}
    [notice] = [k for k in found if k.startswith("held:")]
    assert notice.endswith(f":{PM}") and found[notice] == "sent"
    [dm] = held_dms(emulator, PM)
    text = json.dumps(dm.params["blocks"])
    assert f"<#{REPORT}>" in text and "/invite @Headway" in text and "outbox_retry" in text
    assert not held_dms(emulator, ADMIN)  # the standup's owner, not everyone

    # someone who cannot fix it is told so; nothing moves
    refused = await slack.block_action(OTHER, "outbox_retry", value=REPORT, message=where(dm))
    await eventually(lambda: emulator.responses_for(refused.response_id))
    assert "Only the PMs" in json.dumps(emulator.responses_for(refused.response_id))

    # Retry while the bot is still not a member: the re-check says so, the messages stay held
    still = await slack.block_action(PM, "outbox_retry", value=REPORT, message=where(dm))
    await eventually(lambda: emulator.responses_for(still.response_id))
    still_text = json.dumps(emulator.responses_for(still.response_id))
    assert "Still blocked" in still_text and f"<#{REPORT}>" in still_text and "&lt;" not in still_text
    assert (await statuses(clean_database))["report"] == "held"

    emulator.invite_bot(REPORT)  # /invite @Headway
    fixed = await slack.block_action(PM, "outbox_retry", value=REPORT, message=where(dm))
    await eventually(lambda: emulator.responses_for(fixed.response_id))
    assert "3 held messages going out" in json.dumps(emulator.responses_for(fixed.response_id))

    async def all_sent() -> bool:
        return set((await statuses(clean_database)).values()) == {"sent"}
    await until(all_sent)
    by_key = {r.key: r for r in await rows(clean_database, OutboxMessage)}
    replies = [c for c in emulator.calls_to("chat.postMessage") if c.ok and outbox_key(c).startswith("answer")]
    assert [key for c in replies for key in outbox_keys(c)] == ["answer1", "answer2"]  # in order, maybe one post
    assert all(c.params["thread_ts"] == by_key["report"].result_ts for c in replies)
    assert len(held_dms(emulator, PM)) == 1
    # The notice stops offering Retry, and a late click on an old copy changes nothing.
    settled = await eventually(lambda: [u for u in emulator.calls_to("chat.update")
                                        if u.params.get("ts") == dm.response["ts"]])
    assert "Retried: 3 held messages sent" in json.dumps(settled[-1].params["blocks"])
    assert "outbox_retry" not in json.dumps(settled[-1].params["blocks"])
    late = await slack.block_action(PM, "outbox_retry", value=REPORT)
    assert late.status == 200
    said = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage")
                                     if c.params.get("channel") == PM and "Already decided" in json.dumps(c.params)])
    assert "nothing is held any more" in json.dumps(said[-1].params)
    assert set((await statuses(clean_database)).values()) == {"sent"}


async def test_messages_for_a_channel_nobody_owns_are_held_for_the_admins_and_shown_on_their_home(
    headway, emulator, slack, clean_database
):
    async with headway.hw.db.unit_of_work() as session:
        await ensure_workspace(session, TEAM_ID)
        person = Person(team_id=TEAM_ID, user_id=ADMIN, name="ada")
        session.add(person)
        await session.flush()
        session.add(PersonRole(person_id=person.id, team_id=TEAM_ID, role=Role.ADMIN))
    emulator.add_channel(EmulatorChannel(id="CGONE0001", name="old", is_archived=True))
    emulator.fail_next("chat.postMessage", error="is_archived")
    emulator.fail_next("chat.postMessage", error="msg_too_long")
    await queue(headway, [{"key": "digest", "channel": "CGONE0001", "kind": "digest_exec"},
                          {"key": "broken", "channel": MEMBER, "kind": "gate_card"}])
    await eventually(lambda: len(held_dms(emulator, ADMIN)) == 1)
    assert "archived" in json.dumps(held_dms(emulator, ADMIN)[0].params["blocks"])

    await slack.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
    await eventually(lambda: emulator.home_view(ADMIN))
    home = json.dumps(emulator.home_view(ADMIN))
    assert "Messages that did not go out" in home and "held" in home and "dead" in home and "is_archived" in home
    await slack.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    await eventually(lambda: emulator.home_view(MEMBER))
    assert "Messages that did not go out" not in json.dumps(emulator.home_view(MEMBER))


async def test_a_revoked_token_pauses_sending_says_why_and_resumes_without_losing_anything(
    headway, emulator, slack, clean_database
):
    headway.hw.outbox.paused.probe_seconds = 0.3
    emulator.fail_next("auth.test", error="token_revoked", count=1000)
    await slack.event({"type": "tokens_revoked", "tokens": {"bot": ["U0HEADBOT"]}})
    health = await paused_health(headway.url)
    assert health.json()["delivery"] == {"paused": True, "why": {TEAM_ID: "tokens_revoked"}}

    await queue(headway, [{"key": f"dm:{u}", "channel": u, "kind": "standup_prompt"} for u in (PM, MEMBER)])
    await asyncio.sleep(1.0)
    assert not [c for c in emulator.calls_to("chat.postMessage")]  # paused: not even tried
    assert set((await statuses(clean_database)).values()) == {"pending"}
    async with httpx.AsyncClient() as client:
        assert (await client.get(headway.url + "/healthz")).json()["delivery"]["why"] == {TEAM_ID: "token_revoked"}

    emulator.clear_faults()  # reinstalled: auth.test succeeds again

    async def all_sent() -> bool:
        return set((await statuses(clean_database)).values()) == {"sent"}
    await until(all_sent)
    async with httpx.AsyncClient() as client:
        health = await client.get(headway.url + "/healthz")
    assert health.status_code == 200 and health.json()["delivery"]["paused"] is False


async def test_a_send_refused_for_the_token_is_not_dropped(headway, emulator, clean_database):
    headway.hw.outbox.paused.probe_seconds = 0.3
    emulator.fail_next("chat.postMessage", error="account_inactive")
    emulator.fail_next("auth.test", error="account_inactive", count=2)
    await queue(headway, [{"key": "prompt", "channel": PM, "kind": "standup_prompt"}])

    async def sent() -> bool:
        return (await statuses(clean_database))["prompt"] == "sent"
    await until(sent)
    [row] = await rows(clean_database, OutboxMessage)
    assert row.attempts == 1  # the refused try did not count against it
    assert len([c for c in emulator.calls_to("auth.test") if not c.ok]) == 2


@pytest.mark.real_pace
async def test_a_429_backs_off_the_whole_method_not_just_one_channel(headway, emulator, clean_database):
    emulator.fail_next("chat.postMessage", status=429, retry_after=2)
    await queue(headway, [{"key": f"dm:{PM}", "channel": PM, "kind": "standup_prompt"}])
    [hit] = await eventually(lambda: [c for c in emulator.calls_to("chat.postMessage") if c.status == 429])
    await queue(headway, [{"key": f"dm:{u}", "channel": u, "kind": "standup_prompt"} for u in (MEMBER, OTHER, ADMIN)])

    async def all_sent() -> bool:
        return set((await statuses(clean_database)).values()) == {"sent"}
    await until(all_sent)
    calls = emulator.calls_to("chat.postMessage")
    assert [c.status for c in calls].count(429) == 1
    # other people's DMs (other channels) waited for the Retry-After too: Slack's budget is the workspace's
    assert all(c.at - hit.at >= 1.9 for c in calls if c is not hit)
    assert sum(1 for c in calls if c.ok) == 4


async def test_an_update_of_a_held_message_waits_with_it(headway, emulator, clean_database):
    await standup_owned_by(headway, PM, REPORT)
    emulator.add_channel(EmulatorChannel(id=REPORT, name="ml-standup"))
    emulator.fail_next("chat.postMessage", error="channel_not_found")
    await queue(headway, [{"key": "report", "channel": REPORT},
                          {"key": "edit", "channel": REPORT, "method": OutboxMethod.UPDATE, "target_key": "report"}])
    await eventually(lambda: len(held_dms(emulator, PM)) == 1)
    assert await statuses(clean_database) == {"report": OutboxStatus.HELD, "edit": OutboxStatus.HELD,
                                              **{k: "sent" for k in (await statuses(clean_database))
                                                 if k.startswith("held:")}}


async def test_picking_a_channel_headway_cannot_post_in_says_how_to_fix_it(slack, emulator, headway, clean_database):
    from tests.handlers.standup_support import STANDUP
    from tests.handlers.test_projects import make_pm, open_form

    emulator.add_channel(EmulatorChannel(id="CPRIVATE1", name="secret", is_private=True, members=[PM]))
    emulator.add_channel(EmulatorChannel(id="CARCHIVE1", name="old", is_archived=True))
    await make_pm(slack, PM)
    view_id = await open_form(slack, emulator, PM, "new", command="/standup")
    refused = await slack.view_submission(PM, view_id, dict(STANDUP, participants=[MEMBER], channel="CPRIVATE1"))
    assert refused.body["response_action"] == "errors"
    assert "/invite @Headway" in refused.body["errors"]["channel"]  # private: Slack will not even show it
    archived = await slack.view_submission(PM, view_id, dict(STANDUP, participants=[MEMBER], channel="CARCHIVE1"))
    assert "#old is archived" in archived.body["errors"]["channel"]
    assert not await rows(clean_database, Standup)

    emulator.invite_bot("CPRIVATE1")
    saved = await slack.view_submission(PM, view_id, dict(STANDUP, participants=[MEMBER], channel="CPRIVATE1"))
    assert saved.status == 200 and not saved.body

    result = await slack.slash_command(PM, "/headway", "digest subscribe exec <#CARCHIVE1|old>")
    answer = json.dumps(await result.wait_for_response())
    assert "archived" in answer


@pytest.mark.real_pace
async def test_saving_a_standup_for_500_new_people_asks_slack_after_the_modal_closed(
    slack, emulator, headway, clean_database
):
    from tests.handlers.standup_support import STANDUP
    from tests.handlers.test_projects import make_pm, open_form

    team = [f"UBIG{i:05d}" for i in range(500)]
    for user_id in team:
        emulator.add_user(id=user_id, name=user_id.lower(), tz="Asia/Tokyo")
    await make_pm(slack, PM)
    view_id = await open_form(slack, emulator, PM, "new", command="/standup")
    before = len(emulator.calls_to("users.info")) + len(emulator.calls_to("users.list"))
    started = asyncio.get_running_loop().time()
    saved = await slack.view_submission(PM, view_id, dict(STANDUP, participants=team))
    assert saved.status == 200 and not saved.body
    assert asyncio.get_running_loop().time() - started < 3

    async def filled() -> bool:
        people = [p for p in await rows(clean_database, Person) if p.user_id in team]
        return len(people) == 500 and all(p.tz == "Asia/Tokyo" and p.profile_refreshed_at for p in people)
    await until(filled)
    asked = len(emulator.calls_to("users.info")) + len(emulator.calls_to("users.list")) - before
    assert asked <= 5  # pages of users.list, not 500 users.info
    assert not [c for c in emulator.calls_to("users.list") if c.status == 429]


async def test_after_an_uninstall_nothing_is_sent_or_lost_and_a_reinstall_with_a_restart_sends_it_all(
    settings, clock, emulator, clean_database
):
    from bot.server import HeadwayServer
    from tests.conftest import SIGNING_SECRET

    first = HeadwayServer(settings, clock=clock)
    await first.start()
    try:
        emulator.set_app_endpoint(first.url + "/slack/events", SIGNING_SECRET)
        emulator.uninstall()  # tokens revoked; Slack sends tokens_revoked and app_uninstalled to the app
        await emulator.flush_app_events()
        health = await paused_health(first.url)
        assert health.json()["delivery"]["paused"] is True
        await queue(first, [{"key": f"dm:{u}", "channel": u, "kind": "standup_prompt"} for u in (PM, MEMBER)])
        await asyncio.sleep(1.5)
        assert set((await statuses(clean_database)).values()) == {"pending"}  # kept, not thrown away
        assert not [c for c in emulator.calls_to("chat.postMessage") if c.ok]
    finally:
        await first.stop()

    token = emulator.reinstall()  # a new token, given to Headway as SLACK_BOT_TOKEN with a restart
    second = HeadwayServer(settings.model_copy(update={"slack_bot_token": SecretStr(token)}), clock=clock)
    await second.start()
    try:
        async def all_sent() -> bool:
            return set((await statuses(clean_database)).values()) == {"sent"}
        await until(all_sent)
        async with httpx.AsyncClient() as client:
            assert (await client.get(second.url + "/healthz")).json()["delivery"]["paused"] is False
    finally:
        await second.stop()


@pytest.mark.real_pace
async def test_a_slow_channel_check_does_not_hold_the_forms_ack_and_a_postable_channel_is_not_asked_again(
    slack, emulator, headway, clean_database
):
    from tests.handlers.standup_support import STANDUP
    from tests.handlers.test_projects import make_pm, open_form

    emulator.add_channel(EmulatorChannel(id="CSLOW0001", name="slow", bot_member=True))
    await make_pm(slack, PM)
    emulator.slow_next("conversations.info", seconds=5)  # Slack answers long after the ack must be sent
    view_id = await open_form(slack, emulator, PM, "new", command="/standup")
    loop = asyncio.get_running_loop()
    started = loop.time()
    saved = await slack.view_submission(PM, view_id, dict(STANDUP, participants=[MEMBER], channel="CSLOW0001"))
    assert saved.status == 200 and not saved.body  # saved: the send will hold the report and tell if it can't post
    assert loop.time() - started < 2.5
    assert len(await rows(clean_database, Standup)) == 1

    asked = len(emulator.calls_to("conversations.info"))
    view_id = await open_form(slack, emulator, PM, "new", command="/standup")
    again = await slack.view_submission(PM, view_id, dict(STANDUP, name="second", participants=[MEMBER],
                                                          channel=CHANNEL))
    assert again.status == 200 and not again.body
    view_id = await open_form(slack, emulator, PM, "new", command="/standup")
    third = await slack.view_submission(PM, view_id, dict(STANDUP, name="third", participants=[MEMBER],
                                                          channel=CHANNEL))
    assert third.status == 200 and not third.body
    assert len(emulator.calls_to("conversations.info")) == asked + 1  # the second form asked; the third did not

