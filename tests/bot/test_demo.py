"""`headway demo` as a person runs it: a real subprocess, its terminal output, its exit code."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from tests.bot.test_cli import run_headway

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def unwrap(text: str) -> str:
    """Slack content as one line: the demo wraps it to the terminal width behind a `│` bar."""
    return " ".join(line.strip().removeprefix("│").strip() for line in text.splitlines())


def run_demo(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": "C.UTF-8"}
    if os.environ.get("PYTHONPATH"):  # which checkout's code runs, when a shared virtualenv serves several
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    started = time.monotonic()
    result = run_headway(cwd, ["demo", *args], env)
    return result, time.monotonic() - started


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], float]:
    return run_demo(tmp_path_factory.mktemp("demo"))


def test_demo_finishes_quickly_and_cleanly(demo) -> None:
    result, seconds = demo
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr == ""
    assert re.search(r"Done in \d+\.\d s\.", result.stdout)  # how long it takes is measured in bench/RESULTS.md
    assert "runs ×20 on both sides" in unwrap(result.stdout)  # the story says that Slack's pace is scaled


def test_demo_creates_and_shows_the_three_projects(demo) -> None:
    out = demo[0].stdout
    for key in ("FRAUD", "CHURN", "ETA"):
        assert f"Priya runs /headway project new ({key})" in out
        assert f"*{key}* ·" in out  # the DM confirming it, and its line in `project list`
    assert "Projects created: 3" in out
    assert "Elena runs /headway project list" in out and "Elena runs /headway project show FRAUD" in out


def test_the_fraud_card_speaks_business_language(demo) -> None:
    out = demo[0].stdout
    card = unwrap(out[out.index("Elena runs /headway project show FRAUD"):out.index("── Summary")])
    assert "recall, where higher is better: we start from *0.62* and the business needs *0.9*" in card
    assert re.search(r"Expected by \*[A-Z][a-z]+ 20\d\d\*", card)  # a month, in business terms
    assert re.search(r"Worst case \*[A-Z][a-z]+ 20\d\d\*", card)
    assert "Feasibility — stage 2 of 6" in card
    assert "@elena" in card and "@priya" in card and "#ml-projects" in card  # names, not Slack ids
    assert "&amp;" not in card and "& customers" in card  # escapes undone for the terminal


def test_each_step_has_a_header_and_shows_what_people_see(demo) -> None:
    out = demo[0].stdout
    assert "── Ada runs /headway role @priya pm ──" in out
    assert "── Ada runs /headway role @elena exec ──" in out
    assert "@priya is now: pm" in out
    assert "Priya sees a modal:" in out and "| New ML project" in out and "[ Create ]" in out
    assert "Only visible to Elena" in out and "Headway → DM to Priya:" in out
    assert "Slack calls made by Headway:" in out and "views.open" in out and "chat.postMessage" in out
    assert "temporary" in out


def test_output_is_readable_text_not_json_or_escape_codes(demo) -> None:
    out = demo[0].stdout
    assert '{"type"' not in out and '"blocks"' not in out and "'type':" not in out
    assert not ANSI.search(out)  # stdout is a pipe here: no colors
    assert "<@U" not in out and "<#C" not in out


def test_keep_keeps_the_database_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    path = tmp_path / "kept" / "demo.db"
    result, _ = run_demo(tmp_path, "--keep", str(path))
    assert result.returncode == 0, result.stderr
    assert f"Demo database kept at: {path}" in result.stdout
    with sqlite3.connect(path) as db:
        keys = sorted(row[0] for row in db.execute("SELECT key FROM projects"))
    assert keys == ["CHURN", "ETA", "FRAUD"]

    again, _ = run_demo(tmp_path, "--keep", str(path))
    assert again.returncode == 1
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 1 and "already exists" in lines[0] and "Traceback" not in again.stderr


def test_a_failure_mid_story_is_one_clear_line(tmp_path: Path) -> None:
    """A broken template override (HEADWAY_TEMPLATES_DIR) makes Headway fail to answer: the demo says so."""
    broken = tmp_path / "templates" / "projects"
    broken.mkdir(parents=True)
    (broken / "card.json.j2").write_text('{"text": "x", "blocks": [ {{ no_such_variable }} ]}')
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "HEADWAY_TEMPLATES_DIR": str(tmp_path / "templates")}
    result = run_headway(tmp_path, ["demo"], env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("headway demo failed:") and "project show FRAUD" in lines[0]
    assert "no_such_variable" in lines[0]  # what Headway logged, so the cause is visible
    assert "Traceback" not in result.stdout + result.stderr


def test_a_standup_round_in_three_time_zones(demo) -> None:
    """One round: 09:30 in Tokyo, São Paulo and New York; answers in a thread; a blocker; a reminder; the cutoff;
    a late answer; the stats."""
    out = demo[0].stdout
    act = out[out.index("── Priya runs /standup new"):out.index("── Summary")]
    assert re.search(r"── [A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2}, 09:30 in Tokyo \(00:30 UTC\): the scheduler ticks", act)
    assert act.index("09:30 in Tokyo") < act.index("09:30 in São Paulo") < act.index("09:30 in New York")
    assert "@kenji (Tokyo), @lucas (São Paulo), @priya (New York)" in act

    # each person's prompt, with its buttons, then the thanks with a button to edit the answer
    for who in ("Kenji", "Lucas", "Priya"):
        dms = act.split(f"Headway → DM to {who}:")[1:]
        assert any("Time for your *fraud-team* standup" in dm.split("\n\n")[0] for dm in dms), who
        assert any("Thanks — your *fraud-team* standup" in unwrap(dm.split("\n\n")[0]) for dm in dms), who
    assert act.count("[ Answer ]  [ Skip today ]  [ I'm away ]") == 4  # three prompts and one reminder
    assert act.count("[ Edit my answer ]") == 2  # Priya answered after the cutoff: her answer stands as given
    assert "this answer stands as given" in unwrap(act)
    assert "Kenji sees a modal:" in act and "Metric value reached (optional)" in act and "[ Send ]" in act

    # the reminder goes to Priya only, once
    reminder = act[act.index("── 10:30 in New York"):act.index("── 13:30 in New York")]
    assert "Headway → DM to Priya:" in reminder and "Friendly reminder" in reminder
    assert act.count("Friendly reminder") == 1 and "Kenji has answered, so he gets no reminder" in act

    # the cutoff edits the report message: who answered, who did not, the blocker on top
    cutoff = unwrap(act[act.index("── 13:30 in New York (18:30 UTC): the cutoff"):act.index("── 14:10 in New York")])
    assert "*Answered (2)*: @kenji, @lucas" in cutoff and "*No answer (1)*: @priya" in cutoff
    assert "*Blocked (1)* • @lucas: March chargeback labels are incomplete" in cutoff

    # the report message and its thread, as the channel shows them: replies indented under the parent
    start = act.index("#ml-projects: the message and its 3 replies:")
    thread_text = act[start:act.index("✓", start)]
    assert [line.strip() for line in thread_text.splitlines() if line.strip().endswith("headway:")] == \
        ["│ headway:", "│     headway:", "│     headway:", "│     headway:"]
    thread = unwrap(thread_text)
    assert "fraud-team standup ·" in thread and "*Answered (3)*: @kenji, @lucas, @priya" in thread
    assert "_Late: @priya_" in thread and "*No answer (0)*: none — everyone answered" in thread
    assert "🧪 *FRAUD* GBM + merchant velocity features recall reached *0.71* (target 0.9) · confidence: medium" \
        in thread
    assert "recall reached *0.74* (target 0.9) · confidence: low" in thread
    assert "🚨 *Blocked:* March chargeback labels are incomplete: we need the payments team to re-export them." \
        in thread
    assert thread.index("@kenji *What did you try") < thread.index("@lucas *What did") < thread.index(
        "@priya _(late)_ *What did you try")
    assert "Headway → #ml-projects, a reply in the thread: @priya (late)" in act

    assert "FRAUD measurements (recall 0.71 and 0.74, source: standup)" in unwrap(act)
    assert "❔ _Unconfirmed (low confidence): not counted in FRAUD's progress" in thread  # Lucas's 0.74
    stats = unwrap(act[act.index("── Priya runs /standup stats"):])
    assert "*fraud-team* · response rate 100%" in stats
    for handle in ("kenji", "lucas", "priya"):
        assert f"@{handle}: 100% (1 answered, 0 missed)" in stats


def test_the_story_ends_with_a_gate_the_digest_and_the_home(demo) -> None:
    out = demo[0].stdout
    assert "Gate #1 · FRAUD: Feasibility → Design & Requirements" in out
    assert "Elena clicks Go" in out and "FRAUD is now in Design & Requirements" in out
    assert "ML portfolio · week of" in out and "Portfolio by stage" in out
    # Lucas's low-confidence 0.74 is on FRAUD's card but not in its judgement (nor in gate #1's snapshot)
    card = unwrap(out[out.index("── Priya runs /headway show FRAUD"):out.index("── Priya runs /gate request FRAUD")])
    assert "❔ _Unconfirmed (low confidence)" in card and "[ Confirm ]" in card and "(latest 0.71, target 0.90)" in card
    # CHURN stopped by a No-go: in the stopped projects for good, in the digest and on the App Home
    digest = unwrap(out[out.index("── Elena's weekly executive digest"):out.index("── Priya opens Headway's App Home")])
    assert "💡 *What we learned from stopped projects:*" in digest
    assert "• *CHURN* · Churn prediction — stopped at Discovery because nobody can act on a churn score" in digest
    home = unwrap(out[out.index("── Priya opens Headway's App Home"):out.index("── Summary")])
    assert "Stopped (1)" in home and "stopped at Discovery because" in home
