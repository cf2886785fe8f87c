"""A team's own lifecycle file: valid ones replace the built-ins, invalid ones say exactly where and what is wrong."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import HeadwayError
from bot.lifecycle import Lifecycle, LifecycleError, builtin, load_lifecycle_file, load_lifecycle_text

VALID = """\
key: team
name: Team lifecycle
description: Our own stages.
stages:
  - key: explore
    name: Explore
    goal: Find out whether it can work.
    inputs: [A question]
    timebox_weeks: 2
    approver_roles: [business_owner, pm]
    exit_criteria:
      - key: baseline
        text: Baseline measured
  - name: Pilot & Review
    goal: Try it with real users.
    approver_roles: [tech_lead]
    exit_criteria:
      - key: reviewed
        text: Users reviewed the pilot
      - key: write-up
        text: Write-up shared
        required: false
"""


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `fragment`, so tests survive edits to the sample."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return hits[occurrence - 1]


def problems(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(LifecycleError) as caught:
        load_lifecycle_text(text, source="team.yaml")
    return [(p.line, p.path, p.message) for p in caught.value.problems]


def only_problem(text: str) -> tuple[int | None, str, str]:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def test_valid_custom_file_replaces_the_builtins(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(VALID, encoding="utf-8")
    lifecycle = load_lifecycle_file(path)
    assert lifecycle.key == "team" and lifecycle.keys == ("explore", "pilot-review")
    assert lifecycle.find("pilot and review").key == "pilot-review"
    assert lifecycle.stage("pilot-review").timebox_weeks is None
    assert [c.required for c in lifecycle.stage("pilot-review").exit_criteria] == [True, False]
    assert lifecycle.find("production") is None  # nothing of the default set leaks in
    assert builtin().keys[0] == "discovery"  # and the built-ins are untouched


def test_shipped_example_is_valid() -> None:
    example = files("bot.lifecycle") / "example.yaml"
    lifecycle = load_lifecycle_text(example.read_text(encoding="utf-8"), source="example.yaml")
    assert lifecycle.key == "lean-ml"
    assert lifecycle.keys == ("scoping", "pilot-review", "run")


def test_lifecycle_key_is_derived_from_name_when_missing() -> None:
    assert load_lifecycle_text(VALID.replace("key: team\n", "")).key == "team-lifecycle"


def test_missing_field_points_at_the_parent_mapping() -> None:
    text = VALID.replace("        text: Baseline measured\n", "")
    assert only_problem(text) == (line_of(text, "- key: baseline"), "stages[0].exit_criteria[0].text", "field required")


def test_error_message_has_file_line_and_field_path(tmp_path: Path) -> None:
    text = VALID.replace("        text: Users reviewed the pilot\n", "")
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LifecycleError) as caught:
        load_lifecycle_file(path)
    line = line_of(text, "- key: reviewed")
    assert str(caught.value) == f"{path}:{line}: stages[1].exit_criteria[0].text: field required"
    assert isinstance(caught.value, HeadwayError)


def test_missing_top_level_field() -> None:
    text = VALID.replace("name: Team lifecycle\n", "")
    assert only_problem(text) == (1, "name", "field required")


def test_wrong_type() -> None:
    text = VALID.replace("timebox_weeks: 2", "timebox_weeks: two")
    assert only_problem(text) == (line_of(text, "timebox_weeks"), "stages[0].timebox_weeks", "must be a whole number")
    text = VALID.replace("inputs: [A question]", "inputs: A question")
    assert only_problem(text) == (line_of(text, "inputs:"), "stages[0].inputs", "must be a list")
    text = VALID.replace("required: false", "required: sometimes")
    assert only_problem(text)[:2] == (line_of(text, "required:"), "stages[1].exit_criteria[1].required")


@pytest.mark.parametrize("value", ["0", "-3"])
def test_bad_timebox(value: str) -> None:
    text = VALID.replace("timebox_weeks: 2", f"timebox_weeks: {value}")
    assert only_problem(text) == (line_of(text, "timebox_weeks"), "stages[0].timebox_weeks", "must be at least 1")


def test_unknown_approver_role() -> None:
    text = VALID.replace("[business_owner, pm]", "[business_owner, boss]")
    line, path, message = only_problem(text)
    assert (line, path) == (line_of(text, "approver_roles"), "stages[0].approver_roles[1]")
    assert "'boss'" in message and "legal_compliance" in message


def test_duplicate_stage_keys() -> None:
    text = VALID.replace("  - name: Pilot & Review\n", "  - name: Pilot & Review\n    key: explore\n")
    assert only_problem(text) == (
        line_of(text, "key: explore", 2),
        "stages[1].key",
        "duplicate key 'explore', already used by stages[0]",
    )


def test_duplicate_criterion_keys() -> None:
    text = VALID.replace("key: write-up", "key: reviewed")
    line, path, message = only_problem(text)
    assert (line, path) == (line_of(text, "key: reviewed", 2), "stages[1].exit_criteria[1].key")
    assert "already used by exit_criteria[0]" in message


def test_duplicate_yaml_keys_are_rejected() -> None:
    text = VALID.replace("    goal: Try it with real users.\n", "    goal: Try it with real users.\n    goal: Again.\n")
    line, path, message = only_problem(text)
    assert (line, path) == (line_of(text, "goal: Again."), "stages[1].goal")
    assert f"first on line {line_of(text, 'goal: Try it')}" in message


def test_unknown_field_suggests_the_intended_one() -> None:
    text = VALID.replace("timebox_weeks: 2", "timebox: 2")
    assert only_problem(text) == (
        line_of(text, "timebox:"),
        "stages[0].timebox",
        "unknown field 'timebox'; did you mean 'timebox_weeks'?",
    )
    text = VALID.replace("description:", "colour:")
    line, path, message = only_problem(text)
    assert (line, path) == (3, "colour") and "allowed fields: key, name, description, stages" in message


def test_empty_name_and_underivable_key() -> None:
    text = VALID.replace("name: Pilot & Review", "name: '  '")
    assert only_problem(text) == (line_of(text, "name: '  '"), "stages[1].name", "must not be empty")
    text = VALID.replace("name: Pilot & Review", "name: '???'")
    assert only_problem(text)[:2] == (line_of(text, "name: '???'"), "stages[1].key")


def test_empty_lists_are_rejected() -> None:
    text = VALID.replace("approver_roles: [tech_lead]", "approver_roles: []")
    assert only_problem(text) == (line_of(text, "approver_roles: []"), "stages[1].approver_roles",
                                  "must list at least one approver role")
    assert only_problem("name: X\nstages: []\n") == (2, "stages", "must list at least one stage")


def test_syntax_error_gives_the_line() -> None:
    text = VALID.replace("inputs: [A question]", "inputs: [A question")
    line, path, message = only_problem(text)
    assert message.startswith("YAML syntax error") and path == ""
    assert line_of(text, "inputs:") <= line <= line_of(text, "inputs:") + 1
    text = VALID.replace("    goal: Try it with real users.", "   goal: bad indent")
    assert only_problem(text)[0] == line_of(text, "bad indent")


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here\n", "---\n"])
def test_empty_file(text: str) -> None:
    line, _, message = only_problem(text)
    assert line == 1 and "empty" in message


@pytest.mark.parametrize(("text", "found"), [("- a\n- b\n", "a list"), ("just text\n", "a single value")])
def test_wrong_top_level_type(text: str, found: str) -> None:
    assert only_problem(text) == (1, "", f"expected a mapping with 'name' and 'stages', found {found}")


def test_every_problem_is_listed_in_line_order() -> None:
    text = (
        VALID.replace("timebox_weeks: 2", "timebox_weeks: 0")
        .replace("        text: Users reviewed the pilot\n", "")
        .replace("description:", "colour:")
    )
    found = problems(text)
    assert [p[1] for p in found] == ["colour", "stages[0].timebox_weeks", "stages[1].exit_criteria[0].text"]
    assert [p[0] for p in found] == sorted(p[0] for p in found)
    with pytest.raises(LifecycleError) as caught:
        load_lifecycle_text(text, source="team.yaml")
    message = str(caught.value)
    assert message.startswith("team.yaml: 3 problems")
    assert f"team.yaml:{line_of(text, 'timebox_weeks')}: stages[0].timebox_weeks: must be at least 1" in message


def test_yaml_oddities_become_lifecycle_errors() -> None:
    assert "cannot read this value" in only_problem("name: X\nstages: !!int nope\n")[2]
    assert any(p[0] == 2 and "merge keys" in p[2] for p in problems("base: &b {name: X}\n<<: *b\n"))
    assert any("alias" in p[2] for p in problems("name: X\nstages: &s [*s]\n"))
    assert "unsupported YAML tag" in only_problem("name: X\nstages: !custom []\n")[2]
    assert only_problem("name: [1, 2]\n  bad\n")[2].startswith("YAML syntax error")
    assert only_problem("name: X\x00\n")[2].startswith("YAML syntax error")
    assert only_problem("a: 1\n---\nb: 2\n")[0] == 2


def test_exponential_aliases_are_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    assert "too many values" in only_problem("\n".join(lines) + "\n")[2]


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(LifecycleError, match="cannot read the file"):
        load_lifecycle_file(tmp_path / "missing.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: X\nstages:\n  - name: Caf\xe9\n")
    with pytest.raises(LifecycleError, match=r"latin1\.yaml:3: the file is not UTF-8 text"):
        load_lifecycle_file(path)


# ------------------------------------------------------------------ property tests

SOURCES = [VALID, (files("bot.lifecycle") / "builtin" / "default.yaml").read_text(encoding="utf-8")]
FRAGMENTS = [
    ":", "-", " ", "\n", "  ", "[", "]", "{", "}", "'", '"', "#", "&a ", "*a", "!!int ", "!x ", "0", "-1",
    "null", "key: x\n", "<<: *a\n", "\t", "? ", "|", ">", "%", "@", "\x00", "é", "- ", "stages:", "~",
]


@st.composite
def mutated_text(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.splitlines(keepends=True) or [""]
        op = draw(st.sampled_from(["insert", "delete", "replace", "copy_line", "drop_line", "truncate"]))
        at = draw(st.integers(0, len(text)))
        row = draw(st.integers(0, len(lines) - 1))
        piece = draw(st.sampled_from(FRAGMENTS) | st.text(max_size=5))
        if op == "insert":
            text = text[:at] + piece + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)):]
        elif op == "replace":
            text = text[:at] + piece + text[at + 1:]
        elif op == "copy_line":
            text = "".join([*lines[: row + 1], lines[draw(st.integers(0, len(lines) - 1))], *lines[row + 1:]])
        elif op == "drop_line":
            text = "".join(lines[:row] + lines[row + 1:])
        else:
            text = text[:at]
    return text


def check_outcome(text: str) -> None:
    """A mutated file either loads or fails with a LifecycleError that points into the file."""
    try:
        result = load_lifecycle_text(text, source="team.yaml")
    except LifecycleError as error:
        assert error.problems and str(error).startswith("team.yaml")
        for problem in error.problems:
            assert problem.line is None or 1 <= problem.line <= text.count("\n") + 2
    else:
        assert isinstance(result, Lifecycle)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_text())
def test_text_mutations_load_or_raise_lifecycle_error(text: str) -> None:
    check_outcome(text)


scalars = st.none() | st.booleans() | st.integers(-3, 200) | st.floats(allow_nan=True) | st.text(max_size=8)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                              max_size=3), max_leaves=6)


@st.composite
def mutated_document(draw: st.DrawFn) -> str:
    data = yaml.safe_load(draw(st.sampled_from(SOURCES)))
    for _ in range(draw(st.integers(1, 3))):
        node, path = data, []
        while isinstance(node, dict | list) and node and draw(st.booleans()):
            key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
            path.append(key)
            node = node[key]
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        op = draw(st.sampled_from(["set", "delete", "add"]))
        if not path:
            data = draw(values) if op == "set" else data
        elif op == "set":
            parent[path[-1]] = draw(values)
        elif op == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["key", "name", "extra", "required", "timebox_weeks"]))] = draw(values)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_document())
def test_structural_mutations_load_or_raise_lifecycle_error(text: str) -> None:
    check_outcome(text)
