"""Thread replies waiting for their channel's slot go out together, one key each; updates supersede each other."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from bot.models import OutboxMessage, OutboxMethod
from bot.render import Message
from bot.server import HeadwayServer
from tests.bot.delivery.test_sender import queue, wait_settled
from tests.conftest import CHANNEL
from tests.handlers.standup_support import outbox_keys
from tests.support import eventually, rows


def posted(emulator) -> list:
    return [c for c in emulator.calls_to("chat.postMessage") if c.response.get("ok")]


def blocks_of(call) -> list:
    blocks = call.params.get("blocks")
    return json.loads(blocks) if isinstance(blocks, str) else blocks or []


def reply(key: str, words: str, blocks: int = 1) -> dict:
    return {"key": key, "channel": CHANNEL, "thread_key": "report", "text": words,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"{words} #{i}"}} for i in range(blocks)]}


async def queue_blocks(server: HeadwayServer, messages: list[dict]) -> None:
    """Like `queue`, with the blocks given (a reply's blocks must arrive whole)."""
    from bot.delivery.outbox import enqueue
    from bot.people.service import ensure_workspace
    from tests.conftest import TEAM_ID

    async with server.hw.db.unit_of_work() as session:
        await ensure_workspace(session, TEAM_ID)
        for m in messages:
            fields = {k: v for k, v in m.items() if k not in ("text", "blocks")}
            await enqueue(session, team_id=TEAM_ID, kind="test",
                          message=Message(text=m["text"], blocks=m.get("blocks", [])), **fields)
    server.hw.deliver()


async def test_replies_queued_together_go_out_in_fewer_posts_each_once_and_whole(headway, emulator, clean_database):
    replies = [reply(f"answer:{i:02d}", f"answer {i}", blocks=1 + i % 3) for i in range(30)]
    await queue_blocks(headway, [{"key": "report", "channel": CHANNEL, "text": "report"}, *replies])
    await wait_settled(clean_database)
    by_key = {r.key: r for r in await rows(clean_database, OutboxMessage)}
    assert {r.status for r in by_key.values()} == {"sent"}
    threaded = [c for c in posted(emulator) if c.params.get("thread_ts")]
    keys = [key for c in threaded for key in outbox_keys(c)]
    assert Counter(keys) == Counter(r["key"] for r in replies)  # every reply exactly once
    assert keys == sorted(keys)  # in the order they were queued
    assert 1 < len(threaded) < len(replies) / 3  # bundled: 60 blocks cannot all fit one message
    for call in threaded:
        assert call.params["thread_ts"] == by_key["report"].result_ts
        blocks = blocks_of(call)
        assert len(blocks) <= 50
        for key in outbox_keys(call):  # each reply's blocks whole, in one message, and it records that message
            index = int(key.split(":")[1])
            assert [b["text"]["text"] for b in blocks if b["text"]["text"].startswith(f"answer {index} #")] == [
                f"answer {index} #{i}" for i in range(1 + index % 3)]
            assert by_key[key].result_ts == call.response["ts"]


async def test_an_edit_of_a_bundled_reply_updates_its_message_and_keeps_the_others(headway, emulator, clean_database):
    await queue_blocks(headway, [{"key": "report", "channel": CHANNEL, "text": "report"},
                                 *[reply(f"answer:{i}", f"answer {i}") for i in range(4)]])
    await wait_settled(clean_database)
    [bundle] = [c for c in posted(emulator) if c.params.get("thread_ts")]
    assert outbox_keys(bundle) == [f"answer:{i}" for i in range(4)]
    for version in (2, 3):  # edited twice: the second edit keeps the first's neighbours as they are
        await queue_blocks(headway, [{"key": f"answer:2:v{version}", "channel": CHANNEL,
                                      "method": OutboxMethod.UPDATE, "target_key": "answer:2",
                                      "text": "edited", "blocks": reply("", f"answer 2 edited v{version}")["blocks"]}])
        await wait_settled(clean_database)
    await queue_blocks(headway, [{"key": "answer:0:v2", "channel": CHANNEL, "method": OutboxMethod.UPDATE,
                                  "target_key": "answer:0", "text": "edited",
                                  "blocks": reply("", "answer 0 edited")["blocks"]}])
    await wait_settled(clean_database)
    updates = [c for c in emulator.calls_to("chat.update") if c.response.get("ok")]
    assert [u.params["ts"] for u in updates] == [bundle.response["ts"]] * 3
    assert [b["text"]["text"] for b in blocks_of(updates[-1])] == [
        "answer 0 edited #0", "answer 1 #0", "answer 2 edited v3 #0", "answer 3 #0"]


async def test_waiting_updates_of_one_message_supersede_each_other(headway, emulator, clean_database):
    updates = [{"key": f"report:v{i}", "channel": CHANNEL, "method": OutboxMethod.UPDATE, "target_key": "report",
                "text": f"report v{i}"} for i in range(2, 8)]
    await queue(headway, [{"key": "report", "channel": CHANNEL, "text": "report v1"}, *updates])
    await eventually(lambda: [c for c in emulator.calls_to("chat.update") if c.response.get("ok")])
    for _ in range(500):  # the send is recorded just after Slack's answer
        if {r.status for r in await rows(clean_database, OutboxMessage)} <= {"sent", "cancelled"}:
            break
        await asyncio.sleep(0.02)
    sent = [c for c in emulator.calls_to("chat.update") if c.response.get("ok")]
    assert [c.params["text"] for c in sent] == ["report v7"]  # only the newest went out
    status = {r.key: (r.status, r.last_error) for r in await rows(clean_database, OutboxMessage)}
    assert status["report:v7"][0] == "sent"
    assert all(status[f"report:v{i}"] == ("cancelled", "superseded by a newer update") for i in range(2, 7))


async def test_a_bundle_slack_refuses_goes_out_reply_by_reply(headway, emulator, clean_database):
    await queue_blocks(headway, [{"key": "report", "channel": CHANNEL, "text": "report"},
                                 *[reply(f"answer:{i}", f"answer {i}") for i in range(3)]])
    await eventually(lambda: posted(emulator))
    emulator.fail_next("chat.postMessage", error="msg_too_long")  # the bundle; alone, each reply fits
    await wait_settled(clean_database)
    assert {r.status for r in await rows(clean_database, OutboxMessage)} == {"sent"}
    keys = [key for c in posted(emulator) if c.params.get("thread_ts") for key in outbox_keys(c)]
    assert Counter(keys) == Counter(f"answer:{i}" for i in range(3))


async def test_top_level_posts_between_replies_neither_split_the_bundle_nor_hold_it_back(headway, emulator,
                                                                                      clean_database):
    """A rush of new-project announcements in the standup's channel while answers arrive: the thread's replies
    still go out together, and they take turns with the announcements for the channel's slots."""
    await queue_blocks(headway, [{"key": "report", "channel": CHANNEL, "text": "report"}])
    await wait_settled(clean_database)
    mixed = []
    for i in range(12):
        mixed += [{"key": f"announce:{i:02d}", "channel": CHANNEL, "text": f"project {i}"},
                  reply(f"answer:{i:02d}", f"answer {i}")]
    await queue_blocks(headway, mixed)
    await wait_settled(clean_database)
    order = [keys for c in posted(emulator)[1:] for keys in [outbox_keys(c)]]
    threaded = [keys for keys in order if keys[0].startswith("answer:")]
    assert [key for keys in threaded for key in keys] == [f"answer:{i:02d}" for i in range(12)]  # once, in order
    assert len(threaded) == 1  # one message: the announcements between them did not break the bundle
    assert order.index(threaded[0]) <= 1  # its turn came with the first announcements, not after all twelve
    assert [keys[0] for keys in order if keys[0].startswith("announce:")] == [f"announce:{i:02d}" for i in range(12)]
