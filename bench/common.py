"""What the benchmarks share: processes (emulator, servers), a migrated SQLite database, seeding through the
domain services, percentiles, CPU-idle waits, /proc readings and the RESULTS.md writer."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import gc
import importlib.util
import json
import math
import os
import platform
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Headway's modules are imported where used, so the bare app's process carries none of them
    from bot.config import Settings
    from bot.people.profile import Profile

TEAM_ID = "T0HEADWAY"
BOT_TOKEN = "xoxb-emulator"  # the emulator's default bot token
SIGNING_SECRET = "bench-signing-secret-0123456789"
ADMIN = "UBENCHADM"
CHANNEL = "CBENCH001"
RESULTS = Path(__file__).with_name("RESULTS.md")


def quick_httpx() -> None:
    """For the load generator only: httpcore runs `import sniffio` on every request; when sniffio is not installed
    each failed import walks sys.path (~0.2 ms, a third of the client's time per request). Cache the failure, so
    httpcore assumes asyncio at once, as it would anyway."""
    if importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


# ------------------------------------------------------------------ the load generator


class SignedPoster:
    """Posts signed like Slack, for load: aiohttp on one session with no connection cap (open loop: a request is
    never held for a free connection). Not httpx: httpcore's pool rescans every connection for every request and
    every response (encode/httpcore#1035, O(connections × requests)); with hundreds open, the load generator's own
    loop fell seconds behind and its lag was counted as Headway's ack time (a 200/s form burst: 12 ms of the
    generator's CPU per request, ack max 10.9 s; on aiohttp 1.1 ms and 2.0 s, the same server). The benchmarks
    print the generator's CPU per request (`generator_cpu`) so a run shows it was not the bottleneck."""

    def __init__(self) -> None:
        import aiohttp

        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False),
                                              timeout=aiohttp.ClientTimeout(total=60))
        self._errors = (aiohttp.ClientError, asyncio.TimeoutError)

    async def __aenter__(self) -> SignedPoster:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._session.close()

    async def post(self, url: str, body: str, *, retries: int = 2) -> tuple[int, str, float]:
        """(status, text, seconds from sending to the whole answer); status 599 when the connection failed.
        A send that races the server closing an idle keep-alive connection is retried (the time restarts)."""
        from bot.slack_emulator import slack_signature

        for attempt in range(retries + 1):
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
                       "X-Slack-Signature": slack_signature(SIGNING_SECRET, timestamp, body)}
            began = time.perf_counter()
            try:
                async with self._session.post(url, data=body.encode(), headers=headers) as response:
                    text = await response.text()
                    return response.status, text, time.perf_counter() - began
            except self._errors:
                if attempt == retries:
                    return 599, "", time.perf_counter() - began
        raise AssertionError("unreachable")


@contextlib.contextmanager
def steady_generator() -> Iterator[None]:
    """While the load goes out, the generator's garbage collector stays off: a full collection of its payloads and
    records paused it for 60–90 ms, delaying sends and answers alike, which a run then counted as the server's."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def generator_cpu(began: float, requests: int) -> str:
    """The load generator's own CPU per request since `began` (time.process_time()), for the tables."""
    return f"{(time.process_time() - began) * 1000 / max(requests, 1):.2f} ms"


# ------------------------------------------------------------------ processes


class Child:
    """A subprocess that prints its URL on the first stdout line, then answers commands one JSON line each."""

    def __init__(self, proc: asyncio.subprocess.Process, url: str, log: Path, eof_stops: bool) -> None:
        self.proc, self.url, self.log, self.eof_stops = proc, url, log, eof_stops

    @property
    def pid(self) -> int:
        return self.proc.pid

    @classmethod
    async def start(cls, args: list[str], log: Path, *, eof_stops: bool, timeout: float = 60.0,
                    env: dict[str, str] | None = None) -> Child:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=log.open("ab"), cwd=Path(__file__).parent.parent, env={**os.environ, **(env or {})},
        )
        line = await asyncio.wait_for(proc.stdout.readline(), timeout)  # type: ignore[union-attr]
        if not line:
            raise RuntimeError(f"{args} exited early:\n{tail(log)}")
        return cls(proc, line.decode().strip(), log, eof_stops)

    async def command(self, line: str) -> dict:
        self.proc.stdin.write(line.encode() + b"\n")  # type: ignore[union-attr]
        await self.proc.stdin.drain()  # type: ignore[union-attr]
        answer = await self.proc.stdout.readline()  # type: ignore[union-attr]
        if not answer:
            raise RuntimeError(f"server died:\n{tail(self.log)}")
        return json.loads(answer)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.stdin.close()  # type: ignore[union-attr]  # the bench runner stops on EOF
            if not self.eof_stops:  # the emulator stops on SIGTERM
                self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 15)
            except TimeoutError:
                self.proc.terminate()
                await self.proc.wait()


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def workspace_file(team_id: str, user_ids: Iterable[str], bot_token: str = BOT_TOKEN) -> dict:
    """One emulated workspace: the bench admin, these people, the bench channel, its own bot token."""
    users = [{"id": ADMIN, "name": "admin", "real_name": "Bench Admin", "is_admin": True}]
    users += [{"id": u, "name": u.lower(), "real_name": u.title(), "tz": "UTC"} for u in user_ids]
    return {"team_id": team_id, "bot_token": bot_token, "users": users,
            "channels": [{"id": CHANNEL, "name": "bench", "bot_member": True}]}


def write_users(directory: Path, user_ids: Iterable[str], more: Iterable[dict] = ()) -> Path:
    """The emulator's users file: the bench workspace, and `more` workspaces (workspace_file) beside it."""
    path = directory / "users.json"
    path.write_text(json.dumps({**workspace_file(TEAM_ID, user_ids), "workspaces": list(more)}))
    return path


async def start_emulator(directory: Path, user_ids: Iterable[str], *, rate_limits: bool = True,
                         post_budget: float = 0, rate_scale: float = 1.0, trigger_ttl: float | None = None,
                         more_workspaces: Iterable[dict] = ()) -> Child:
    """`python -m bot.slack_emulator` in its own process; its URL is the Web API base (…/api/).
    `post_budget`: each workspace's chat.postMessage budget in messages per minute (0: none); `rate_scale`
    multiplies Slack's rate limits; `trigger_ttl` lengthens trigger_ids' 3 s life (for triggers issued ahead of
    an open-loop run, when the person's click is the moment the request is sent); `more_workspaces`: other
    workspaces on the same emulator (workspace_file), each with its own rate limits and budget."""
    users_file = write_users(directory, user_ids, more_workspaces)
    args = ["-m", "bot.slack_emulator", "--port", "0", "--users", str(users_file)]
    args += [] if rate_limits else ["--no-rate-limits"]
    args += ["--post-budget", f"{post_budget:g}"]
    args += ["--rate-scale", str(rate_scale)] if rate_scale != 1.0 else []
    args += ["--trigger-ttl", f"{trigger_ttl:g}"] if trigger_ttl is not None else []
    return await Child.start(args, directory / "emulator.log", eof_stops=False)


async def start_server(kind: str, directory: Path, api_url: str, db_url: str = "", *, scheduler: bool = False,
                       profile: str = "", messages_per_second: float = 1000, burst: int = 1000,
                       lease_s: int = 60, env: dict[str, str] | None = None, preload: Path | None = None) -> Child:
    """`python -m bench.serve headway|bare` in its own process; its URL is the server's base URL. Headway paces
    chat.postMessage to `messages_per_second` (the workspace budget it is told; by default, as good as none)."""
    args = ["-m", "bench.serve", kind, "--api-url", api_url, "--db", db_url]
    args += ["--scheduler"] if scheduler else []
    args += ["--profile", profile] if profile else []
    args += ["--preload", str(preload)] if preload else []
    env = {"HEADWAY_SLACK_MESSAGES_PER_SECOND": f"{messages_per_second:g}", "HEADWAY_SLACK_MESSAGES_BURST": str(burst),
           "HEADWAY_OUTBOX_LEASE_SECONDS": str(lease_s), **(env or {})}
    log = directory / f"{kind}{'-preloaded' if preload else ''}.log"
    return await Child.start(args, log, eof_stops=True, env=env)


def settings_for(db_url: str, api_url: str, *, scheduler: bool = False) -> Settings:
    from bot.config import load_settings

    return load_settings(slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET, slack_api_url=api_url,
                         database_url=db_url, host="127.0.0.1", port=0, scheduler_enabled=scheduler)


def workdir(label: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"headway-bench-{label}-"))


async def migrated_database(directory: Path) -> str:
    """A migrated database for one benchmark: SQLite in `directory`, or, when HEADWAY_BENCH_DATABASE_URL names a
    PostgreSQL server (e.g. postgresql://127.0.0.1:5432/test), a scratch database there, dropped at exit."""
    from bot.migrate import upgrade

    url = f"sqlite+aiosqlite:///{directory / 'headway.db'}"
    if server := os.environ.get(DATABASE_ENV):
        url = await _scratch_postgresql(server, f"headway_bench_{directory.name.replace('-', '_')[-40:]}")
    await asyncio.to_thread(upgrade, url)  # alembic runs its own event loop
    return url


DATABASE_ENV = "HEADWAY_BENCH_DATABASE_URL"


def backend() -> str:
    """Which database the benchmarks use, for the results."""
    return "PostgreSQL" if os.environ.get(DATABASE_ENV) else "SQLite"


def write_backend_section(name: str, title: str, body: str, command: str) -> None:
    """write_section, one section per database backend (SQLite, the default, or PostgreSQL)."""
    if backend() == "SQLite":
        write_section(name, f"{title} — SQLite", body, command)
    else:
        write_section(f"{name}_postgresql", f"{title} — PostgreSQL", body,
                      f"{DATABASE_ENV}=postgresql://127.0.0.1:5432/test {command}")


async def _scratch_postgresql(server: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    from bot.config import normalize_database_url
    from bot.db import execute_autocommit

    base = normalize_database_url(server)
    await execute_autocommit(base, f'CREATE DATABASE "{name}"')
    atexit.register(lambda: asyncio.run(execute_autocommit(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))
    return make_url(base).set(database=name).render_as_string(hide_password=False)


# ------------------------------------------------------------------ seeding through the domain services


async def local_profile(user_id: str) -> Profile:
    """Profiles as the emulator describes them, without a users.info call per person (Tier 4 would take ages);
    with an empty Slack status, as a form's profile fill records it."""
    from bot.people.profile import Profile, Status

    return Profile(user_id=user_id, name=user_id.lower(), real_name=user_id.title(), tz="UTC",
                   is_slack_admin=user_id == ADMIN, status=Status())


async def seed_standup(settings: Settings, user_ids: list[str], *, pms: Iterable[str] = (),
                       name: str = "bench", team_id: str = TEAM_ID) -> None:
    """A daily standup (every weekday, due one minute ago in UTC) with these participants; `pms` get the PM role."""
    from bot.app import build_headway
    from bot.models import Role
    from bot.people import service as people
    from bot.people import statuses
    from bot.standups import service as standups
    from bot.standups.draft import DEFAULT_QUESTIONS, StandupDraft
    from bot.standups.schedule import WEEKDAYS

    hw = build_headway(settings)
    due = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%H:%M")
    draft = StandupDraft(name=name, participant_ids=tuple(user_ids), channel_id=CHANNEL, weekdays=WEEKDAYS,
                         local_time=due, reminder_minutes=60, cutoff_minutes=600, questions=DEFAULT_QUESTIONS,
                         holidays=())
    try:
        async with hw.db.unit_of_work() as session:
            admin = await people.actor(session, team_id, ADMIN, local_profile)
            for user_id in pms:
                await people.set_roles(session, admin, user_id, [Role.PM], local_profile)
            await standups.save_standup(session, admin, draft)
            await people.fill_profiles(session, team_id, {u: await local_profile(u) for u in user_ids})
            await statuses.record_profiles(session, team_id, [await local_profile(u) for u in user_ids])
    finally:
        await hw.db.dispose()


# ------------------------------------------------------------------ measuring


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_idle(pids: Iterable[int], timeout: float = 10.0, window: float = 0.2) -> None:
    """Until these processes use < 5% of a core over `window` (lazy listeners and sends have drained)."""
    pids, deadline = list(pids), time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = sum(cpu_seconds(p) for p in pids)
        await asyncio.sleep(window)
        if sum(cpu_seconds(p) for p in pids) - before < 0.05 * window:
            return


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) from /proc/<pid>/status, in kB."""
    found = re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.MULTILINE)
    return {name: int(value) for name, value in found}


async def emulator_calls(api_url: str, method: str, team_id: str | None = None) -> list[dict]:
    """The emulator's recorded calls to `method` (in workspace `team_id`; default: the first)."""
    import httpx

    base = api_url.rstrip("/").removesuffix("/api")
    params = {"method": method, **({"team_id": team_id} if team_id else {})}
    async with httpx.AsyncClient(timeout=120) as client:
        response = await client.get(f"{base}/_emulator/calls", params=params)
    return response.json()["calls"]


def outbox_key(params: dict) -> str:
    metadata = params.get("metadata") or {}
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    return (metadata.get("event_payload") or {}).get("key", "")


# ------------------------------------------------------------------ reporting


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    return (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · nproc {len(os.sched_getaffinity(0))} · "
            f"{model.group(1).strip() if model else platform.processor() or '?'} · Python {platform.python_version()}")


def table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(name: str, title: str, body: str, command: str) -> None:
    """Replace (or append) this benchmark's section of bench/RESULTS.md."""
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    section = f"{start}\n## {title}\n\n`{command}` — {machine()}\n\n{body.strip()}\n{end}"
    text = RESULTS.read_text() if RESULTS.exists() else (
        "# Benchmark results\n\nWritten by the benchmarks themselves (see README.md); each section is one real run.\n"
        "Figures are ratios measured within the same run, since these machines are noisy.\n")
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text)
    print(f"\n{section}\n")
