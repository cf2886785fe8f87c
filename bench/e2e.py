"""End to end: when the person sees the answer, not only when Slack gets its ack — open-loop, at fixed rates.

    python -m bench.e2e [--quick] [--rates 10,50,200] [--seconds 5]

Requests arrive on a schedule (open loop: each is sent at its time whatever happened to the earlier ones), signed
like Slack, to Headway and to a bare Bolt app that does the same minimal visible thing through the same emulator
(its own process, rate limits off). For each request: the ack (until the HTTP response) and the end-to-end time
until the emulator saw its visible effect:

- `/gate status` → the answer posted to its response_url (a fresh one per request);
- block action `standup_skip` → the answer posted to its response_url;
- `/headway project new` → the modal with the form in it (`views.open` of the form, or Headway's `views.update`
  after its loading view when the form was not ready at once), matched by trigger_id;
- project-form submission that saves → the ack that closes the modal (end to end = ack).

Rates: the given ones, then the saturating rate (the highest rate whose end-to-end p99 stays under 1 s, searched
by doubling). Then an overload: 10 s of `/gate status` at twice that rate, with the time from the end of sending
until the last answer arrived ("drain"), answers refused as busy, and resident memory during it against idle.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from bench.ack_latency import USERS, payload_makers
from bench.common import (
    CHANNEL,
    SIGNING_SECRET,
    TEAM_ID,
    Child,
    SignedPoster,
    generator_cpu,
    memory_kb,
    migrated_database,
    percentile,
    quick_httpx,
    seed_standup,
    settings_for,
    start_emulator,
    start_server,
    steady_generator,
    table,
    wait_idle,
    workdir,
    write_backend_section,
)
from bot.ids import CallbackId
from bot.slack_emulator import RemoteLink, SlackDriver
from handlers.modals import is_loading

Make = Callable[[int, str], str]
E2E_GOAL, ACK_GOAL, SATURATED_P99 = 2.0, 1.3, 1.0


@dataclass
class Sent:
    key: str  # what identifies its visible effect: response_id or trigger_id ("" = the ack is the effect)
    at: float  # wall clock (the emulator records wall clock too)
    ack: float = 0.0
    status: int = 0
    busy: bool = False


@dataclass
class Cell:
    sent: list[Sent] = field(default_factory=list)
    e2e: list[float] = field(default_factory=list)
    missing: int = 0
    drain: float = 0.0
    rss_kb: int = 0
    generator: str = ""  # the load generator's CPU per request while sending

    def summary(self) -> dict[str, Any]:
        acks = [s.ack for s in self.sent]
        return {"n": len(self.sent), "ack50": percentile(acks, 50) * 1000, "ack99": percentile(acks, 99) * 1000,
                "ackmax": max(acks, default=0) * 1000, "ok": sum(s.status == 200 and not s.busy for s in self.sent),
                "e2e50": percentile(self.e2e or [0], 50) * 1000, "e2e99": percentile(self.e2e or [0], 99) * 1000,
                "missing": self.missing, "busy": sum(s.busy for s in self.sent), "drain": self.drain,
                "generator": self.generator}


# ------------------------------------------------------------------ payloads with one visible effect each


async def fresh_keys(link: RemoteLink, kind: str, count: int) -> list[tuple[str, str]]:
    """(key, value) per request: a new response_url (key = its id) or a new trigger_id (key = itself)."""
    gate = asyncio.Semaphore(16)

    async def one(index: int) -> tuple[str, str]:
        async with gate:
            if kind == "trigger":
                trigger = await link.call("issue_trigger", user_id=USERS[index % len(USERS)])
                return trigger, trigger
            made = await link.call("new_response_url", channel_id=CHANNEL, user_id=USERS[index % len(USERS)])
            return made["id"], made["url"]

    return await asyncio.gather(*(one(i) for i in range(count)))


def with_trigger(body: str, trigger: str) -> str:
    from urllib.parse import urlencode

    form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    return urlencode(dict(form, trigger_id=trigger))


async def requests_for(kind: str, make: Make, link: RemoteLink, count: int, start: int) -> list[tuple[str, str]]:
    """(key, body) for `count` requests of this kind."""
    if kind == "view submission":  # the ack is what the person waits for; the response_url is the command's
        urls = await fresh_keys(link, "url", count)
        return [("", make(start + i, url)) for i, (_, url) in enumerate(urls)]
    if kind == "modal command":
        triggers = await fresh_keys(link, "trigger", count)
        urls = await fresh_keys(link, "url", count)
        return [(t, with_trigger(make(start + i, urls[i][1]), t)) for i, (t, _) in enumerate(triggers)]
    urls = await fresh_keys(link, "url", count)
    return [(rid, make(start + i, url)) for i, (rid, url) in enumerate(urls)]


# ------------------------------------------------------------------ open-loop load


async def open_loop(poster: SignedPoster, url: str, work: list[tuple[str, str]], rate: float) -> list[Sent]:
    """Send each request at its scheduled time (rate per second), without waiting for earlier answers."""
    sent: list[Sent] = []
    tasks = []
    start = time.perf_counter()

    async def one(key: str, body: str) -> None:
        record = Sent(key, time.time())
        record.status, text, record.ack = await poster.post(url, body, retries=0)
        record.busy = "busy" in text.lower()
        sent.append(record)

    for index, (key, body) in enumerate(work):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(key, body)))
    await asyncio.gather(*tasks)
    return sent


async def effects(emulator_url: str, kind: str) -> dict[str, Any]:
    """When the emulator saw each request's visible effect, by key."""
    base = emulator_url.rstrip("/").removesuffix("/api")
    async with httpx.AsyncClient(timeout=120) as http:
        if kind == "modal command":
            calls = (await http.get(f"{base}/_emulator/calls")).json()["calls"]
            opened = {c["response"].get("view", {}).get("id"): c for c in calls
                      if c["method"] == "views.open" and c["response"].get("ok")}
            seen: dict[str, Any] = {}
            for call in calls:  # the first time each modal showed its form (not Headway's loading view)
                if not call["response"].get("ok") or is_loading(call["response"].get("view")):
                    continue
                if call["method"] == "views.open":
                    seen.setdefault("filled:" + call["params"].get("trigger_id", ""), call["at"])
                if call["method"] == "views.update":
                    first = opened.get(call["params"].get("view_id"))
                    if first is not None:
                        seen.setdefault("filled:" + first["params"].get("trigger_id", ""), call["at"])
            return seen
        return {r["response_id"]: r["at"] for r in (await http.get(f"{base}/_emulator/responses")).json()["responses"]}


async def run_cell(client: SignedPoster, server: Child, emulator: Child, link: RemoteLink, kind: str,
                   make: Make, rate: float, seconds: float, index: list[int], pids: list[int],
                   effect_prefix: str) -> Cell:
    count = max(1, int(rate * seconds))
    work = await requests_for(kind, make, link, count, index[0])
    index[0] += count
    cell = Cell()
    sampler = asyncio.create_task(_peak_rss(server.pid, cell))
    began = time.process_time()
    with steady_generator():
        cell.sent = await open_loop(client, server.url + "/slack/events", work, rate)
    cell.generator = generator_cpu(began, len(work))
    sending_ended = time.time()
    if kind == "view submission":
        cell.e2e = [s.ack for s in cell.sent]
    else:
        deadline, seen = time.monotonic() + 30, {}
        wanted = {s.key for s in cell.sent if s.status == 200 and not s.busy}
        while time.monotonic() < deadline:
            seen = await effects(emulator.url, kind)
            if all(effect_prefix + k in seen for k in wanted):
                break
            await asyncio.sleep(0.2)
        for record in cell.sent:
            at = seen.get(effect_prefix + record.key)
            if record.busy:
                continue
            if at is None:
                cell.missing += 1
            else:
                cell.e2e.append(at - record.at)
        arrivals = [seen[effect_prefix + k] for k in wanted if effect_prefix + k in seen]
        cell.drain = max(0.0, max(arrivals, default=sending_ended) - sending_ended)
    sampler.cancel()
    await wait_idle(pids, timeout=30)
    return cell


async def _peak_rss(pid: int, cell: Cell) -> None:
    while True:
        cell.rss_kb = max(cell.rss_kb, memory_kb(pid).get("VmRSS", 0))
        await asyncio.sleep(0.1)


# ------------------------------------------------------------------ the run


async def main(rates: list[float], seconds: float, quick: bool) -> None:
    quick_httpx()
    directory = workdir("e2e")
    emulator = await start_emulator(directory, USERS, rate_limits=False, trigger_ttl=600)
    db = await migrated_database(directory)
    await seed_standup(settings_for(db, emulator.url), USERS, pms=USERS)
    headway = await start_server("headway", directory, emulator.url, db)
    bare = await start_server("bare", directory, emulator.url)
    servers = {"bare": bare, "headway": headway}
    pids = [headway.pid, bare.pid, emulator.pid]
    rows, overload_rows = [], []
    bursts: list[tuple[float, dict[str, Any], int]] = []  # form saves: rate, Headway's cell, projects saved
    try:
        assert (await headway.command("tick"))["prompted"] == len(USERS)
        await wait_idle(pids)
        idle = {name: memory_kb(child.pid)["VmRSS"] for name, child in servers.items()}
        async with httpx.AsyncClient(timeout=30) as http, SignedPoster() as client:
            link = RemoteLink(emulator.url, http)
            driver = SlackDriver(headway.url, SIGNING_SECRET, link, team_id=TEAM_ID, http=http)
            makers = await payload_makers(driver, link)
            await same_form_for_bare(emulator.url, bare, directory)
            kinds = {"/gate status": makers["/gate status"], "block action": makers["block action standup_skip"],
                     "modal command": _modal_maker(makers["/gate status"]),
                     "view submission": makers["view submission project_form"]}
            index = [0]
            for kind, make in kinds.items():
                for rate in rates:
                    cells = {}
                    for name in ("bare", "headway"):
                        prefix = "filled:" if kind == "modal command" else ""
                        saved_before = await project_count(db) if name == "headway" else 0
                        cells[name] = (await run_cell(client, servers[name], emulator, link, kind, make, rate,
                                                      seconds, index, pids, prefix)).summary()
                        if kind == "view submission" and name == "headway":
                            bursts.append((rate, cells[name], await project_count(db) - saved_before))
                    rows.append(_row(kind, rate, cells))
                    print(" | ".join(map(str, rows[-1])), flush=True)
            saturating = await _saturating_rate(client, servers["headway"], emulator, link, kinds["/gate status"],
                                                seconds, index, pids, start=max(rates))
            for name in ("bare", "headway"):
                cell = await run_cell(client, servers[name], emulator, link, "/gate status", kinds["/gate status"],
                                      2 * saturating, 10.0 if not quick else 3.0, index, pids, "")
                s = cell.summary()
                overload_rows.append([name, f"{2 * saturating:.0f}/s", s["n"], s["busy"], s["missing"],
                                      f"{s['ack99']:.1f}", f"{s['e2e99']:.0f}", f"{s['drain']:.1f} s",
                                      f"{idle[name] / 1024:.1f}", f"{cell.rss_kb / 1024:.1f}",
                                      f"{cell.rss_kb / idle[name]:.2f}×"])
                print(" | ".join(map(str, overload_rows[-1])), flush=True)
    finally:
        for child in (headway, bare, emulator):
            await child.stop()
    body = table(["request", "rate/s", "n", "bare ack p99 ms", "headway ack p99 ms", "ack p99 ratio",
                  "bare e2e p50/p99 ms", "headway e2e p50/p99 ms", "e2e p99 ratio", "missing", "busy",
                  "generator CPU per request"], rows)
    body += "\n\n### Form saves in the ack (project form, Headway)\n\n" + table(
        ["rate/s", "submitted", "saved (ack empty)", "answered busy", "projects in the database", "ack p99 ms",
         "ack max ms", "every ack < 2.5 s", "busy saved nothing", "generator CPU per request"],
        [[f"{rate:.0f}", f"{c['n']:.0f}", f"{c['ok']:.0f}", f"{c['busy']:.0f}", saved, f"{c['ack99']:.0f}",
          f"{c['ackmax']:.0f}", "yes" if c["ackmax"] < 2500 else "no", "yes" if saved == c["ok"] else "no",
          c["generator"]]
         for rate, c, saved in bursts])
    body += (f"\n\nSaturating rate (highest with Headway's end-to-end p99 < {SATURATED_P99:.0f} s, by doubling): "
             f"**{saturating:.0f}/s** for `/gate status`. Goals: ack p99 ≤ {ACK_GOAL}× bare, end-to-end p99 ≤ "
             f"{E2E_GOAL}× bare below saturation. 'missing' = acked but no visible effect within 30 s (shed work "
             "answers 'busy' instead and is counted there). 'generator CPU per request': the load generator's own "
             "CPU while sending (aiohttp, `bench.common.SignedPoster`), far below the interval between requests: "
             "the generator kept its schedule.\n\n### Overload: 10 s at twice the saturating rate\n\n")
    body += table(["app", "rate", "sent", "answered busy", "missing", "ack p99 ms", "e2e p99 ms",
                   "drain after the end", "idle RSS MiB", "peak RSS MiB", "peak/idle"], overload_rows)
    body += "\n\nGoal: drains within 5 s of the end; peak memory within 1.5× idle." + (" (--quick)" if quick else "")
    write_backend_section("e2e", "End to end (open loop, Headway vs bare Bolt app)", body, "python -m bench.e2e")


async def project_count(db_url: str) -> int:
    from sqlalchemy import text

    from bot.db import create_engine

    engine = create_engine(db_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text("SELECT count(*) FROM projects"))).scalar_one())
    finally:
        await engine.dispose()


async def same_form_for_bare(emulator_url: str, bare: Child, directory: Path) -> None:
    """The bare app opens the project form as Headway sent it (the same view, the same size for Slack to take
    in), static: the floor for the modal command is the form a person sees, with none of Headway's work."""
    base = emulator_url.rstrip("/").removesuffix("/api")
    async with httpx.AsyncClient(timeout=60) as http:
        calls = (await http.get(f"{base}/_emulator/calls")).json()["calls"]
    views = [c["params"]["view"] for c in calls if c["method"] in ("views.open", "views.update")
             and c["response"].get("ok") and c["response"]["view"].get("callback_id") == CallbackId.PROJECT_FORM]
    view = views[-1] if isinstance(views[-1], dict) else json.loads(views[-1])
    path = directory / "project_form_view.json"
    await asyncio.to_thread(path.write_text, json.dumps(view))
    assert (await bare.command(f"modal {path}"))["modal"] == len(view["blocks"])


def _modal_maker(gate_status: Make) -> Make:
    """`/headway project new`: a command whose answer is a modal (the trigger is set per request)."""
    from urllib.parse import urlencode

    def make(index: int, url: str) -> str:
        form = {k: v[0] for k, v in parse_qs(gate_status(index, url), keep_blank_values=True).items()}
        return urlencode(dict(form, command="/headway", text="project new"))

    return make


def _row(kind: str, rate: float, cells: dict[str, dict[str, Any]]) -> list[object]:
    b, h = cells["bare"], cells["headway"]
    return [kind, f"{rate:.0f}", f"{b['n']:.0f}/{h['n']:.0f}", f"{b['ack99']:.1f}", f"{h['ack99']:.1f}",
            f"{h['ack99'] / max(b['ack99'], 1e-6):.2f}×", f"{b['e2e50']:.0f}/{b['e2e99']:.0f}",
            f"{h['e2e50']:.0f}/{h['e2e99']:.0f}", f"{h['e2e99'] / max(b['e2e99'], 1e-6):.2f}×",
            f"{b['missing']:.0f}/{h['missing']:.0f}", f"{b['busy']:.0f}/{h['busy']:.0f}",
            f"{b['generator']} / {h['generator']}"]


async def _saturating_rate(client: SignedPoster, server: Child, emulator: Child, link: RemoteLink, make: Make,
                           seconds: float, index: list[int], pids: list[int], start: float) -> float:
    """The highest rate (doubling up from `start`, or halving down when `start` is already too much) at which
    Headway's end-to-end p99 stays under SATURATED_P99 with nothing answered busy or missing."""

    async def holds(rate: float) -> bool:
        cell = (await run_cell(client, server, emulator, link, "/gate status", make, rate, seconds, index, pids,
                               "")).summary()
        print(f"saturation probe {rate:.0f}/s: e2e p99 {cell['e2e99']:.0f} ms, busy {cell['busy']:.0f}", flush=True)
        return cell["e2e99"] < SATURATED_P99 * 1000 and not cell["busy"] and not cell["missing"]

    rate = start
    if not await holds(rate):
        while rate > 5:
            rate /= 2
            if await holds(rate):
                return rate
        return rate
    while rate < 3200 and await holds(rate * 2):
        rate *= 2
    return rate


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.e2e")
    parser.add_argument("--rates", default="10,50,200", help="offered rates, requests per second")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per cell")
    parser.add_argument("--quick", action="store_true", help="2 s cells, a 3 s overload (a smoke test)")
    options = parser.parse_args()
    chosen = [float(r) for r in options.rates.split(",")]
    asyncio.run(main(chosen, 2.0 if options.quick else options.seconds, options.quick))
