"""Counts and nouns agree everywhere people read them: "1 approver", "2 approvers", "0 digests"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.demo.clockwork import said
from bot.render import Renderer

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
# A count printed straight before a plural noun, with no agreement: `{{ things|length }} things`.
BARE_COUNT = re.compile(r"\{\{[^}\"]*(?:\|length|count\b|more\b|moved\b|total\b)[^}\"]*\}\} ([a-z]+s)\b")
ONE_PLURAL = re.compile(r"\b1 (approvers|messages|projects|weeks|days|digests|prompts|reminders|gates|standups|"
                        r"replies|answers|people|cases)\b")
NOT_ONE_SINGULAR = re.compile(r"\b[02] (approver|message|project|week|day|digest|prompt|reminder|gate|"
                              r"reply|answer)\b(?!s)")


def test_no_template_prints_a_bare_count_before_a_plural_noun():
    found = [f"{path.relative_to(TEMPLATES)}: {match.group(0)}" for path in sorted(TEMPLATES.rglob("*.j2"))
             for match in BARE_COUNT.finditer(path.read_text())]
    assert not found, found


RENDERS = [
    ("delivery/retried.json.j2", lambda n: {"ok": True, "count": n, "channel": "C0GENERAL1", "problem": ""}),
    ("projects/lifecycle_switched.json.j2",
     lambda n: {"new": {"name": "Research lifecycle"}, "moved": n, "scope": "workspace", "key": None}),
    ("delivery/decided.json.j2", lambda n: {"what": f"Retried: {n} held message{'s' if n != 1 else ''} sent",
                                            "by": None, "at": None, "detail": "", "icon": "", "late": False}),
]


@pytest.mark.parametrize("template, context", RENDERS)
@pytest.mark.parametrize("n", [0, 1, 2])
def test_templates_with_counts_agree_at_zero_one_and_two(template, context, n):
    message = Renderer().message(template, **context(n))
    text = message.text + " " + " ".join(str(b) for b in message.blocks)
    assert not ONE_PLURAL.search(text), text
    assert not NOT_ONE_SINGULAR.search(text), text


@pytest.mark.parametrize("n", [0, 1, 2])
def test_the_playground_clock_toast_agrees(n):
    text = said({"digests": n, "standup prompts": n, "kill/continue prompts": n})
    assert not ONE_PLURAL.search(text) and not NOT_ONE_SINGULAR.search(text), text
    assert (f"{n} digest" + ("" if n == 1 else "s")) in text


def test_the_count_filter():
    env = Renderer().env
    assert [env.from_string('{{ n|count("approver") }}').render(n=n) for n in (0, 1, 2)] == [
        "0 approvers", "1 approver", "2 approvers"]
    assert env.from_string('{{ 1|count("person", "people") }}, {{ 3|count("person", "people") }}').render() == \
        "1 person, 3 people"
