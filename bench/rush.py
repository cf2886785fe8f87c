"""The morning rush: 1,000 people submit their standup answers within 60 s (open loop), and 100 project forms are
submitted at the same moment half-way through.

    python -m bench.rush [--people 1000] [--seconds 60] [--rate-scale 20]

Headway runs as `headway serve` does (bench/serve.py), the emulator in its own process with Slack's rate limits on.
Slack limits posts to one channel to about one a second; 1,000 answers threaded under one report at that pace take
~17 minutes, so the emulator's limits are scaled (`--rate-scale`, default 20: 20 posts/s to the channel) to keep the
run short — the sender must still pace itself to them. Every answer is a real modal submission (the modal opened
by clicking Answer once, then submitted per person with that person's prompt); every project form saves a new
project in its ack. Reported: ack p50/p99 per kind (goal: p99 < 1 s), answers threaded under the report (goal:
all of them, each once), 429s the emulator answered, and how long after the last submission the thread was
complete.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import time
from urllib.parse import urlencode

import httpx

from bench.ack_latency import project_values
from bench.common import (
    CHANNEL,
    SIGNING_SECRET,
    TEAM_ID,
    emulator_calls,
    migrated_database,
    outbox_key,
    percentile,
    quick_httpx,
    seed_standup,
    settings_for,
    start_emulator,
    start_server,
    table,
    workdir,
    write_backend_section,
)
from bot.ids import ActionId, CallbackId
from bot.slack_emulator import RemoteLink, SlackDriver, slack_signature

ACK_GOAL = 1.0
FORMS = 100
DRAIN_WAIT = 60.0  # seconds to wait for the thread after the last submission before counting


async def prompt_ids(db_url: str) -> dict[str, int]:
    """Each person's prompt, read back from Headway's database (the prompt DM is one message for everyone)."""
    from sqlalchemy import text

    from bot.db import create_engine

    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text(
                "SELECT user_id, id FROM standup_prompts"))
            return {user: prompt for user, prompt in rows.all()}
    finally:
        await engine.dispose()


async def captured(driver: SlackDriver, link: RemoteLink, user: str, pm: str) -> tuple[dict, dict]:
    """One real answer submission and one real project-form submission, to vary per request."""
    [prompt] = [m for m in await link.call("messages", channel=user) if ActionId.STANDUP_ANSWER in json.dumps(m)]
    await driver.block_action(user, ActionId.STANDUP_ANSWER, message=("D" + user[1:], prompt["ts"]))
    view = await _form(link, user, CallbackId.STANDUP_ANSWER)
    answer = await driver.view_submission(user, view["id"], {"q0": "Tried class weights", "q1": "Recall up"})
    assert answer.status == 200, answer.text
    await driver.slash_command(pm, "/headway", "project new", channel_id=CHANNEL)
    form = await _form(link, pm, CallbackId.PROJECT_FORM)
    first = await driver.view_submission(pm, form["id"], project_values(pm, "RFIRST"))
    assert first.status == 200 and not first.body, first.text
    return answer.payload, first.payload


async def _form(link: RemoteLink, user: str, callback: str) -> dict:
    for _ in range(500):
        view = await link.call("top_view", user_id=user)
        if view and view.get("callback_id") == callback:
            return view
        await asyncio.sleep(0.02)
    raise RuntimeError(f"no {callback} modal for {user}")


def answer_body(template: dict, user: str, prompt: int) -> str:
    payload = copy.deepcopy(template)
    payload["user"] = dict(payload["user"], id=user, username=user.lower(), name=user.lower())
    payload["view"]["private_metadata"] = json.dumps({"prompt": prompt})
    return urlencode({"payload": json.dumps(payload)})


def form_body(template: dict, index: int) -> str:
    payload = copy.deepcopy(template)
    [action] = payload["view"]["state"]["values"]["key"]
    payload["view"]["state"]["values"]["key"][action]["value"] = f"R{index:05d}"
    return urlencode({"payload": json.dumps(payload)})


async def post(client: httpx.AsyncClient, url: str, body: str, acks: list[float], failures: list[str]) -> None:
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
               "X-Slack-Signature": slack_signature(SIGNING_SECRET, timestamp, body)}
    began = time.perf_counter()
    response = await client.post(url, content=body.encode(), headers=headers)
    acks.append(time.perf_counter() - began)
    if response.status_code != 200 or response.content:
        failures.append(f"{response.status_code} {response.text[:120]}")


async def main(people: int, seconds: float, rate_scale: float) -> None:
    quick_httpx()
    users = [f"URUSH{i:04d}" for i in range(people)]
    directory = workdir("rush")
    emulator = await start_emulator(directory, users, rate_scale=rate_scale)
    db = await migrated_database(directory)
    await seed_standup(settings_for(db, emulator.url), users, pms=users[:1])
    headway = await start_server("headway", directory, emulator.url, db)
    acks: dict[str, list[float]] = {"standup answer": [], "project form": []}
    failures: list[str] = []
    try:
        assert (await headway.command("tick"))["prompted"] == people
        limits = httpx.Limits(max_connections=300, max_keepalive_connections=300)
        async with httpx.AsyncClient(timeout=30) as http, httpx.AsyncClient(timeout=30, limits=limits) as client:
            link = RemoteLink(emulator.url, http)
            driver = SlackDriver(headway.url, SIGNING_SECRET, link, team_id=TEAM_ID, http=http)
            answer_template, form_template = await captured(driver, link, users[0], users[0])
            prompts = await prompt_ids(db)
            url = headway.url + "/slack/events"
            answers = [answer_body(answer_template, u, prompts[u]) for u in users[1:]]
            forms = [form_body(form_template, i) for i in range(FORMS)]
            tasks, start = [], time.perf_counter()
            for index, body in enumerate(answers):
                delay = start + index * seconds / len(answers) - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(post(client, url, body, acks["standup answer"], failures)))
                if index == len(answers) // 2:
                    tasks += [asyncio.create_task(post(client, url, f, acks["project form"], failures))
                              for f in forms]
            await asyncio.gather(*tasks)
            submitted = time.perf_counter()
            try:  # Headway posts to one channel at Slack's pace (about 1 a second), whatever the emulator allows
                await asyncio.wait_for(headway.command("drain"), DRAIN_WAIT)
                complete: float | None = time.perf_counter() - submitted
            except TimeoutError:
                complete = None
            posts = await emulator_calls(emulator.url, "chat.postMessage")
    finally:
        for child in (headway, emulator):
            await child.stop()
    threaded = [c for c in posts if c["params"].get("channel") == CHANNEL and c["params"].get("thread_ts")
                and c["response"].get("ok")]
    keys = [outbox_key(c["params"]) for c in threaded]
    limited = sum(1 for c in posts if c["response"].get("error") == "ratelimited")
    rows = [[kind, len(values), f"{percentile(values, 50) * 1000:.0f}", f"{percentile(values, 99) * 1000:.0f}",
             "yes" if percentile(values, 99) < ACK_GOAL else "no"] for kind, values in acks.items()]
    body = table(["submission", "n", "ack p50 ms", "ack p99 ms", f"p99 < {ACK_GOAL:.0f} s"], rows)
    body += (f"\n\n{people} people answered over {seconds:.0f} s (open loop), {FORMS} project forms at once "
             f"half-way. Answers threaded under the report: **{len(set(keys))} of {people}** "
             f"(duplicates: {len(keys) - len(set(keys))}); failed or refused submissions: {len(failures)}"
             f"{' — ' + failures[0] if failures else ''}. Emulator rate limits on, scaled ×{rate_scale:g} (the "
             f"channel takes {rate_scale:g} posts/s); chat.postMessage answered 429: {limited}. "
             + (f"The thread was complete {complete:.1f} s after the last submission." if complete is not None else
                f"{DRAIN_WAIT:.0f} s after the last submission the rest were still queued in the outbox (not lost): "
                "Headway posts to one channel at about one message a second, as Slack allows."))
    write_backend_section("rush", "Morning rush (standup answers and project forms)", body, "python -m bench.rush")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.rush")
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate-scale", type=float, default=20.0, help="multiply Slack's rate limits")
    options = parser.parse_args()
    asyncio.run(main(options.people, options.seconds, options.rate_scale))
