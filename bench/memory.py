"""Memory: resident set size of a `headway serve`-equivalent process, idle and after a 5,000-person fan-out.

    python -m bench.memory [--people 5000]

The server runs as `headway serve` builds it (bench/serve.py: HeadwayServer's app on uvicorn, scheduler on) in its
own process next to the emulator (rate limits on). VmRSS and VmHWM (peak) come from /proc/<pid>/status:
idle = 5 s after start with a migrated, empty database; then the people and a standup due now are created through
the domain services (in this process, as Slack traffic would over time), the server runs standup_tick and sends
every prompt; "after" = once the outbox is empty, and again 5 s later; then three more standups with the same
people fan out in turn (does memory keep growing, or was the first rise the allocator's high-water mark?).
A bare Bolt app's idle RSS (same server stack, bench/serve.py) is the reference for the idle figure. A second
floor splits Headway's idle figure into what its libraries cost and what its own code does: the same bare app
after importing every module Headway's idle process had loaded that is not Headway's own (SQLAlchemy, SQLModel,
pydantic, Jinja2, APScheduler, prometheus-client, the database driver and what they load; `bench.serve --preload`).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bench.common import (
    Child,
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
            libraries, modules = await library_list(server, directory)
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
        floor = await start_server("bare", directory, emulator.url, preload=libraries)
        await asyncio.sleep(SETTLE_SECONDS)
        floor_idle = memory_kb(floor.pid)
        await floor.stop()
    finally:
        await emulator.stop()
    assert result["outbox"] == {"sent": size + 1}, result
    assert again["outbox"] == {"sent": ROUNDS * (size + 1)}, again

    def mib(kb: int) -> str:
        return f"{kb / 1024:.1f}"

    rows = [
        ["bare Bolt app, idle", mib(bare_idle["VmRSS"]), mib(bare_idle["VmHWM"]), "—"],
        [f"bare Bolt app + Headway's {modules:,} library modules, idle", mib(floor_idle["VmRSS"]),
         mib(floor_idle["VmHWM"]), f"{floor_idle['VmRSS'] / bare_idle['VmRSS']:.2f}× bare idle"],
        ["headway, idle", mib(idle["VmRSS"]), mib(idle["VmHWM"]),
         f"{idle['VmRSS'] / bare_idle['VmRSS']:.2f}× bare idle, "
         f"{idle['VmRSS'] / floor_idle['VmRSS']:.2f}× its libraries' floor"],
        [f"headway, {size:,}-person fan-out just sent", mib(after["VmRSS"]), mib(after["VmHWM"]),
         f"{after['VmRSS'] / idle['VmRSS']:.2f}× headway idle"],
        [f"headway, {SETTLE_SECONDS:.0f} s later", mib(settled["VmRSS"]), mib(settled["VmHWM"]),
         f"{settled['VmRSS'] / idle['VmRSS']:.2f}× headway idle"],
        *([f"headway, after fan-out {n} (+{SETTLE_SECONDS:.0f} s)", mib(kb["VmRSS"]), mib(kb["VmHWM"]),
           f"+{(kb['VmRSS'] - before['VmRSS']) / 1024:.1f} MiB on the one before"]
          for n, kb, before in zip(range(2, ROUNDS + 1), later, [settled, *later], strict=False)),
    ]
    body = table(["process", "VmRSS MiB", "VmHWM (peak) MiB", "ratio"], rows)
    body += (f"\n\nThe second row is the bare app after importing the {modules:,} modules that Headway's idle process "
             "had loaded and that are not its own (the libraries of Headway's stack and what they load): what those "
             "libraries cost before any of Headway's own modules, models, templates or connections.")
    body += (f"\n\nThe fan-out sent {result['outbox']['sent']:,} messages ({size:,} prompts and the standup report) "
             f"in {result['elapsed_s']:.1f} s. The server is `headway serve`'s app with the scheduler on; the "
             f"people and the standup were written through the domain services from the benchmark process.")
    write_section("memory", "Resident memory (headway serve)", body, "python -m bench.memory")


async def library_list(server: Child, directory: Path) -> tuple[Path, int]:
    """A file naming the modules the server has loaded that are not Headway's own (bench.serve's `modules`), and
    how many."""
    path = directory / "library_modules.txt"
    names = (await server.command("modules"))["modules"]
    await asyncio.to_thread(path.write_text, "\n".join(names))
    return path, len(names)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    parser.add_argument("--people", type=int, default=5000)
    asyncio.run(main(parser.parse_args().people))
