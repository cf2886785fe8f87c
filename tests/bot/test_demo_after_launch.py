"""The demo's after-launch acts, from `headway demo`'s output: a blocker escalated once the three working days
have passed, ETA launched, degraded by an Alertmanager alert and a Retrain decision, and the digest's groups."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.bot.test_cli import run_headway
from tests.bot.test_demo import unwrap

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> str:
    cwd = tmp_path_factory.mktemp("demo-after-launch")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": "C.UTF-8",
           "PYTHONPATH": str(REPO)}  # this checkout's code, whichever Headway the venv has installed
    result = run_headway(cwd, ["demo"], env, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    return result.stdout


def test_a_blocker_is_escalated_after_three_working_days(story: str) -> None:
    steps = story.split("Days pass; Lucas's standup blocker is still open")[1]
    assert steps.count("nothing to escalate yet") >= 3 and steps.count("escalated (") == 1
    assert "@lucas has been blocked on *FRAUD · Fraud detection for card payments* for *4 working days*" in unwrap(
        steps.split("Elena clicks Go")[0])


def test_eta_degrades_through_an_alertmanager_alert_and_priya_decides_retrain(story: str) -> None:
    text = unwrap(story)
    assert "ETA goes to Production and its launch value (1.6 days) is frozen" in text
    assert "Alertmanager → Headway: HTTP 200" in text and "'health': 'Degraded'" in text
    assert "ETA · Delivery time estimates is Degraded in production*" in text
    assert "@priya decided *Retrain* for *ETA · Delivery time estimates*" in text
    assert "chose *Retrain* (was Degraded)" in text


def test_the_digest_shows_help_needed_and_in_production(story: str) -> None:
    digest = unwrap(story.split("digest now shows the help needed")[1])
    assert re.search(r"\*Decisions and help needed\* :sos: @lucas has been blocked on FRAUD for \d+ working days: "
                     r"March chargeback labels are incomplete.* could help: @priya, @elena", digest)
    assert re.search(r"\*In production\* \(1\) :red_circle: \*ETA · Delivery time estimates\* — \*Degraded\*, live \d "
                     r"days: alert “Delivery estimates off by 2.6 days for 2 hours” is firing; now off by 1.7 days, "
                     r"against 1.6 days at launch", digest)
