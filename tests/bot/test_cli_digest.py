"""`headway digest preview` as an operator runs it: a subprocess, a migrated SQLite file, no Slack token."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.app import build_headway
from bot.config import load_settings, normalize_database_url
from bot.db import Database
from bot.digests.service import build_digest
from bot.migrate import upgrade
from bot.models import DigestKind, Person
from tests.bot.digests.test_digests import TODAY, seed
from tests.bot.test_cli import assert_one_line_error, headway, sqlite_url
from tests.conftest import EXEC, TEAM_ID

DATE = ("--date", TODAY.isoformat())
READER = ("--team", TEAM_ID, "--user", EXEC)


async def _seed(url: str) -> None:
    db = Database(url)
    try:
        await seed(SimpleNamespace(db=db), 3)
        async with db.unit_of_work() as session:
            session.add(Person(team_id=TEAM_ID, user_id=EXEC, name="eve", real_name="Eve Executive",
                               tz="Europe/Berlin"))
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("digest-cli") / "headway.db"
    upgrade(normalize_database_url(sqlite_url(path)))
    asyncio.run(_seed(normalize_database_url(sqlite_url(path))))
    return path


@pytest.fixture(scope="module")
def previews(database: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The three formats of Eve's exec digest and the team digest, run side by side (each is a process)."""
    cwd = tmp_path_factory.mktemp("cwd")
    runs = {
        "text": ("--format", "text"),
        "blocks": ("--format", "blocks"),
        "html": ("--format", "html"),
        "team": ("--format", "text", "--kind", "team"),
    }
    with ThreadPoolExecutor(len(runs)) as pool:
        futures = {name: pool.submit(headway, cwd, "digest", "preview", *READER, *args, *DATE, timeout=120,
                                     DATABASE_URL=sqlite_url(database)) for name, args in runs.items()}
        return {name: future.result() for name, future in futures.items()}


def ok(result) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def test_text_is_readable(previews):
    text = ok(previews["text"])
    assert text.startswith("ML portfolio · week of")
    assert "3 active projects" in text
    assert "Model 0 <!here> catches 7 of every 10 cases (target 9)" in text  # Slack's escapes undone for reading
    assert "&lt;" not in text and '"blocks"' not in text
    # where the chart sits in the sent digest
    assert "[image: 8-week trend of P0000, P0001, P0002 in business terms" in text
    assert "attached when the digest is sent" in text
    assert previews["text"].stderr == ""


def test_blocks_are_exactly_the_payload_the_job_queues(previews, database):
    payload = json.loads(ok(previews["blocks"]))
    assert set(payload) == {"text", "blocks"} and len(payload["blocks"]) <= 50

    async def expected():
        hw = build_headway(load_settings(database_url=sqlite_url(database)))
        try:
            async with hw.db.unit_of_work() as session:
                _, message = await build_digest(session, hw.renderer, lambda p: hw.lifecycle(p.lifecycle), TEAM_ID,
                                                EXEC, DigestKind.EXEC, TODAY,
                                                await hw.decisions_for(session, TEAM_ID, EXEC))
        finally:
            await hw.close()
        return {"text": message.text, "blocks": message.blocks}

    assert payload == json.loads(json.dumps(asyncio.run(expected())))
    assert "attached when the digest is sent" in previews["blocks"].stderr  # the note stays out of the JSON


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs))


def test_html_is_a_standalone_page(previews):
    page = ok(previews["html"])
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    parser = _Page()
    parser.feed(page)
    assert "script" not in parser.tags and "h1" in parser.tags and "strong" in parser.tags
    assert "<h1>ML portfolio · week of" in page
    assert "<strong>P0000 · Model 0 &lt;!here&gt;</strong>" in page  # mrkdwn bold, text escaped once for HTML
    assert "<!here>" not in page and "&amp;lt;" not in page
    assert "<em>" in page and "<code>" in page and "<hr>" in page
    [chart] = parser.images  # the chart the job would upload, inline
    assert chart["src"].startswith("data:image/png;base64,")
    assert chart["alt"].startswith("8-week trend of P0000")


def test_team_digest(previews):
    text = ok(previews["team"])
    assert "Team digest" in text and "recall 0.74" in text
    assert "[image:" not in text and "attached when" not in text


def test_an_unmigrated_database_is_one_clear_line(tmp_path: Path):
    missing = tmp_path / "missing.db"
    assert_one_line_error(headway(tmp_path, "digest", "preview", *READER, DATABASE_URL=sqlite_url(missing)), 1,
                          "headway migrate")
    assert not missing.exists()  # looking did not create it
    empty = tmp_path / "empty.db"
    empty.touch()
    assert_one_line_error(headway(tmp_path, "digest", "preview", *READER, DATABASE_URL=sqlite_url(empty)), 1,
                          "headway migrate")


def test_an_unknown_workspace_and_bad_options(tmp_path: Path, database: Path):
    url = sqlite_url(database)
    assert_one_line_error(headway(tmp_path, "digest", "preview", "--team", "TNOPE", "--user", EXEC, DATABASE_URL=url),
                          1, "no workspace TNOPE")
    bad = headway(tmp_path, "digest", "preview", *READER, "--format", "pdf", DATABASE_URL=url)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    missing = headway(tmp_path, "digest", "preview", "--team", TEAM_ID, DATABASE_URL=url)
    assert missing.returncode == 2 and "--user" in missing.stderr


def test_a_reader_headway_has_not_met_gets_a_note(tmp_path: Path, database: Path):
    result = headway(tmp_path, "digest", "preview", "--team", TEAM_ID, "--user", "UNEW0001", "--format", "text",
                     *DATE, DATABASE_URL=sqlite_url(database))
    assert "3 active projects" in ok(result)
    assert "UNEW0001 has not used Headway" in result.stderr


def test_help(tmp_path: Path):
    result = headway(tmp_path, "digest", "preview", "--help")
    assert result.returncode == 0 and "headway digest preview" in result.stdout
    assert "--format" in result.stdout and "--kind" in result.stdout


def test_mrkdwn_becomes_safe_html():
    from bot.digests.preview import mrkdwn_to_html

    converted = mrkdwn_to_html("*bold* _it_ ~gone~ `a <b> *x*` <https://x.io/?a=1&amp;b=2|the &lt;site&gt;> "
                               "<@UEXEC001> <!here> snake_case 10:30:00 :rocket: &lt;script&gt;\nnext",
                               {"UEXEC001": "Eve"})
    assert converted == ('<strong>bold</strong> <em>it</em> <del>gone</del> <code>a &lt;b&gt; *x*</code> '
                         '<a href="https://x.io/?a=1&amp;b=2">the &lt;site&gt;</a> <span class="mention">@Eve</span> '
                         '<span class="mention">@here</span> snake_case 10:30:00 🚀 &lt;script&gt;<br>\nnext')
    assert mrkdwn_to_html("<javascript:alert(1)|click>") == "click"  # only http(s) and mailto links
