"""The outbox sender against the emulator: rate limits, faults, ordering, dead letters, restarts."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from bot.delivery.outbox import enqueue
from bot.models import OutboxMessage, OutboxMethod, OutboxStatus
from bot.people.service import ensure_workspace
from bot.render import Message
from bot.server import HeadwayServer
from bot.slack_emulator import EmulatorUser
from tests.conftest import CHANNEL, TEAM_ID
from tests.handlers.standup_support import outbox_key
from tests.support import eventually, rows


def add_people(emulator, count: int) -> list[str]:
    ids = [f"UFAN{i:05d}" for i in range(count)]
    for user_id in ids:
        emulator.add_user(EmulatorUser(id=user_id, name=user_id.lower(), tz="UTC"))
    return ids


async def queue(server: HeadwayServer, messages: list[dict]) -> None:
    async with server.hw.db.unit_of_work() as session:
        await ensure_workspace(session, TEAM_ID)
        for m in messages:
            await enqueue(session, team_id=TEAM_ID, kind=m.get("kind", "test"),
                          message=Message(text=m.get("text", m["key"])), **{k: v for k, v in m.items()
                                                                              if k not in ("kind", "text")})
    server.hw.deliver()


def delivered_keys(emulator) -> Counter:
    return Counter(outbox_key(c) for c in emulator.calls_to("chat.postMessage") if c.response.get("ok"))


async def all_settled(database_url: str) -> bool:
    return all(r.status in (OutboxStatus.SENT, OutboxStatus.DEAD, OutboxStatus.HELD)
               for r in await rows(database_url, OutboxMessage))


async def wait_settled(database_url: str, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await all_settled(database_url):
        assert asyncio.get_running_loop().time() < deadline, "outbox did not settle"
        await asyncio.sleep(0.05)


@pytest.mark.real_pace
async def test_a_429_storm_delays_but_delivers_everything_once(headway, emulator, clean_database):
    people = add_people(emulator, 8)
    emulator.fail_next("chat.postMessage", status=429, count=6, retry_after=1)
    await queue(headway, [{"key": f"storm:{p}", "channel": p} for p in people])
    await wait_settled(clean_database)
    assert delivered_keys(emulator) == Counter({f"storm:{p}": 1 for p in people})
    assert sum(1 for c in emulator.calls_to("chat.postMessage") if c.status == 429) == 6
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(headway.url + "/metrics")).text
    assert 'headway_outbox_retries_total{reason="ratelimited"} 6.0' in metrics


async def test_server_errors_are_retried_and_refusals_dead_lettered(headway, emulator, clean_database):
    emulator.fail_next("chat.postMessage", status=500, count=2)
    await queue(headway, [{"key": "flaky", "channel": CHANNEL}])
    await wait_settled(clean_database)
    emulator.fail_next("chat.postMessage", error="msg_too_long")  # retrying cannot help, nobody can fix it
    await queue(headway, [{"key": "too_long", "channel": CHANNEL}])
    await wait_settled(clean_database)
    status = {r.key: (r.status, r.attempts) for r in await rows(clean_database, OutboxMessage)}
    assert status["flaky"] == ("sent", 3)
    assert status["too_long"][0] == "dead"
    assert delivered_keys(emulator)["flaky"] == 1
    async with httpx.AsyncClient() as client:
        metrics = (await client.get(headway.url + "/metrics")).text
    assert 'headway_outbox_dead_letters_total{kind="test"} 1.0' in metrics


async def test_repeated_server_errors_end_in_the_dead_letter_queue(headway, emulator, clean_database):
    headway.hw.outbox.max_attempts = 2
    emulator.fail_next("chat.postMessage", status=503, count=5)
    await queue(headway, [{"key": "doomed", "channel": CHANNEL}])
    await wait_settled(clean_database)
    [row] = await rows(clean_database, OutboxMessage)
    assert (row.status, row.attempts) == ("dead", 2) and "503" in row.last_error


async def test_replies_wait_for_their_parent_and_updates_for_their_target(headway, emulator, clean_database):
    emulator.fail_next("chat.postMessage", status=500, count=1)  # the parent's first attempt fails
    await queue(headway, [
        {"key": "parent", "channel": CHANNEL},
        {"key": "reply", "channel": CHANNEL, "thread_key": "parent"},
        {"key": "edit", "channel": CHANNEL, "method": OutboxMethod.UPDATE, "target_key": "parent",
         "text": "edited"},
    ])
    await wait_settled(clean_database)
    by_key = {r.key: r for r in await rows(clean_database, OutboxMessage)}
    assert all(r.status == "sent" for r in by_key.values())
    [reply] = [c for c in emulator.calls_to("chat.postMessage") if outbox_key(c) == "reply"]
    assert reply.params["thread_ts"] == by_key["parent"].result_ts
    [update] = [c for c in emulator.calls_to("chat.update") if c.response.get("ok")]
    assert update.params["ts"] == by_key["parent"].result_ts and update.params["text"] == "edited"


async def test_enqueueing_the_same_key_twice_stores_one_row(headway, emulator, clean_database):
    await queue(headway, [{"key": "once", "channel": CHANNEL}])
    await queue(headway, [{"key": "once", "channel": CHANNEL, "text": "again"}])
    await wait_settled(clean_database)
    assert len(await rows(clean_database, OutboxMessage)) == 1
    assert delivered_keys(emulator)["once"] == 1


@pytest.mark.real_pace
@pytest.mark.parametrize("crash_mid_send", [False, True])
async def test_a_crash_in_the_middle_of_a_fan_out_loses_and_repeats_nothing(
    settings, clock, emulator, clean_database, crash_mid_send
):
    people = add_people(emulator, 30)
    quick = settings.model_copy(update={"outbox_lease_seconds": 1})
    first = HeadwayServer(quick, clock=clock)
    await first.start()
    if crash_mid_send:  # Slack accepts this post but answers slowly: we die before recording it
        emulator.slow_next("chat.postMessage", seconds=5)
    # and the rest slowly enough that the crash lands between waves of sends
    emulator.slow_next("chat.postMessage", seconds=0.2, count=len(people))
    await queue(first, [{"key": f"fan:{p}", "channel": p} for p in people])
    if crash_mid_send:
        await eventually(lambda: len(emulator.calls_to("chat.postMessage")) >= 1)
    else:
        await eventually(lambda: sum(delivered_keys(emulator).values()) >= 5)
    await first.crash()
    sent_before = sum(delivered_keys(emulator).values())
    assert sent_before < len(people)

    second = HeadwayServer(quick, clock=clock)
    await second.start()
    try:
        await wait_settled(clean_database)
    finally:
        await second.stop()
    assert delivered_keys(emulator) == Counter({f"fan:{p}": 1 for p in people})
    assert all(r.status == "sent" for r in await rows(clean_database, OutboxMessage))
    # only messages whose call may have reached Slack are looked up (at most the calls in flight), not the batch
    assert len(emulator.calls_to("conversations.history")) <= 16 < len(people)


async def test_a_message_whose_images_slack_refuses_goes_out_without_them(headway, emulator, clean_database):
    emulator.fail_next("chat.postMessage", error="invalid_blocks")
    message_blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "The words"}},
                      {"type": "image", "slack_file": {"id": "F0PRIVATE"}, "alt_text": "chart"}]
    async with headway.hw.db.unit_of_work() as session:
        await ensure_workspace(session, TEAM_ID)
        await enqueue(session, team_id=TEAM_ID, key="digest", kind="digest_exec", channel=CHANNEL,
                      message=Message(text="digest", blocks=message_blocks))
    headway.hw.deliver()
    await wait_settled(clean_database)
    [row] = await rows(clean_database, OutboxMessage)
    assert row.status == "sent"
    [sent] = [c for c in emulator.calls_to("chat.postMessage") if c.response.get("ok")]
    assert "image" not in str(sent.params["blocks"]) and "The words" in str(sent.params["blocks"])


@pytest.mark.real_pace
async def test_the_sender_paces_itself_to_the_workspace_budget(settings, clock, emulator, clean_database):
    people = add_people(emulator, 12)
    paced = settings.model_copy(update={"slack_messages_per_second": 10.0, "slack_messages_burst": 2})
    async with HeadwayServer(paced, clock=clock) as server:
        await queue(server, [{"key": f"paced:{p}", "channel": p} for p in people])
        await wait_settled(clean_database)
    calls = emulator.calls_to("chat.postMessage")
    assert delivered_keys(emulator) == Counter({f"paced:{p}": 1 for p in people})
    assert not [c for c in calls if c.status == 429]
    # two at once (the burst), then one every 0.1 s: the last goes out no sooner than 1 s after the first
    assert calls[-1].at - calls[0].at >= 0.95


@pytest.mark.real_pace
async def test_updates_waiting_for_their_tier_do_not_hold_up_messages(settings, clock, emulator, clean_database):
    """Forty prompts settled at once: chat.update is Tier 3 (50 a minute, bursts of 20), so the last of them go
    out ~24 s later. The DMs queued behind them go at the workspace's budget meanwhile, and Slack sees no 429."""
    prompts, others = add_people(emulator, 40), [f"UOTHER{i:03d}" for i in range(20)]
    for user_id in others:
        emulator.add_user(EmulatorUser(id=user_id, name=user_id.lower(), tz="UTC"))
    async with HeadwayServer(settings, clock=clock) as server:  # 5 messages a second, bursts of 20
        await queue(server, [{"key": f"prompt:{p}", "channel": p} for p in prompts])
        await wait_settled(clean_database)
        await queue(server, [{"key": f"prompt:{p}:settled", "kind": "prompt_settled", "channel": p,
                              "method": OutboxMethod.UPDATE, "target_key": f"prompt:{p}", "text": "Answered"}
                             for p in prompts])
        await queue(server, [{"key": f"confirm:{p}", "channel": p} for p in others])
        await eventually(lambda: delivered_keys(emulator) >= Counter({f"confirm:{p}": 1 for p in others}),
                         timeout=10.0)
        updates = [c for c in emulator.calls_to("chat.update") if c.response.get("ok")]
        assert 20 <= len(updates) < 40  # the burst went at once; the rest keep Slack's pace
        waiting = {r.key: r.status for r in await rows(clean_database, OutboxMessage) if r.method == "chat.update"}
        assert set(waiting.values()) <= {OutboxStatus.SENT, OutboxStatus.PENDING, OutboxStatus.SENDING}
    assert not [c for c in emulator.calls if c.status == 429]


@pytest.mark.real_pace
async def test_an_update_does_not_wait_behind_the_workspaces_message_backlog(settings, clock, emulator,
                                                                             clean_database):
    """chat.update spends no chat.postMessage budget: a report's refresh goes out while a fan-out's DMs queue."""
    people = add_people(emulator, 60)
    async with HeadwayServer(settings, clock=clock) as server:  # 5 messages a second: the DMs take ~8 s
        await queue(server, [{"key": "report", "channel": CHANNEL}])
        await wait_settled(clean_database)
        await queue(server, [{"key": f"dm:{p}", "channel": p} for p in people])
        await queue(server, [{"key": "report:refresh", "channel": CHANNEL, "method": OutboxMethod.UPDATE,
                              "target_key": "report", "text": "refreshed"}])
        await eventually(lambda: [c for c in emulator.calls_to("chat.update") if c.response.get("ok")], timeout=3.0)
        assert sum(delivered_keys(emulator).values()) < 50  # most of the DMs are still waiting their turn
