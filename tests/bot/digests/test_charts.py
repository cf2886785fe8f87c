"""The digest's trend chart: the PNG itself, its upload through Slack's external flow, and no extra SQL."""

from __future__ import annotations

import asyncio
import json
import logging
import struct
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event

from bot.digests.charts import alt_text, charted, trend_chart_png
from bot.digests.service import build_digest, with_trend_chart
from bot.jobs import send_due_digests
from bot.models import DigestKind, Measurement, Project
from bot.projects.status import ProjectStatus, project_status
from bot.render import Renderer
from tests.bot.digests.test_digests import TODAY, seed
from tests.conftest import EXEC, TEAM_ID
from tests.handlers.test_experiments import run
from tests.support import eventually

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RENDERER = Renderer()


def tall(panels: int) -> tuple[int, int]:
    """960 × (a 110 px title, 250 px a panel, a 90 px week axis): read at 480 px wide in Slack."""
    return 960, 200 + 250 * panels


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == PNG_SIGNATURE and png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def status(key: str, values: list[float | None], *, direction: str = "higher", baseline: float | None = 0.5,
           target: float | None = 0.9, metric: str = "recall") -> ProjectStatus:
    """A real ProjectStatus (the judgement included) for weekly `values`, oldest first, None for a quiet week."""
    project = Project(id=1, team_id=TEAM_ID, key=key, name=f"Model {key}", metric_name=metric,
                      metric_direction=direction, baseline=baseline, target=target,
                      start_date=TODAY - timedelta(weeks=12), expected_date=TODAY + timedelta(weeks=8))
    monday = datetime(2026, 11, 23, 9, tzinfo=UTC)
    measurements = [Measurement(team_id=TEAM_ID, project_id=1, metric=metric, value=v, source="api",
                                measured_at=monday - timedelta(weeks=len(values) - 1 - w))
                    for w, v in enumerate(values) if v is not None]
    return project_status(RENDERER, project, measurements, TODAY)


def portfolio(count: int = 8) -> list[ProjectStatus]:
    lines = [status(f"P{n:04d}", [0.5 + 0.03 * w if (w + n) % 4 else None for w in range(8)]) for n in range(count - 1)]
    lines.append(status("MAE", [14.0, None, 12.5, 11.0, None, None, 9.8, 9.1], direction="lower", baseline=14.0,
                        target=8.0, metric="MAE"))
    return lines


# ---------------------------------------------------------------- the PNG


def test_eight_panels_make_one_small_deterministic_png():
    lines = portfolio(8)
    assert lines[-1].judgement.weekly.count(None) == 3  # gaps reach the chart as gaps
    png = trend_chart_png(lines, today=TODAY)
    assert png is not None
    assert png_size(png) == tall(8)  # one column of 8 panels, 960 px wide to read at 480
    assert 10_000 < len(png) < 300_000
    assert trend_chart_png(lines, today=TODAY) == png  # same data, same bytes


def test_rows_follow_the_number_of_projects():
    assert png_size(trend_chart_png(portfolio(1)[-1:])) == tall(1)
    assert png_size(trend_chart_png(portfolio(3))) == tall(3)
    assert png_size(trend_chart_png(portfolio(8) + portfolio(4))) == tall(8)  # only the 8 shown in Slack


def test_drawing_eight_panels_is_one_figure_drawn_once(monkeypatch):
    """Speed without a clock (timings live in bench/): eight panels are one figure rendered once, not one
    figure per project."""
    import matplotlib.figure

    lines = portfolio(8)
    saves = []
    real_savefig = matplotlib.figure.Figure.savefig

    def savefig(figure, *args, **kwargs):
        saves.append(figure)
        return real_savefig(figure, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    assert trend_chart_png(lines, today=TODAY) is not None
    assert len(saves) == 1
    assert len(saves[0].axes) == 8


def test_no_chart_without_data():
    assert trend_chart_png([]) is None
    assert trend_chart_png([status("EMPTY", [None] * 8), status("NONE", [])]) is None
    assert alt_text([status("EMPTY", [None] * 8)]) is None


def test_projects_without_results_get_no_panel():
    lines = [status("EMPTY", [None] * 8), status("SOME", [None, 0.6, None, None, None, None, None, 0.7])]
    assert [s.project.key for s in charted(lines)] == ["SOME"]
    assert png_size(trend_chart_png(lines)) == tall(1)
    assert alt_text(lines) == "8-week trend of SOME in business terms, better upwards."


def test_direction_aware_panels_survive_gaps_and_odd_values():
    lines = [
        status("MAE1", [None, None, None, 12.0, None, None, None, None], direction="lower", baseline=14.0, target=8.0,
               metric="MAE"),  # one lonely point, lower is better
        status("MAE2", [9.0, None, 7.0, None, 6.5, None, None, 5.0], direction="lower", baseline=None, target=None,
               metric="MAE"),  # no baseline or target: nothing to shade
        status("FLAT", [3.0] * 8, baseline=None, target=None, metric="$x^2$ {oops} \\frac"),  # no TeX from text
        status("FAR", [0.1, 0.2, None, 0.3, 1e9, None, -1e9, 0.4], baseline=-5.0, target=1e12),  # extreme, finite
        status("TGT", [0.95, 0.97, 0.99, None, None, None, None, 0.99], baseline=0.5, target=0.9),  # past target
    ]
    png = trend_chart_png(lines, today=date(2026, 11, 26))
    assert png is not None and png_size(png) == tall(5)


# ---------------------------------------------------------------- upload, end to end against the emulator


def image_blocks(blocks):
    return [b for b in blocks if b.get("type") == "image"]


async def exec_digest_posts(emulator):
    def probe():
        return [c for c in emulator.calls_to("chat.postMessage") if c.params.get("channel") == EXEC
                and c.response.get("ok") and "ML portfolio" in c.params.get("text", "")]
    return await eventually(probe)


def blocks_of(call):
    blocks = call.params["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks


async def test_the_exec_digest_carries_its_uploaded_trend_chart(slack, emulator, headway, clock):
    await seed(headway.hw, 3)
    await run(slack, "UADMIN01", f"role <@{EXEC}> exec")  # execs get the exec digest by default
    clock.set(datetime(2026, 11, 23, 7, 31, tzinfo=UTC))  # 08:31 in Berlin, Monday
    assert await send_due_digests(headway.hw) == 1

    [ticket] = emulator.calls_to("files.getUploadURLExternal")
    assert ticket.params["filename"] == "headway-trend-2026-11-23.png"
    [complete] = emulator.calls_to("files.completeUploadExternal")
    assert not complete.params.get("channel_id") and not complete.params.get("channels")  # a private file
    file_id = ticket.response["file_id"]
    stored = emulator.files[file_id]
    assert stored["uploaded"] and stored["completed"]
    assert stored["data"].startswith(PNG_SIGNATURE) and int(ticket.params["length"]) == len(stored["data"])
    assert png_size(stored["data"]) == tall(3)  # 3 projects: 3 panels

    [post] = await exec_digest_posts(emulator)
    [image] = image_blocks(blocks_of(post))
    assert image["slack_file"] == {"id": file_id}
    assert image["alt_text"].startswith("8-week trend of P0000, P0001, P0002 in business terms")
    assert len(blocks_of(post)) <= 50
    sample = headway.hw.metrics.registry.get_sample_value
    assert sample("headway_slack_api_calls_total", {"method": "upload_url", "status": "ok"}) == 1
    assert sample("headway_slack_api_calls_total", {"method": "files.completeUploadExternal", "status": "ok"}) == 1

    assert await send_due_digests(headway.hw) == 0  # already queued: no second upload either
    assert len(emulator.calls_to("files.getUploadURLExternal")) == 1


async def test_a_failed_upload_still_sends_the_digest_without_the_chart(slack, emulator, headway, clock, caplog):
    await seed(headway.hw, 2)
    await run(slack, "UADMIN01", f"role <@{EXEC}> exec")
    clock.set(datetime(2026, 11, 23, 7, 31, tzinfo=UTC))
    emulator.fail_next("files.completeUploadExternal", error="internal_error")
    with caplog.at_level(logging.WARNING, logger="bot.digests.service"):
        assert await send_due_digests(headway.hw) == 1
    assert "trend chart" in caplog.text and "not attached" in caplog.text
    [post] = await exec_digest_posts(emulator)
    assert image_blocks(blocks_of(post)) == []
    assert "2 active projects" in json.dumps(blocks_of(post))


async def test_team_digests_and_empty_portfolios_upload_nothing(headway):
    uploads = []

    async def upload(*args, **kwargs):
        uploads.append(args)
        return "F0NEVER"

    async with headway.hw.db.unit_of_work() as session:
        digest, message = await build_digest(session, headway.hw.renderer, lambda p: headway.hw.lifecycle(p.lifecycle),
                                             TEAM_ID, EXEC, DigestKind.EXEC, TODAY)
    assert await with_trend_chart(upload, headway.hw.renderer, digest, DigestKind.EXEC, message) is message
    await seed(headway.hw, 2)
    async with headway.hw.db.unit_of_work() as session:
        digest, message = await build_digest(session, headway.hw.renderer, lambda p: headway.hw.lifecycle(p.lifecycle),
                                             TEAM_ID, EXEC, DigestKind.TEAM, TODAY)
    assert await with_trend_chart(upload, headway.hw.renderer, digest, DigestKind.TEAM, message) is message
    assert uploads == []


async def test_the_chart_adds_no_sql_queries(headway):
    await seed(headway.hw, 8)
    hw = headway.hw
    statements = []

    ours = asyncio.current_task()  # this test's statements only: the outbox sender polls in its own task meanwhile

    def record(conn, cursor, statement, *args):
        if asyncio.current_task() is ours:
            statements.append(statement)

    async def upload(filename, content, *, title, alt_text=None):
        assert content.startswith(PNG_SIGNATURE)
        return "F0CHART01"

    event.listen(hw.db.engine.sync_engine, "before_cursor_execute", record)
    try:
        async with hw.db.unit_of_work() as session:
            digest, message = await build_digest(session, hw.renderer, lambda p: hw.lifecycle(p.lifecycle), TEAM_ID,
                                                 EXEC, DigestKind.EXEC, TODAY)
        building = len(statements)
        charted_message = await with_trend_chart(upload, hw.renderer, digest, DigestKind.EXEC, message)
    finally:
        event.remove(hw.db.engine.sync_engine, "before_cursor_execute", record)
    assert len(statements) == building, statements[building:]  # drawing, uploading and re-rendering read nothing more
    [image] = image_blocks(charted_message.blocks)
    assert image["slack_file"] == {"id": "F0CHART01"}
    assert len(charted_message.blocks) == len(message.blocks) + 1 <= 50


def test_a_late_first_result_is_explained_not_left_as_empty_weeks():
    from datetime import date as day

    from bot.digests.charts import _since

    assert _since(8, 6, day(2026, 12, 21)) == "results since the week of 14 Dec"
    assert _since(8, 7, None) == "1 week of results so far"
    assert _since(8, 6, None) == "2 weeks of results so far"
