"""Fan-out: standup prompts to thousands of people through the emulator with its Slack-like rate limits on.

    python -m bench.fanout [--budget-sizes 5000] [--budget 50] [--crash 500] [--sizes 1000 5000]
    python -m bench.fanout --planning 5000   # planning alone, with and without time off (bench/planning.py)
    python -m bench.fanout --workspaces 2 --budget-sizes 2000   # two workspaces at once, each its own budget

Under a workspace budget (`--budget` chat.postMessage per second, the emulator's `--post-budget`, as Slack
limits a workspace): Headway paced to that budget (HEADWAY_SLACK_MESSAGES_PER_SECOND) sends the fan-out;
elapsed is compared with the floor the budget implies ((messages - burst) / rate), with the share of calls
answered 429 and lost/duplicated messages. Goal: ≤ 1.1× the floor, ≤ 1% 429s, 0 lost, 0 duplicated.

Several workspaces (`--workspaces W`, W ≥ 2): W workspaces on one emulator, each with N people, its own bot
token (installed as "Add to Slack" installations, so Headway's token source picks each workspace's own) and its
own chat.postMessage budget (the emulator's `--post-budget` bucket, per workspace as Slack limits "per app per
workspace"). One standup_tick plans all of them; each workspace's time runs from the tick until its last prompt
was accepted (the emulator's call record), against the floor its own budget implies. Goal: each ≤ 1.1× its floor,
0 lost, 0 duplicated, no call with another workspace's token.

Crash recovery (`--crash N`): the same N-person fan-out once without a crash, then again with the server
SIGKILLed half-way and a new one started at once; everything must be out within the outbox lease plus 1.2× the
no-crash time, 0 lost, 0 duplicated, with the lookups of possibly-sent messages paced like every other call.

Without a budget (`--sizes`, the older comparison):

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
    ADMIN,
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM_ID,
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
    workspace_file,
    write_backend_section,
)
from bot.delivery.gateway import OUTBOX_EVENT
from bot.delivery.sender import OutboxSender
from bot.slack_emulator import RateLimitConfig
from bot.slack_emulator.ratelimit import PER_CHANNEL_METHODS, RateLimiter

CONCURRENCY = inspect.signature(OutboxSender).parameters["concurrency"].default
GOAL = 1.1
THROTTLED_GOAL = 0.01
CRASH_GOAL = 1.2
LEASE_S = 10


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
                "SELECT team_id, key, channel, method, payload, status FROM outbox_messages ORDER BY id"))
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


def headway_pacing(rate: float) -> dict:
    """What Headway is told about the budget: its rate, and a burst a fifth under the emulator's (a tenth of a
    minute's budget, bot/slack_emulator/ratelimit.py), a margin for the jitter between the two clocks."""
    return {"messages_per_second": rate, "burst": int(budget_burst(rate) * 0.8), "lease_s": LEASE_S}


def budget_burst(rate: float) -> float:
    return max(1.0, rate * 60 / 10)


async def all_post_calls(emulator: Child) -> tuple[Counter, int, int]:
    """Delivered keys, 429s (budget, channel, method) and all chat.postMessage calls Headway made."""
    calls = await emulator_calls(emulator.url, "chat.postMessage")
    ok = Counter(outbox_key(c["params"]) for c in calls if c["status"] == 200 and c["response"].get("ok"))
    return ok, sum(c["status"] == 429 for c in calls), len(calls)


async def budget_fan_out(size: int, rate: float) -> dict:
    directory = workdir(f"budget{size}")
    users = people(size)
    emulator = await start_emulator(directory, users, post_budget=rate * 60)
    try:
        db = await migrated_database(directory)
        await seed_standup(settings_for(db, emulator.url), users)
        server = await start_server("headway", directory, emulator.url, db, **headway_pacing(rate))
        try:
            result = await server.command("tick")
        finally:
            await server.stop()
        keys, throttled, calls = await all_post_calls(emulator)
    finally:
        await emulator.stop()
    rows = [r for r in await outbox_rows(db) if r["method"] == "chat.postMessage"]
    expected = Counter(r["key"] for r in rows)
    burst = budget_burst(rate)
    return {"size": size, "rate": rate, **result, "messages": len(rows), "calls": calls, "throttled": throttled,
            "floor_s": max(0.0, (len(rows) - burst) / rate), "burst": burst,
            "lost": sum((expected - keys).values()), "duplicated": sum(n - 1 for n in keys.values() if n > 1),
            "statuses": Counter(r["status"] for r in rows)}


async def crash_fan_out(size: int, rate: float, no_crash_s: float) -> dict:
    """SIGKILL the server half-way through the fan-out, start another at once, time until all is out."""
    directory = workdir(f"crash{size}")
    users = people(size)
    emulator = await start_emulator(directory, users, post_budget=rate * 60)
    try:
        db = await migrated_database(directory)
        await seed_standup(settings_for(db, emulator.url), users)
        first = await start_server("headway", directory, emulator.url, db, **headway_pacing(rate))
        started = time.perf_counter()
        first.proc.stdin.write(b"tick\n")  # type: ignore[union-attr]
        await first.proc.stdin.drain()  # type: ignore[union-attr]
        while (await sent_count(db)) < size // 2:  # noqa: ASYNC110 (another process writes it)
            await asyncio.sleep(0.05)
        first.proc.kill()  # SIGKILL: no shutdown, no flush
        await first.proc.wait()
        crashed_at = time.perf_counter() - started
        second = await start_server("headway", directory, emulator.url, db, **headway_pacing(rate))
        try:
            await second.command("tick")  # standup_tick again (nothing new to plan), then wait for the outbox
        finally:
            await second.stop()
        elapsed = time.perf_counter() - started
        keys, throttled, calls = await all_post_calls(emulator)
        lookups = {m: len(await emulator_calls(emulator.url, m))
                   for m in ("conversations.open", "conversations.history", "conversations.replies")}
    finally:
        await emulator.stop()
    rows = [r for r in await outbox_rows(db) if r["method"] == "chat.postMessage"]
    expected = Counter(r["key"] for r in rows)
    return {"size": size, "messages": len(rows), "crashed_at_s": crashed_at, "elapsed_s": elapsed,
            "no_crash_s": no_crash_s, "limit_s": LEASE_S + CRASH_GOAL * no_crash_s, "throttled": throttled,
            "calls": calls, "lookups": lookups, "lost": sum((expected - keys).values()),
            "duplicated": sum(n - 1 for n in keys.values() if n > 1)}


async def sent_count(db_url: str) -> int:
    """Messages the server has recorded as sent (cheap to poll, unlike the emulator's whole call log)."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(
                "SELECT count(*) FROM outbox_messages WHERE status = 'sent'"))).scalar_one())
    finally:
        await engine.dispose()


CLIENT_ID, CLIENT_SECRET = "1111.2222", "bench-client-secret"  # "Add to Slack" mode: tokens from installations


def team_ids(count: int) -> list[str]:
    return [TEAM_ID, *(f"T0BENCH{i:02d}" for i in range(1, count))]


def workspace_token(index: int) -> str:
    return BOT_TOKEN if index == 0 else f"{BOT_TOKEN}-{index}"


async def install_workspaces(db_url: str, api_url: str, tokens: dict[str, str]) -> None:
    """Each workspace's installation, as Bolt's OAuth flow stores it (slack_sdk's store on Headway's tables):
    Headway's token source (bot.delivery.tokens.InstalledTokens) reads each workspace's token from there."""
    from bot.db import create_engine
    from bot.oauth import build_stores, store_installation

    engine = create_engine(db_url)
    try:
        installations, _ = build_stores(oauth_settings(db_url, api_url), engine)
        for team_id, token in tokens.items():
            await store_installation(installations, team_id=team_id, team_name=team_id, bot_token=token,
                                     bot_user_id="U0HEADBOT", bot_id="B0HEADBOT", app_id="A0HEADWAY",
                                     installer=ADMIN)
    finally:
        await engine.dispose()


def oauth_settings(db_url: str, api_url: str):  # noqa: ANN201 (bot.config is imported where used)
    from bot.config import load_settings

    return load_settings(slack_client_id=CLIENT_ID, slack_client_secret=CLIENT_SECRET,
                         slack_signing_secret=SIGNING_SECRET, slack_api_url=api_url, database_url=db_url,
                         public_url="https://headway.bench", host="127.0.0.1", port=0, scheduler_enabled=False)


OAUTH_ENV = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
             "HEADWAY_PUBLIC_URL": "https://headway.bench"}


async def workspaces_fan_out(size: int, rate: float, count: int) -> dict:
    """`count` workspaces of `size` people each, one tick for all; per workspace: time to its last accepted
    prompt vs its own budget's floor, 429 share, lost/duplicated, calls made with another workspace's token."""
    directory = workdir(f"workspaces{count}x{size}")
    teams = team_ids(count)
    users = {team: [f"UW{i}F{n:05d}" for n in range(size)] for i, team in enumerate(teams)}
    tokens = {team: workspace_token(i) for i, team in enumerate(teams)}
    more = [workspace_file(team, users[team], tokens[team]) for team in teams[1:]]
    emulator = await start_emulator(directory, users[TEAM_ID], post_budget=rate * 60, more_workspaces=more)
    try:
        db = await migrated_database(directory)
        for team in teams:
            await seed_standup(settings_for(db, emulator.url), users[team], team_id=team)
        await install_workspaces(db, emulator.url, tokens)
        server = await start_server("headway", directory, emulator.url, db, env=OAUTH_ENV, **headway_pacing(rate))
        try:
            result = await server.command("tick")
        finally:
            await server.stop()
        calls = {team: await emulator_calls(emulator.url, "chat.postMessage", team) for team in teams}
    finally:
        await emulator.stop()
    rows = [r for r in await outbox_rows(db) if r["method"] == "chat.postMessage"]
    burst = budget_burst(rate)
    per_team = []
    for team in teams:
        mine = calls[team]
        accepted = [c for c in mine if c["status"] == 200 and c["response"].get("ok")]
        keys = Counter(outbox_key(c["params"]) for c in accepted)
        expected = Counter(r["key"] for r in rows if r["team_id"] == team)
        messages = sum(expected.values())
        per_team.append({
            "team": team, "messages": messages, "calls": len(mine),
            "throttled": sum(c["status"] == 429 for c in mine),
            "elapsed_s": max((c["at"] for c in accepted), default=result["started_at"]) - result["started_at"],
            "first_s": min((c["at"] for c in accepted), default=result["started_at"]) - result["started_at"],
            "floor_s": max(0.0, (messages - burst) / rate), "lost": sum((expected - keys).values()),
            "duplicated": sum(n - 1 for n in keys.values() if n > 1),
            "foreign": sum((keys - expected).values()),  # another workspace's message in this one
            "errors": Counter(c["response"].get("error") for c in mine if c["status"] == 200
                              and not c["response"].get("ok"))})
    return {"size": size, "rate": rate, "workspaces": count, "burst": burst, "all_s": result["elapsed_s"],
            "statuses": Counter(r["status"] for r in rows), "per_team": per_team}


def workspaces_section(results: list[dict]) -> str:
    rows = []
    for r in results:
        for w in r["per_team"]:
            ratio = w["elapsed_s"] / w["floor_s"] if w["floor_s"] else float("inf")
            share = w["throttled"] / w["calls"] if w["calls"] else 0.0
            met = ratio <= GOAL and not w["lost"] and not w["duplicated"] and not w["foreign"]
            rows.append([f"{r['workspaces']} × {r['size']:,}", w["team"], w["messages"],
                         f"{r['rate']:g}/s (burst {r['burst']:g})", f"{w['floor_s']:.1f}", f"{w['first_s']:.1f}",
                         f"{w['elapsed_s']:.1f}",
                         f"**{ratio:.3f}×**", f"{w['throttled']} / {w['calls']} (**{share:.2%}**)",
                         f"{w['lost']} / {w['duplicated']} / {w['foreign']}", "yes" if met else "no"])
    body = table(["workspaces × people", "workspace", "messages", "its budget", "its floor s",
                  "its first prompt at s", "its time s",
                  "time / floor", "429s / calls", "lost / duplicated / foreign", f"≤ {GOAL}× and exact"], rows)
    body += ("\n\nEach workspace is its own emulated workspace with its own bot token (stored as an \"Add to "
             "Slack\" installation: Headway's token source picks each workspace's) and its own workspace-wide "
             "chat.postMessage budget (`--post-budget`, burst a tenth of a minute's budget); Headway paces each "
             "workspace separately (HEADWAY_SLACK_MESSAGES_PER_SECOND per workspace, burst 20% smaller). One "
             "standup_tick plans every workspace's prompts; a workspace's time runs from the tick's start until "
             "the emulator accepted its last prompt; its floor is (its messages − burst) / rate. Foreign: "
             "messages of another workspace that arrived in this one (0: each token reached its own workspace).")
    return body


def budget_section(results: list[dict], crash: dict | None) -> str:
    rows = []
    for r in results:
        ratio = r["elapsed_s"] / r["floor_s"] if r["floor_s"] else float("inf")
        share = r["throttled"] / r["calls"] if r["calls"] else 0.0
        rows.append([f"{r['size']:,}", r["messages"], f"{r['rate']:g}/s (burst {r['burst']:g})",
                     f"{r['floor_s']:.1f}", f"{r['elapsed_s']:.1f}", f"**{ratio:.3f}×**",
                     f"{r['throttled']} / {r['calls']} (**{share:.2%}**)", f"{r['lost']} / {r['duplicated']}",
                     "yes" if ratio <= GOAL and share <= THROTTLED_GOAL and not r["lost"] and not r["duplicated"]
                     else "no"])
    body = table(["people", "messages", "workspace budget", "budget floor s", "headway s", "elapsed / floor",
                  "429s / calls", "lost / duplicated", f"≤ {GOAL}×, ≤ 1% 429, exact"], rows)
    body += ("\n\nThe budget is the emulator's workspace-wide chat.postMessage bucket (`--post-budget`, burst a "
             "tenth of a minute's budget), scaled up from Slack's few hundred a minute to keep the run short; the "
             "floor is (messages − burst) / rate. Headway is told the budget (HEADWAY_SLACK_MESSAGES_PER_SECOND) and "
             "paces itself with a burst 20% smaller (HEADWAY_SLACK_MESSAGES_BURST); "
             "its time runs from standup_tick's start until no outbox row is pending or sending. 429s count every "
             "429 the emulator answered (budget, channel, method).")
    if crash:
        ok = crash["elapsed_s"] <= crash["limit_s"] and not crash["lost"] and not crash["duplicated"]
        body += "\n\n" + table(
            ["people", "no-crash s", "SIGKILL at s", "all out at s", f"limit s (lease {LEASE_S} + {CRASH_GOAL}× "
             "no-crash)", "lookups (open / history / replies)", "429s / calls", "lost / duplicated", "met"],
            [[f"{crash['size']:,}", f"{crash['no_crash_s']:.1f}", f"{crash['crashed_at_s']:.1f}",
              f"{crash['elapsed_s']:.1f}", f"{crash['limit_s']:.1f}",
              " / ".join(str(crash["lookups"][m]) for m in ("conversations.open", "conversations.history",
                                                             "conversations.replies")),
              f"{crash['throttled']} / {crash['calls']}", f"{crash['lost']} / {crash['duplicated']}",
              "yes" if ok else "no"]])
        body += ("\n\nCrash recovery: the server is SIGKILLed once half the prompts are out and a new one starts "
                 "at once; rows the dead server had claimed wait for their lease, and only those whose call may "
                 "have reached Slack (attempt recorded, answer not) are looked up, one history read per channel, "
                 "paced like every call.")
    return body


async def main_workspaces(budget_sizes: list[int], rate: float, count: int) -> None:
    results = []
    for size in budget_sizes:
        results.append(await workspaces_fan_out(size, rate, count))
        print(json.dumps(results[-1], default=str), flush=True)
    write_backend_section("fanout_workspaces", f"Standup fan-out in {count} workspaces at once, each under its "
                          f"own budget ({rate:g} messages/s)", workspaces_section(results),
                          f"python -m bench.fanout --workspaces {count} --budget {rate:g} --budget-sizes "
                          f"{' '.join(map(str, budget_sizes))}")


async def main(sizes: list[int], budget_sizes: list[int], rate: float, crash: int) -> None:
    results = []
    for size in budget_sizes:
        results.append(await budget_fan_out(size, rate))
        print(json.dumps(results[-1], default=str), flush=True)
    crashed = None
    if crash:
        baseline = await budget_fan_out(crash, rate)
        print(json.dumps(baseline, default=str), flush=True)
        crashed = await crash_fan_out(crash, rate, baseline["elapsed_s"])
        print(json.dumps(crashed, default=str), flush=True)
        results.append(baseline)
    if results or crashed:
        write_backend_section("fanout_budget", f"Standup fan-out under a workspace budget ({rate:g} messages/s)",
                              budget_section(results, crashed),
                              f"python -m bench.fanout --budget {rate:g} --budget-sizes "
                              f"{' '.join(map(str, budget_sizes))} --crash {crash} --sizes")
    if sizes:
        await plain_comparison(sizes)


async def plain_comparison(sizes: list[int]) -> None:
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
    parser.add_argument("--sizes", type=int, nargs="*", default=[], help="without a budget, vs a plain poster")
    parser.add_argument("--budget-sizes", type=int, nargs="*", default=[5000])
    parser.add_argument("--budget", type=float, default=50.0, help="workspace chat.postMessage per second")
    parser.add_argument("--crash", type=int, default=500, help="people in the crash-recovery run (0: skip)")
    parser.add_argument("--workspaces", type=int, default=1,
                        help="W ≥ 2: the budget fan-out in W workspaces at once, each its own token and budget")
    parser.add_argument("--planning", type=int, default=0,
                        help="only plan a standup of N people, with and without time off (bench/planning.py)")
    args = parser.parse_args()
    if args.planning:
        from bench.planning import compare

        asyncio.run(compare(args.planning))
    elif args.workspaces > 1:
        asyncio.run(main_workspaces(args.budget_sizes, args.budget, args.workspaces))
    else:
        asyncio.run(main(args.sizes, args.budget_sizes, args.budget, args.crash))
