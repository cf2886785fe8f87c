"""The README's quick start is what CI runs: the demo and test commands exist (then the playground's), and .ci/run
uses the test command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    section = ROOT.joinpath("README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def test_quick_start_has_a_demo_command_and_a_test_command():
    demo, tests, _ = quick_start_commands()
    assert demo.startswith("python3 -m venv .venv") and demo.endswith("headway demo")
    assert tests.startswith("python3 -m venv .venv") and tests.endswith("pytest")


def test_quick_start_ends_with_how_to_open_the_playground():
    *_, playground = quick_start_commands()
    assert playground == ".venv/bin/headway playground --scenario"


def test_ci_runs_the_readme_test_command():
    _, tests, _ = quick_start_commands()
    assert f'TEST_COMMAND="{tests}"' in ROOT.joinpath(".ci", "run").read_text()
