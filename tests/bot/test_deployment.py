"""Deployment hygiene: replicas migrating together, .env.example, constraints matching pyproject, compose."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from bot.migrate import head_revisions
from bot.slack_emulator import EmulatorConfig, EmulatorThread
from tests.bot.test_cli import clean_env, headway, headway_command

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_replicas_starting_together_migrate_one_after_the_other(tmp_path: Path, scratch_database) -> None:
    """Two `headway migrate` at once on one empty database (PostgreSQL with HEADWAY_TEST_DATABASE_URL): both
    succeed, the schema is built once, and the second, waiting for the lock, finds nothing left to do."""
    url = scratch_database()
    processes = [subprocess.Popen([*headway_command(), "migrate"], cwd=tmp_path, env=clean_env(tmp_path,
                                  DATABASE_URL=url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    head = ", ".join(sorted(head_revisions()))
    reports = sorted(out for out, _ in outputs)
    assert sum(f"Revision none → {head}" in out for out in reports) == 1, reports
    assert sum(f"Revision {head}: the database is up to date" in out for out in reports) == 1, reports
    assert all("password" not in out for out in reports)


def test_env_example_is_read_by_headway(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((REPO / ".env.example").read_text())
    with EmulatorThread(EmulatorConfig()) as slack:
        result = headway(tmp_path, "check", SLACK_API_URL=slack.api_url, DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("✓ settings") and ".env" in lines[0], result.stdout + result.stderr
    assert "✓ Slack credentials" in result.stdout  # the placeholders have the right shape…
    assert "SLACK_BOT_TOKEN was refused by Slack (invalid_auth)" in result.stdout  # …and Slack refuses them


def test_constraints_pin_every_dependency_within_pyproject_bounds() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    from packaging.requirements import Requirement

    for spec in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        requirement = Requirement(spec)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (spec, pins[name])
        assert any(s.operator in ("<", "<=", "==", "~=") for s in requirement.specifier), f"{spec}: no upper bound"


def test_dockerfile_installs_from_the_constraints_and_compose_sets_the_public_url() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "-c constraints.txt" in dockerfile
    assert "COPY pyproject.toml README.md alembic.ini constraints.txt" in dockerfile
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert "HEADWAY_PUBLIC_URL" in compose["services"]["headway"]["environment"]
