"""How long a new developer waits: the README's test command from a fresh clone (install included), and
`headway demo`'s "Done in", each run several times; the median goes to RESULTS.md.

    python -m bench.suite [--runs 3] [--demo-runs 3] [--database postgresql://127.0.0.1:5432/test]

Each test run clones this repository's HEAD into a new temp directory and runs the quick start's test command
there exactly as the README gives it (a new venv, `pip install -e '.[test]'` with the pinned constraints, pytest on
the configured workers), so the figure is what a person sees on this machine; pip's download cache is the only
thing kept between runs, as on a developer's machine. The slowest tests of the last run are listed too.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import table, write_section

ROOT = Path(__file__).resolve().parents[1]
GOAL_SUITE_SECONDS = 240
GOAL_DEMO_SECONDS = 3.0


def readme_test_command() -> str:
    section = (ROOT / "README.md").read_text().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    return next(line for line in commands if line.endswith("pytest"))


def run_suite(database: str | None) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="headway-suite-") as directory:
        clone = Path(directory) / "headway"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        if (ROOT.parent / "shared").is_dir():  # as CI has it: Slack's schemas beside the checkout
            (Path(directory) / "shared").symlink_to(ROOT.parent / "shared")
        env = dict(os.environ, PIP_CONSTRAINT=str(clone / "constraints.txt"))
        env.pop("HEADWAY_TEST_DATABASE_URL", None)
        if database:
            env["HEADWAY_TEST_DATABASE_URL"] = database
        started = time.monotonic()
        result = subprocess.run(["bash", "-c", readme_test_command() + " --durations=10 -rs"], cwd=clone, env=env,
                                capture_output=True, text=True)
        seconds = time.monotonic() - started
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-300:]
    if result.returncode != 0:
        raise SystemExit(f"the test command failed ({summary}):\n{result.stdout[-3000:]}")
    slowest = result.stdout.split("slowest 10 durations", 1)[-1].split("\n=", 1)[0] if result.stdout else ""
    skipped = [line for line in result.stdout.splitlines() if line.startswith("SKIPPED")]
    return seconds, summary + "\n" + slowest.strip("= \n") + "".join("\n" + line for line in skipped)


def run_demo() -> float:
    result = subprocess.run([str(Path(os.sys.executable).with_name("headway")), "demo"], capture_output=True,
                            text=True, cwd=tempfile.gettempdir())
    found = re.search(r"Done in (\d+\.\d) s", result.stdout)
    if result.returncode != 0 or not found:
        raise SystemExit(f"headway demo failed: {result.stderr[-500:]}")
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--demo-runs", type=int, default=3)
    parser.add_argument("--database", default=None, help="PostgreSQL URL: run the tests there (as CI does)")
    options = parser.parse_args()

    demos = [run_demo() for _ in range(options.demo_runs)]
    print("demo:", demos, flush=True)
    suites, last = [], ""
    for number in range(options.runs):
        seconds, last = run_suite(options.database)
        suites.append(seconds)
        print(f"suite run {number + 1}: {seconds:.0f} s — {last.splitlines()[0]}", flush=True)

    where = "PostgreSQL" if options.database else "SQLite"
    suite_median, demo_median = statistics.median(suites), statistics.median(demos)
    rows = [
        [f"README test command, fresh clone, install included ({where})", ", ".join(f"{s:.0f} s" for s in suites),
         f"**{suite_median:.0f} s**", f"< {GOAL_SUITE_SECONDS} s", "met" if suite_median < GOAL_SUITE_SECONDS else
         "not met"],
        ["`headway demo` \"Done in\"", ", ".join(f"{s:.1f} s" for s in demos), f"**{demo_median:.1f} s**",
         f"< {GOAL_DEMO_SECONDS:g} s", "met" if demo_median < GOAL_DEMO_SECONDS else "not met"],
    ]
    body = (table(["what", "runs", "median", "goal", ""], rows)
            + f"\n\nLast run: {last.splitlines()[0]}. Its slowest tests:\n\n```\n"
            + "\n".join(last.splitlines()[1:]) + "\n```")
    write_section(f"suite_{where.lower()}", f"Test suite and demo — {where}", body,
                  "python -m bench.suite" + (f" --database {options.database}" if options.database else ""))


if __name__ == "__main__":
    main()
