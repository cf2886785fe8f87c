"""`headway report` and `headway export` as an operator runs them: subprocesses reading the database a quarter of
history was written to through Slack, the API and gates."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.bot.test_cli import assert_one_line_error
from tests.bot.test_cli import headway as run_headway
from tests.conftest import PM, TEAM_ID
from tests.handlers.test_reports import a_quarter_of_history


def plain_url(url: str) -> str:
    """The test database's URL as an operator writes it (no async driver)."""
    parsed = make_url(url)
    return parsed.set(drivername=parsed.drivername.split("+")[0]).render_as_string(hide_password=False)


async def run(cwd: Path, url: str, *args: str):
    return await asyncio.to_thread(run_headway, cwd, *args, timeout=120, DATABASE_URL=plain_url(url))


async def test_report_and_export_from_a_shell(slack, emulator, headway, clock, clean_database, tmp_path):
    await a_quarter_of_history(slack, emulator, headway, clock, clean_database)
    shown = await run(tmp_path, clean_database, "report", "FRAUD", "Q3", "--team", TEAM_ID, "--format", "json")
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert body["period"]["label"] == "Q3 2026" and [e["kind"] for e in body["projects"][0]["entries"]] == [
        "created", "goalpost", "gate_request", "vote", "vote", "vote", "gate"]
    markdown = await run(tmp_path, clean_database, "report", "portfolio", "as", "of", "2026-09-30", "--team",
                         TEAM_ID, "--user", PM)
    assert_one_line_error(markdown, 1, "portfolio report is for executives")  # read as PM: refused
    written = await run(tmp_path, clean_database, "export", "--since", "2026-07-01", "--until", "2026-09-30",
                        "--format", "csv", "--workspace", TEAM_ID, "--out", str(tmp_path / "out"))
    assert written.returncode == 0, written.stderr
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert any(name.endswith("-results.csv") for name in files) and any(n.endswith("-timeline.csv") for n in files)
    results = next(tmp_path / "out" / n for n in files if n.endswith("-results.csv")).read_text()
    assert [r["value"] for r in csv.DictReader(io.StringIO(results))] == ["0.64", "0.66", "0.7", "0.72", "0.75"]
    bad = await run(tmp_path, clean_database, "report", "FRAUD", "Q1", "2027", "--team", TEAM_ID)
    assert_one_line_error(bad, 1, "Q1 2027 has not begun yet")
