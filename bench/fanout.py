"""Fan-out: standup prompts to 1,000 and 5,000 people through the emulator with its Slack-like rate limits on.

    python -m bench.fanout [--sizes 1000 5000]

Per size: a fresh emulator (rate limits as configured: chat.postMessage 1/s per channel with a burst of 5, tiers
per method) and a fresh SQLite database; the people and a daily standup due now are created through the domain
services; the Headway server (its own process, as `headway serve` builds it, scheduler off) runs standup_tick on
command and the clock stops when no outbox row is pending or sending. Then the emulator's recorded calls are
counted by the outbox key in message metadata: 0 lost and 0 duplicated is required.

The floor: the rate limits imply one from the busiest bucket, max((messages in bucket - burst) / rate). Each
prompt is a DM to a different person (its own channel) and the emulator has no workspace-wide chat.postMessage
limit, so that floor is ~0 s. The floor used instead is a plain poster: slack_sdk's AsyncWebClient posting the
very same messages (same channels, text, blocks, metadata) to a fresh emulator as fast as it can, with the outbox
sender's concurrency, honouring Retry-After.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import time
from collections import Counter

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.common import (
    BOT_TOKEN,
    Child,
    emulator_calls,
    migrated_database,
    outbox_key,
    seed_standup,
    settings_for,
    start_emulator,
    start_server,
    table,
    workdir,
    write_backend_section,
)
from bot.delivery.gateway import OUTBOX_EVENT
from bot.delivery.sender import OutboxSender
from bot.slack_emulator import RateLimitConfig
from bot.slack_emulator.ratelimit import PER_CHANNEL_METHODS, RateLimiter

CONCURRENCY = inspect.signature(OutboxSender).parameters["concurrency"].default
GOAL = 1.1


def people(count: int) -> list[str]:
    return [f"UFAN{i:05d}" for i in range(count)]


def rate_limit_floor(messages: list[dict]) -> float:
    """Seconds the emulator's token buckets force on these chat.postMessage calls, at best."""
    limiter = RateLimiter(RateLimitConfig())
    rate, burst = limiter.limit_for("chat.postMessage")
    per_channel = "chat.postMessage" in PER_CHANNEL_METHODS
    buckets = Counter(m["channel"] if per_channel else "*" for m in messages)
    return max(0.0, max((count - burst) / rate for count in buckets.values()))


async def outbox_rows(db_url: str) -> list[dict]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text(
                "SELECT key, channel, method, payload, status FROM outbox_messages ORDER BY id"))
            return [dict(row._mapping) for row in rows]
    finally:
        await engine.dispose()


async def delivered(emulator: Child) -> tuple[Counter, int]:
    """Successful chat.postMessage calls by outbox key, and how many calls were answered 429."""
    calls = await emulator_calls(emulator.url, "chat.postMessage")
    ok = Counter(outbox_key(c["params"]) for c in calls if c["status"] == 200 and c["response"].get("ok"))
    return ok, sum(c["status"] == 429 for c in calls)


async def plain_poster(api_url: str, messages: list[dict]) -> float:
    """Post the same messages as fast as the client allows, CONCURRENCY at a time, over one kept-alive aiohttp
    session (as Headway's client does); return the elapsed seconds."""
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    client = AsyncWebClient(token=BOT_TOKEN, base_url=api_url, timeout=30, session=session)
    pending = iter(messages)

    async def worker() -> None:
        for message in pending:
            payload = json.loads(message["payload"])
            while True:
                try:
                    await client.chat_postMessage(
                        channel=message["channel"], text=payload["text"], blocks=payload["blocks"] or None,
                        unfurl_links=False, unfurl_media=False,
                        metadata={"event_type": OUTBOX_EVENT, "event_payload": {"key": message["key"]}})
                    break
                except SlackApiError as error:
                    if error.response.status_code != 429:
                        raise
                    await asyncio.sleep(int(error.response.headers.get("Retry-After", 1)))

    started = time.perf_counter()
    try:
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - started
    finally:
        await session.close()


async def fan_out(size: int) -> dict:
    directory = workdir(f"fanout{size}")
    users = people(size)
    emulator = await start_emulator(directory, users)
    try:
        db = await migrated_database(directory)
        started = time.perf_counter()
        await seed_standup(settings_for(db, emulator.url), users)
        setup_s = time.perf_counter() - started
        server = await start_server("headway", directory, emulator.url, db)
        try:
            result = await server.command("tick")
        finally:
            await server.stop()
        keys, throttled = await delivered(emulator)
    finally:
        await emulator.stop()
    rows = [r for r in await outbox_rows(db) if r["method"] == "chat.postMessage"]
    expected = Counter(r["key"] for r in rows)
    plain_emulator = await start_emulator(directory, users)
    try:
        plain_s = await plain_poster(plain_emulator.url, rows)
        plain_keys, plain_throttled = await delivered(plain_emulator)
    finally:
        await plain_emulator.stop()
    assert plain_keys == expected, "the plain poster lost or repeated messages"
    return {"size": size, "setup_s": setup_s, **result, "messages": len(rows), "throttled": throttled,
            "lost": sum((expected - keys).values()), "duplicated": sum(n - 1 for n in keys.values() if n > 1),
            "unexpected": sum((keys - expected).values()), "plain_s": plain_s, "plain_throttled": plain_throttled,
            "floor_s": rate_limit_floor(rows), "statuses": Counter(r["status"] for r in rows)}


async def main(sizes: list[int]) -> None:
    results = []
    for size in sizes:
        results.append(await fan_out(size))
        print(json.dumps(results[-1], default=str), flush=True)
    rows = []
    for r in results:
        ratio = r["elapsed_s"] / r["plain_s"]
        rows.append([f"{r['size']:,}", r["messages"], f"{r['floor_s']:.2f}", f"{r['plain_s']:.2f}",
                     f"{r['elapsed_s']:.2f} ({r['tick_s']:.2f} + {r['elapsed_s'] - r['tick_s']:.2f})",
                     f"{r['messages'] / r['elapsed_s']:.0f} / {r['messages'] / r['plain_s']:.0f}",
                     f"**{ratio:.2f}×**", f"{r['lost']} / {r['duplicated']}", f"{r['throttled']}",
                     "yes" if ratio <= GOAL and not r["lost"] and not r["duplicated"] else "no"])
    body = table(["people", "messages", "rate-limit floor s", "plain poster s (floor)",
                  "headway s (tick + sending)", "msgs/s headway / plain", "elapsed / floor", "lost / duplicated",
                  "429s", f"≤ {GOAL}× and exact"], rows)
    body += (f"\n\nThe rate-limit floor is ~0 s: every prompt is a DM to a different person (one channel each, "
             f"under chat.postMessage's per-channel burst) and the emulator has no workspace-wide chat.postMessage "
             f"limit; the standup channel gets one report message. So the floor is a plain poster: slack_sdk's "
             f"AsyncWebClient on one kept-alive aiohttp session posting the same messages {CONCURRENCY} at a time "
             f"(the outbox sender's concurrency) to a fresh emulator, with nothing to plan and nothing to record. "
             f"Headway's time runs from standup_tick's start (planning the prompts, 200 people per transaction, "
             f"while the first are sent) "
             f"until no outbox row is pending or sending; lost/duplicated count the emulator's successful "
             f"chat.postMessage calls by the outbox key in their metadata.")
    write_backend_section("fanout", "Standup fan-out (headway vs a plain poster)", body, "python -m bench.fanout")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.fanout")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    asyncio.run(main(parser.parse_args().sizes))
