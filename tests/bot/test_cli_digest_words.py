"""Executives' words, measured on what `headway digest preview` prints for a 5-project portfolio: easy to
read (Flesch reading ease ≥ 60), short (≤ 375 words), and no metric names, values or percentages outside each
project's one line labelled "For the team"."""

from __future__ import annotations

import asyncio
import json
import re
from types import SimpleNamespace

import pytest

from bot.config import normalize_database_url
from bot.db import Database
from bot.migrate import upgrade
from bot.models import Person
from tests.bot.digests.readability import flesch_reading_ease, words
from tests.bot.digests.test_digests import TODAY, seed
from tests.bot.test_cli import headway, sqlite_url
from tests.conftest import EXEC, TEAM_ID

RAW = re.compile(r"\d\.\d|%|\brecall\b", re.I)  # a metric value, a percentage or the metric's name


async def _seed(url: str, zone: str) -> None:
    db = Database(url)
    try:
        await seed(SimpleNamespace(db=db), 5)
        async with db.unit_of_work() as session:
            session.add(Person(team_id=TEAM_ID, user_id=EXEC, name="eve", real_name="Eve Executive", tz=zone))
    finally:
        await db.dispose()


@pytest.fixture(scope="module", params=["Europe/Berlin", "America/New_York"])
def previews(request, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The text and Block Kit previews of the exec digest, for a reader in Berlin and one in New York."""
    path = tmp_path_factory.mktemp("words") / "headway.db"
    upgrade(normalize_database_url(sqlite_url(path)))
    asyncio.run(_seed(normalize_database_url(sqlite_url(path)), request.param))
    out = {}
    for fmt in ("text", "blocks"):
        result = headway(path.parent, "digest", "preview", "--team", TEAM_ID, "--user", EXEC, "--format", fmt,
                         "--date", TODAY.isoformat(), timeout=120, DATABASE_URL=sqlite_url(path))
        assert result.returncode == 0, result.stderr
        out[fmt] = result.stdout
    return out


def test_the_exec_digest_is_easy_to_read_and_short(previews):
    text = previews["text"]
    assert "*5 active projects.*" in text
    assert flesch_reading_ease(text) >= 60, flesch_reading_ease(text)
    assert len(words(text)) <= 375, len(words(text))


def test_numbers_for_the_team_stay_on_one_labelled_line_per_project(previews):
    message = json.loads(previews["blocks"])
    texts: list[str] = [message["text"]]
    for block in message["blocks"]:
        if isinstance(block.get("text"), dict):
            texts.append(block["text"]["text"])
        texts += [e["text"] for e in block.get("elements", []) if isinstance(e, dict) and "text" in e
                  and isinstance(e["text"], str)]
    for_the_team = [t for t in texts if t.startswith("_For the team:_")]
    assert len(for_the_team) == 5 and all(RAW.search(t) for t in for_the_team)
    for t in texts:
        if not t.startswith("_For the team:_"):
            assert not RAW.search(t), t


def test_readability_is_measured_the_standard_way():
    assert flesch_reading_ease("The cat sat on the mat.") > 100
    hard = ("Institutionalised organisational considerations notwithstanding, comprehensive reconceptualisation "
            "necessitates interdisciplinary collaboration.")
    assert flesch_reading_ease(hard) < 0
    assert words(":rocket: *P0001 · Model* 0.74") == ["P0001", "Model", "0.74"]
