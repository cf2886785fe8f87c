"""Memory: resident set size of a `headway serve`-equivalent process, idle and after a 5,000-person fan-out.

    python -m bench.memory [--people 5000]

The server runs as `headway serve` builds it (bench/serve.py: HeadwayServer's app on uvicorn, scheduler on) in its
own process next to the emulator (rate limits on). VmRSS and VmHWM (peak) come from /proc/<pid>/status:
idle = 5 s after start with a migrated, empty database; then the people and a standup due now are created through
the domain services (in this process, as Slack traffic would over time), the server runs standup_tick and sends
every prompt; "after" = once the outbox is empty, and again 5 s later; then three more standups with the same
people fan out in turn (does memory keep growing, or was the first rise the allocator's high-water mark?).
A bare Bolt app's idle RSS (same server stack, bench/serve.py) is the reference for the idle figure.
"""

from __future__ import annotations

import argparse
import asyncio

from bench.common import (
    memory_kb,
    migrated_database,
    seed_standup,
    settings_for,
    start_emulator,
    start_server,
    table,
    wait_idle,
    workdir,
    write_section,
)
from bench.fanout import people

SETTLE_SECONDS = 5.0
ROUNDS = 4  # fan-outs to the same people, each from a standup of its own


async def main(size: int) -> None:
    directory = workdir("memory")
    users = people(size)
    emulator = await start_emulator(directory, users)
    try:
        bare = await start_server("bare", directory, emulator.url)
        await asyncio.sleep(SETTLE_SECONDS)
        bare_idle = memory_kb(bare.pid)
        await bare.stop()

        db = await migrated_database(directory)
        server = await start_server("headway", directory, emulator.url, db, scheduler=True)
        try:
            await asyncio.sleep(SETTLE_SECONDS)
            idle = memory_kb(server.pid)
            await seed_standup(settings_for(db, emulator.url), users)
            result = await server.command("tick")
            after = memory_kb(server.pid)
            await wait_idle([server.pid])
            await asyncio.sleep(SETTLE_SECONDS)
            settled = memory_kb(server.pid)
            later = []  # more standups with the same people: does memory keep growing with every fan-out?
            for round_ in range(2, ROUNDS + 1):
                await seed_standup(settings_for(db, emulator.url), users, name=f"bench {round_}")
                again = await server.command("tick")
                await wait_idle([server.pid])
                await asyncio.sleep(SETTLE_SECONDS)
                later.append(memory_kb(server.pid))
        finally:
            await server.stop()
    finally:
        await emulator.stop()
    assert result["outbox"] == {"sent": size + 1}, result
    assert again["outbox"] == {"sent": ROUNDS * (size + 1)}, again

    def mib(kb: int) -> str:
        return f"{kb / 1024:.1f}"

    rows = [
        ["bare Bolt app, idle", mib(bare_idle["VmRSS"]), mib(bare_idle["VmHWM"]), "—"],
        ["headway, idle", mib(idle["VmRSS"]), mib(idle["VmHWM"]),
         f"{idle['VmRSS'] / bare_idle['VmRSS']:.2f}× bare idle"],
        [f"headway, {size:,}-person fan-out just sent", mib(after["VmRSS"]), mib(after["VmHWM"]),
         f"{after['VmRSS'] / idle['VmRSS']:.2f}× headway idle"],
        [f"headway, {SETTLE_SECONDS:.0f} s later", mib(settled["VmRSS"]), mib(settled["VmHWM"]),
         f"{settled['VmRSS'] / idle['VmRSS']:.2f}× headway idle"],
        *([f"headway, after fan-out {n} (+{SETTLE_SECONDS:.0f} s)", mib(kb["VmRSS"]), mib(kb["VmHWM"]),
           f"+{(kb['VmRSS'] - before['VmRSS']) / 1024:.1f} MiB on the one before"]
          for n, kb, before in zip(range(2, ROUNDS + 1), later, [settled, *later], strict=False)),
    ]
    body = table(["process", "VmRSS MiB", "VmHWM (peak) MiB", "ratio"], rows)
    body += (f"\n\nThe fan-out sent {result['outbox']['sent']:,} messages ({size:,} prompts and the standup report) "
             f"in {result['elapsed_s']:.1f} s. The server is `headway serve`'s app with the scheduler on; the "
             f"people and the standup were written through the domain services from the benchmark process.")
    write_section("memory", "Resident memory (headway serve)", body, "python -m bench.memory")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    parser.add_argument("--people", type=int, default=5000)
    asyncio.run(main(parser.parse_args().people))
