"""Ack latency: Headway's whole stack against a bare Bolt app that only acks, same server stack, same payloads.

    python -m bench.ack_latency [--quick] [--profile FILE]

Both servers run in their own processes (bench/serve.py) next to the Slack emulator (its own process, rate limits
off: one benchmark user would otherwise be rate limited by the lazy replies). The slash command is `/gate status`
(ack, then a lazy listener reads the database and answers on the response_url); if `/gate` is not registered
(Bolt answers 404), `/headway help` (answered inside the ack) and `/standup list` (like `/gate status`) instead.
The block action is `standup_skip` on a real prompt; the view submission is the project form with valid values
and a new project key each time (so Headway writes a project in the ack). Each cell: a warm-up, then N requests
split ABBA (bare, headway, headway, bare), each half capped at HALF_SECONDS, over `c` keep-alive connections;
requests are signed at send time. Latency = until the HTTP response (lazy work goes on after it).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx

from bench.common import (
    ADMIN,
    CHANNEL,
    SIGNING_SECRET,
    TEAM_ID,
    Child,
    migrated_database,
    percentile,
    quick_httpx,
    seed_standup,
    settings_for,
    start_emulator,
    start_server,
    table,
    wait_idle,
    workdir,
    write_backend_section,
)
from bot.ids import ActionId, CallbackId
from bot.slack_emulator import RemoteLink, SlackDriver, slack_signature

USERS = [f"UBENCH{i:03d}" for i in range(100)]
CELLS = [(1, 1000), (10, 2000), (100, 4000)]  # (concurrency, requests per app)
HALF_SECONDS = 2.2  # each of the two halves of a cell stops early after this long (warm-ups after 1.2 s)
GOAL = 1.3
Make = Callable[[int, str], str]  # (unique index, response_url) -> form-encoded body
INDEX = itertools.count()


def interactive(payload: dict) -> str:
    return urlencode({"payload": json.dumps(payload)})


def project_values(user: str, key: str) -> dict:
    today = datetime.now(UTC).date()
    return {"key": key, "name": "Bench project", "problem_statement": "Fraud costs money & trust.",
            "business_owner": ADMIN, "pms": [user], "members": [USERS[1]], "success_criteria": "Catch 9 of 10",
            "metric_name": "recall", "metric_direction": "higher", "metric_unit": "", "baseline": "0.62",
            "target": "0.9", "start_date": str(today), "expected_date": str(today + timedelta(days=120)),
            "kill_date": str(today + timedelta(days=240)),
            "stage": "feasibility", "channel": CHANNEL}


async def payload_makers(driver: SlackDriver, link: RemoteLink) -> dict[str, Make]:
    """Capture one real payload of each kind (sent by the driver, as Slack would), then vary it per request."""
    form = (await driver.slash_command(USERS[0], "/standup", "list", channel_id=CHANNEL)).payload

    def slash(text: str, command: str) -> Make:
        def make(index: int, url: str) -> str:
            user = USERS[index % len(USERS)]
            return urlencode(dict(form, command=command, text=text, user_id=user, user_name=user.lower(),
                                  response_url=url))
        return make

    skips = []
    for user in USERS:
        [prompt] = [m for m in await link.call("messages", channel=user) if ActionId.STANDUP_SKIP in json.dumps(m)]
        result = await driver.block_action(user, ActionId.STANDUP_SKIP, message=("D" + user[1:], prompt["ts"]))
        assert result.status == 200, result.text
        skips.append(result.payload)

    pm = USERS[0]
    await driver.slash_command(pm, "/headway", "project new", channel_id=CHANNEL)
    for _ in range(200):
        view = await link.call("top_view", user_id=pm)
        if view and view.get("callback_id") == CallbackId.PROJECT_FORM:
            break
        await asyncio.sleep(0.02)
    first = await driver.view_submission(pm, view["id"], project_values(pm, "BFIRST"))
    assert first.status == 200 and not first.body, first.text
    submission = first.payload
    [key_action] = submission["view"]["state"]["values"]["key"]

    metadata = json.loads(submission["view"]["private_metadata"])

    def submit(index: int, url: str) -> str:
        """The form of its own `/headway project new`: Headway confirms the save on that command's response_url."""
        user = USERS[index % len(USERS)]
        submission["user"] = dict(submission["user"], id=user, username=user.lower(), name=user.lower())
        submission["view"]["state"]["values"]["key"][key_action]["value"] = f"B{index:07d}"
        submission["view"]["private_metadata"] = json.dumps(dict(metadata, response_url=url))
        return interactive(submission)

    gate = await driver.slash_command(USERS[0], "/gate", "status", channel_id=CHANNEL)  # Bolt answers 404 if unknown
    commands = {"/gate status": slash("status", "/gate")} if gate.status == 200 else {
        "/headway help": slash("help", "/headway"), "/standup list": slash("list", "/standup")}
    return {
        **commands,
        "block action standup_skip": lambda index, url: interactive(dict(skips[index % len(skips)], response_url=url)),
        "view submission project_form": submit,
    }


async def bodies(make: Make, link: RemoteLink, count: int, uses: int = 5) -> list[str]:
    """`count` bodies, a fresh response_url for every `uses` of them (Slack allows 5 posts to one)."""
    gate = asyncio.Semaphore(16)

    async def url() -> str:
        async with gate:
            return (await link.call("new_response_url", channel_id=CHANNEL, user_id=USERS[0]))["url"]

    urls = await asyncio.gather(*(url() for _ in range(-(-count // uses))))
    return [make(next(INDEX), urls[i // uses]) for i in range(count)]


def connections(concurrency: int) -> list[httpx.AsyncClient]:
    """One keep-alive connection per worker. (One shared httpx pool of `concurrency` connections adds its own
    queueing: against a trivial Starlette route its p99 at c=100 was 4.5× that of one connection per worker.)"""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return [httpx.AsyncClient(limits=limits, timeout=60) for _ in range(concurrency)]


async def load(clients: list[httpx.AsyncClient], url: str, payloads: list[str],
               seconds: float = HALF_SECONDS) -> tuple[list[float], float]:
    """Send with one worker per client for at most `seconds`; return the latencies and the throughput (req/s)."""
    latencies: list[float] = []
    pending, started = iter(payloads), time.perf_counter()
    deadline = started + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        for body in pending:
            if time.perf_counter() > deadline:
                return
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
                       "X-Slack-Signature": slack_signature(SIGNING_SECRET, timestamp, body)}
            for attempt in range(3):  # uvicorn closes connections idle for 5 s; a send may race that close
                sent = time.perf_counter()
                try:
                    response = await client.post(url, content=body.encode(), headers=headers)
                    break
                except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError):
                    if attempt == 2:
                        raise
            latencies.append(time.perf_counter() - sent)
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code} from {url}: {response.text[:300]}")

    await asyncio.gather(*(worker(client) for client in clients))
    return latencies, len(latencies) / (time.perf_counter() - started)


async def measure(make: Make, link: RemoteLink, servers: dict[str, Child], pids: list[int], concurrency: int,
                  requests: int) -> dict[str, dict[str, float]]:
    warm = await bodies(make, link, max(200, 5 * concurrency))
    halves = [await bodies(make, link, requests // 2) for _ in range(2)]
    clients = {name: connections(concurrency) for name in servers}
    samples: dict[str, list[float]] = {name: [] for name in servers}
    rates: dict[str, list[float]] = {name: [] for name in servers}
    try:
        for name in servers:
            await load(clients[name], servers[name].url + "/slack/events", warm, seconds=1.2)
            await wait_idle(pids)
        for name, half in (("bare", 0), ("headway", 0), ("headway", 1), ("bare", 1)):
            latencies, rate = await load(clients[name], servers[name].url + "/slack/events", halves[half])
            samples[name] += latencies
            rates[name].append(rate)
            await wait_idle(pids)
    finally:
        for client in itertools.chain(*clients.values()):
            await client.aclose()
    return {name: {"n": len(s), "p50": percentile(s, 50) * 1000, "p99": percentile(s, 99) * 1000,
                   "rps": sum(rates[name]) / len(rates[name])} for name, s in samples.items()}


async def main(quick: bool, profile: str) -> None:
    quick_httpx()
    cells = [(c, n // 10) for c, n in CELLS] if quick else CELLS
    directory = workdir("ack")
    emulator = await start_emulator(directory, USERS, rate_limits=False)
    db = await migrated_database(directory)
    await seed_standup(settings_for(db, emulator.url), USERS, pms=USERS)
    headway = await start_server("headway", directory, emulator.url, db, profile=profile)
    bare = await start_server("bare", directory, emulator.url)
    servers = {"bare": bare, "headway": headway}
    rows = []
    try:
        prompts = await headway.command("tick")  # one standup prompt per user, delivered as a DM
        assert prompts["prompted"] == len(USERS), prompts
        async with httpx.AsyncClient(timeout=30) as http:
            link = RemoteLink(emulator.url, http)
            driver = SlackDriver(headway.url, SIGNING_SECRET, link, team_id=TEAM_ID, http=http)
            makers = await payload_makers(driver, link)
            for concurrency, requests in cells:
                for label, make in makers.items():
                    result = await measure(make, link, servers, [headway.pid, bare.pid, emulator.pid],
                                           concurrency, requests)
                    b, h = result["bare"], result["headway"]
                    ratio = h["p99"] / b["p99"]
                    rows.append([label, concurrency, f"{b['n']}/{h['n']}", f"{b['p50']:.2f}", f"{b['p99']:.2f}",
                                 f"{h['p50']:.2f}", f"{h['p99']:.2f}", f"{h['p50'] / b['p50']:.2f}×",
                                 f"**{ratio:.2f}×**", f"{h['rps'] / b['rps']:.2f}",
                                 "yes" if ratio <= GOAL else f"no (+{(ratio / GOAL - 1) * 100:.0f}%)"])
                    print(" | ".join(str(cell) for cell in rows[-1]), flush=True)
    finally:
        for child in (headway, bare, emulator):
            await child.stop()
    errors = sum(line.startswith("Traceback") for line in headway.log.read_text().splitlines())
    met = sum(row[-1] == "yes" for row in rows)
    body = table(["request", "c", "n bare/headway", "bare p50 ms", "bare p99 ms", "headway p50 ms",
                  "headway p99 ms", "p50 ratio", "p99 ratio", "throughput ratio", f"p99 ≤ {GOAL}×"], rows)
    body += (f"\n\nGoal (headway p99 within {GOAL}× of the bare app) met in {met} of {len(rows)} cells. "
             + ("The slash command is `/gate status`. " if any(r[0] == "/gate status" for r in rows) else
                "`/gate` is not registered yet, so `/headway help` and `/standup list` stand in for it. ") +
             "Throughput ratio = headway requests/s ÷ bare requests/s in the same cell (closed loop, so at c=100 "
             f"latency mostly mirrors throughput). Tracebacks in the headway server log: {errors}."
             + (" (--quick run)" if quick else ""))
    write_backend_section("ack_latency", "Ack latency (headway vs bare Bolt app)", body, "python -m bench.ack_latency")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.ack_latency")
    parser.add_argument("--quick", action="store_true", help="a tenth of the requests (a smoke test)")
    parser.add_argument("--profile", default="", help="cProfile the headway server into this file")
    options = parser.parse_args()
    asyncio.run(main(options.quick, options.profile))
