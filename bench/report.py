"""Report: a portfolio report over a year of 200 projects (52 weekly results each, a moved target, a closed
gate and a production decision each): build, Markdown and CSV render, and the number of SQL statements.

Goals: under 5 s; the statement count does not grow with the number of projects (compared with 20 projects).
`python -m bench.report` (PostgreSQL: HEADWAY_BENCH_DATABASE_URL=postgresql://127.0.0.1:5432/test)
"""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, insert

from bench.common import TEAM_ID, backend, migrated_database, table, workdir, write_backend_section
from bot.app import build_headway
from bot.config import load_settings
from bot.models import (
    Gate,
    GoalpostChange,
    Measurement,
    ProductionDecision,
    Project,
    StageTransition,
    Workspace,
)
from bot.reports import render
from bot.reports.build import build_report
from bot.reports.periods import parse_period
from bot.reports.scope import Scope, ScopeKind

SIZES = (20, 200)
TODAY = date(2026, 11, 23)
WEEKS = 52


def _at(week: int) -> datetime:
    return datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC) - timedelta(weeks=WEEKS - week - 1)


async def seed(hw, count: int) -> None:
    now = datetime.now(UTC)
    async with hw.db.unit_of_work() as session:
        session.add(Workspace(team_id=TEAM_ID))
        await session.flush()
        await session.exec(insert(Project), params=[dict(  # type: ignore[call-overload]
            team_id=TEAM_ID, key=f"P{n:05d}", name=f"Model {n}", metric_name=("recall", "precision", "mae")[n % 3],
            metric_direction="lower" if n % 3 == 2 else "higher", baseline=0.5 if n % 3 < 2 else 4.0,
            target=0.9 if n % 3 < 2 else 1.5, start_date=TODAY - timedelta(weeks=WEEKS),
            expected_date=TODAY + timedelta(weeks=8), kill_date=TODAY + timedelta(weeks=20), stage="development",
            lifecycle="default", state="active", problem_statement="", success_criteria="", metric_unit="",
            lens_subject="", currency="$", channel_id=f"C{n:08d}", created_at=now, updated_at=now)
            for n in range(count)])
        ids = (await session.exec(Project.__table__.select().with_only_columns(Project.id))).scalars().all()  # type: ignore[attr-defined]
        rows, transitions, changes, gates, decisions = [], [], [], [], []
        for index, project_id in enumerate(ids):
            transitions.append(dict(team_id=TEAM_ID, project_id=project_id, from_stage=None, to_stage="design",
                                    from_state=None, to_state="active", actor_id="U1", reason="Project created",
                                    without_gate=False, at=_at(0)))
            transitions.append(dict(team_id=TEAM_ID, project_id=project_id, from_stage="design",
                                    to_stage="development", from_state="active", to_state="active", actor_id=None,
                                    reason="", without_gate=False, at=_at(20)))
            changes.append(dict(team_id=TEAM_ID, project_id=project_id, field="target", old_value="0.95",
                                new_value="0.9", reason="Finance agreed", actor_id="U1", at=_at(30)))
            gates.append(dict(team_id=TEAM_ID, project_id=project_id, from_stage="design", to_stage="development",
                              status="closed", rule="majority", summary="", criteria="[]", snapshot="{}",
                              requested_by="U1", requested_at=_at(19), deadline=_at(20).date(), deadline_at=_at(20),
                              version=1, outcome="go", outcome_basis="rule", outcome_reason="Ready",
                              conditions="", reframed_problem="", closed_at=_at(20), closed_by="U1"))
            decisions.append(dict(team_id=TEAM_ID, project_id=project_id, episode=1, user_id="U1", choice="keep",
                                  rationale="Within tolerance", label="Degrading", cast_at=_at(40)))
            for week in range(WEEKS):
                value = 0.5 + 0.3 * week / WEEKS if index % 3 < 2 else 4.0 - 2.0 * week / WEEKS
                rows.append(dict(team_id=TEAM_ID, project_id=project_id, metric="m", value=value,
                                 measured_at=_at(week), source="api", source_ref=f"{project_id}:{week}", note="",
                                 created_at=now))
        for model, batch in ((StageTransition, transitions), (GoalpostChange, changes), (Gate, gates),
                             (ProductionDecision, decisions)):
            await session.exec(insert(model), params=batch)  # type: ignore[call-overload]
        for start in range(0, len(rows), 5000):
            await session.exec(insert(Measurement), params=rows[start:start + 5000])  # type: ignore[call-overload]


async def measure(count: int, repeats: int = 3) -> tuple[float, float, int, int, int]:
    directory = workdir(f"report{count}")
    url = await migrated_database(directory)
    hw = build_headway(load_settings(database_url=url, slack_api_url="http://127.0.0.1:9/api/"))
    try:
        await seed(hw, count)
        statements: list[str] = []
        event.listen(hw.db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        period = parse_period(f"{(TODAY - timedelta(weeks=WEEKS)).isoformat()}..{TODAY.isoformat()}", TODAY)
        builds, renders = [], []
        for _ in range(repeats):
            statements.clear()
            started = time.perf_counter()
            async with hw.db.unit_of_work() as session:
                report = await build_report(session, Scope(ScopeKind.PORTFOLIO, TEAM_ID), period, "UTC",
                                            lambda p: hw.lifecycle(p.lifecycle), datetime.now(UTC))
            built = time.perf_counter()
            files = render.files(hw.renderer, report)
            builds.append(built - started)
            renders.append(time.perf_counter() - built)
        assert len(report.projects) == count and sum(len(p.results) for p in report.projects) == count * WEEKS
        size = sum(len(f.content.encode()) for f in files)
        return statistics.median(builds), statistics.median(renders), len(statements), len(files), size
    finally:
        await hw.db.dispose()


async def main() -> None:
    results = {count: await measure(count) for count in SIZES}
    rows = [[count, count * WEEKS, f"{b * 1000:.0f} ms", f"{r * 1000:.0f} ms", f"{(b + r) * 1000:.0f} ms", q, n,
             f"{size / 1e6:.1f} MB"] for count, (b, r, q, n, size) in results.items()]
    total = sum(results[SIZES[-1]][:2])
    constant = len({q for _, _, q, _, _ in results.values()}) == 1
    body = table(["projects", "results", "build", "render (Markdown + CSV)", "total", "SQL statements", "files",
                  "size"], rows)
    body += (f"\n\n{SIZES[-1]} projects over a year: **{total:.2f} s** (goal < 5 s: {'met' if total < 5 else 'not met'}"
             f"). SQL statements the same at {SIZES[0]} and {SIZES[-1]} projects: **{'yes' if constant else 'no'}**. "
             f"Median of 3 ({backend()}); labels over time are judged for every project every fourth week over a "
             "year (weekly over periods up to half a year).")
    write_backend_section("report", "Portfolio report over a year", body, "python -m bench.report")


if __name__ == "__main__":
    asyncio.run(main())
