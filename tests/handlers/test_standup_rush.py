"""A rush of standup answers through Slack: the thread keeps up (answers share posts), each answer once, edits land."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from bot.slack_emulator import EmulatorUser
from tests.conftest import CHANNEL, PM
from tests.handlers.standup_support import create_standup, dms_to, outbox_keys, tick, wait_prompt, where
from tests.support import all_text, eventually, filled_view

PEOPLE = [f"URUSH{i:03d}" for i in range(10)]


def thread_posts(emulator) -> list:
    return [c for c in emulator.calls_to("chat.postMessage")
            if c.params.get("channel") == CHANNEL and c.params.get("thread_ts") and c.response.get("ok")]


def text_of(call) -> str:
    blocks = call.params.get("blocks")
    return all_text(json.loads(blocks) if isinstance(blocks, str) else blocks or [])


async def open_answer(slack, emulator, user: str, dm, action: str = "standup_answer") -> str:
    opened = len(emulator.calls_to("views.open"))
    shown = len(emulator.calls)
    assert (await slack.block_action(user, action, message=where(dm))).status == 200
    modal = await filled_view(emulator, shown)
    [view] = [c for c in emulator.calls_to("views.open")[opened:] if c.response.get("ok")]
    assert view.response["view"]["id"] == modal["id"]
    return modal["id"]


async def test_a_rush_of_answers_shares_thread_posts_each_answer_once_and_an_edit_updates_its_post(
    slack, emulator, headway, clock, clean_database
):
    for user in PEOPLE:
        emulator.add_user(EmulatorUser(id=user, name=user.lower(), tz="UTC"))
    await create_standup(slack, emulator, PEOPLE, PM)
    clock.set(clock.now().replace(hour=9, minute=35))
    await tick(headway, clock)
    dms = {user: await wait_prompt(emulator, user) for user in PEOPLE}
    views = {user: await open_answer(slack, emulator, user, dms[user]) for user in PEOPLE}

    results = await asyncio.gather(*(slack.view_submission(user, views[user], {"q0": f"worked on {user}"})
                                     for user in PEOPLE))
    assert all(r.status == 200 and not r.body for r in results)
    await eventually(lambda: sum(len(outbox_keys(c)) for c in thread_posts(emulator)) >= len(PEOPLE), timeout=15)
    posts = thread_posts(emulator)
    keys = Counter(key for c in posts for key in outbox_keys(c))
    assert set(keys.values()) == {1} and len(keys) == len(PEOPLE)  # each answer exactly once
    assert len(posts) < len(PEOPLE)  # answers that waited for the channel's slot went out together
    for user in PEOPLE:
        [holder] = [c for c in posts if f"worked on {user}" in text_of(c)]
        assert any(key.endswith(f":{user}:answer") for key in outbox_keys(holder))

    shared = next(c for c in posts if len(outbox_keys(c)) > 1)
    editor = next(u for u in PEOPLE if f"worked on {u}" in text_of(shared))
    others = [u for u in PEOPLE if u != editor and f"worked on {u}" in text_of(shared)]
    confirmation = await eventually(lambda: dms_to(emulator, editor, "confirm"))
    view_id = await open_answer(slack, emulator, editor, confirmation[-1], action="standup_edit")
    edited = await slack.view_submission(editor, view_id, {"q0": "changed my mind"})
    assert edited.status == 200 and not edited.body
    [update] = await eventually(lambda: [c for c in emulator.calls_to("chat.update") if c.response.get("ok")
                                         and "changed my mind" in text_of(c)], timeout=10)
    assert update.params["ts"] == shared.response["ts"]  # the message that holds the answer
    assert all(f"worked on {u}" in text_of(update) for u in others)  # its neighbours stay
    assert f"worked on {editor}" not in text_of(update)
    assert len(thread_posts(emulator)) == len(posts)  # an edit posts nothing new
