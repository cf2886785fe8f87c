"""Digest: build-and-render time and SQL statements for 10, 100 and 1,000 projects with 52 weeks of data.

Goals: the statement count is the same at every size; time grows linearly; 1,000 projects under 1 s.
`python -m bench.digest`
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, insert

from bench.common import TEAM_ID, migrated_database, table, workdir, write_section
from bot.app import build_headway
from bot.config import load_settings
from bot.digests.service import build_digest
from bot.models import DigestKind, Measurement, Project, Workspace

SIZES = (10, 100, 1000)
TODAY = date(2026, 11, 23)
WEEKS = 52


async def seed(hw, count: int) -> None:
    async with hw.db.unit_of_work() as session:
        session.add(Workspace(team_id=TEAM_ID))
        await session.flush()
        projects = [dict(team_id=TEAM_ID, key=f"P{n:05d}", name=f"Model {n}", metric_name=("recall", "precision",
                         "mae")[n % 3], metric_direction="lower" if n % 3 == 2 else "higher",
                         baseline=0.5 if n % 3 < 2 else 4.0, target=0.9 if n % 3 < 2 else 1.5,
                         start_date=TODAY - timedelta(weeks=WEEKS), expected_date=TODAY + timedelta(weeks=8),
                         kill_date=TODAY + timedelta(weeks=20), stage="development", lifecycle="default",
                         state="active", problem_statement="", success_criteria="", metric_unit="",
                         lens_subject="", currency="$", created_at=datetime.now(UTC), updated_at=datetime.now(UTC))
                    for n in range(count)]
        await session.exec(insert(Project), params=projects)  # type: ignore[call-overload]
        ids = (await session.exec(Project.__table__.select().with_only_columns(Project.id))).scalars().all()  # type: ignore[attr-defined]
        rows = []
        for index, project_id in enumerate(ids):
            for week in range(WEEKS):
                value = 0.5 + 0.3 * week / WEEKS if index % 3 < 2 else 4.0 - 2.0 * week / WEEKS
                rows.append(dict(team_id=TEAM_ID, project_id=project_id, metric="m", value=value,
                                 measured_at=datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC)
                                 - timedelta(weeks=WEEKS - week - 1), source="api", source_ref=f"{project_id}:{week}",
                                 note="", created_at=datetime.now(UTC)))
        for start in range(0, len(rows), 5000):
            await session.exec(insert(Measurement), params=rows[start:start + 5000])  # type: ignore[call-overload]


async def measure(count: int, repeats: int = 5) -> tuple[float, int, int]:
    directory = workdir(f"digest{count}")
    url = await migrated_database(directory)
    hw = build_headway(load_settings(database_url=url, slack_api_url="http://127.0.0.1:9/api/"))
    try:
        await seed(hw, count)
        statements: list[str] = []
        event.listen(hw.db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        timings = []
        for _ in range(repeats):
            statements.clear()
            started = time.perf_counter()
            async with hw.db.unit_of_work() as session:
                digest, message = await build_digest(session, hw.renderer, lambda p: hw.lifecycle(p.lifecycle),
                                                     TEAM_ID, None, DigestKind.EXEC, TODAY)
            timings.append(time.perf_counter() - started)
        assert digest.active == count and len(message.blocks) <= 50
        return statistics.median(timings), len(statements), len(message.blocks)
    finally:
        await hw.db.dispose()


async def main() -> None:
    results = {count: await measure(count) for count in SIZES}
    base_time, base_queries = results[SIZES[0]][0], results[SIZES[0]][1]
    rows = [[count, f"{seconds * 1000:.0f} ms", f"{seconds / base_time:.1f}×", f"{count // SIZES[0]}×", queries,
             blocks] for count, (seconds, queries, blocks) in results.items()]
    constant = len({queries for _, queries, _ in results.values()}) == 1
    largest = results[SIZES[-1]][0]
    body = table(["projects", "build + render (median of 5)", "time vs 10", "size vs 10", "SQL statements",
                  "blocks"], rows)
    body += (f"\n\nSQL statements constant across sizes: **{'yes' if constant else 'no'}** ({base_queries}). "
             f"1,000 projects: **{largest * 1000:.0f} ms** (goal < 1,000 ms: {'met' if largest < 1 else 'not met'}). "
             f"Each project has {WEEKS} weekly measurements (SQLite); the digest reads the last 8 weeks.")
    write_section("digest", "Digest build and render", body, "python -m bench.digest")


if __name__ == "__main__":
    asyncio.run(main())
