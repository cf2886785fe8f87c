"""The wheel carries everything Headway needs outside the source tree: templates, migrations, lifecycles, handlers.

The wheel is built once per run (pip, with hatchling from the package index unless it is already installed);
one test installs it into a fresh venv and runs `headway migrate`, a template render and `headway demo` from a
directory outside the repository.

The fresh venv gets exactly the wheel's declared dependencies and theirs (its `Requires-Dist`, followed through
each dependency's metadata and requested extras), at the versions this venv has (constraints.txt), hard-linked file
by file from their install records: nothing else is importable there, so an undeclared dependency still fails the
demo. pip resolving the same names against the package index is what installing this venv already did; doing it
again cost ~35 s of CPU, a twelfth of the whole suite's.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sqlite3
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]


def run(*command: str | Path, timeout: float = 600, **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, encoding="utf-8",
                            timeout=timeout, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, command))} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Without hatchling in this venv, let pip fetch it into an isolated build environment.
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q", "-w", out, REPO, cwd=out)
    [built] = out.glob("headway-*.whl")
    return built


def declared_requirements(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as archive:
        [metadata] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        lines = archive.read(metadata).decode().splitlines()
    return [Requirement(line.split(":", 1)[1].strip()) for line in lines if line.startswith("Requires-Dist:")]


def link_dependencies(requirements: list[Requirement], site_packages: Path) -> set[str]:
    """Hard-link into `site_packages` every distribution `requirements` need, transitively; returns their names."""
    linked: set[str] = set()
    pending = [(requirement, "") for requirement in requirements]
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        distribution = importlib.metadata.distribution(requirement.name)
        version = distribution.version
        assert requirement.specifier.contains(version, prereleases=True), (requirement, version)
        for wanted in requirement.extras:  # e.g. uvicorn[standard]: what that extra adds
            pending.extend((Requirement(r), wanted) for r in distribution.requires or [])
        name = canonicalize_name(distribution.metadata["Name"])
        if name in linked:
            continue
        linked.add(name)
        pending.extend((Requirement(r), "") for r in distribution.requires or [])
        root = Path(distribution.locate_file("")).resolve()
        for file in distribution.files or []:
            source = Path(distribution.locate_file(file)).resolve()
            if not source.is_relative_to(root) or not source.is_file():
                continue  # console scripts (../../bin) and files the record lists but the install dropped
            target = site_packages / source.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                os.link(source, target)
    return linked


@pytest.fixture(scope="module")
def names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_wheel_carries_templates_migrations_and_lifecycles(names: set[str]) -> None:
    expected = {
        "bot/_resources/templates/projects/card.json.j2",
        "bot/_resources/templates/macros.j2",
        "bot/_resources/migrations/env.py",
        "bot/_resources/migrations/script.py.mako",
        "bot/lifecycle/builtin/default.yaml",
        "bot/lifecycle/builtin/research.yaml",
        "bot/cli.py",
        "bot/demo/run.py",
        "bot/slack_emulator/__init__.py",
        "bot/slack_emulator/playground/static/index.html",  # the playground's page: plain files, no build step
        "bot/slack_emulator/playground/static/app.js",
        "bot/slack_emulator/playground/static/style.css",
    }
    assert expected <= names, sorted(expected - names)
    # every migration of the source tree, and every template
    versions = {f"bot/_resources/migrations/versions/{p.name}" for p in (REPO / "migrations" / "versions").glob("*.py")}
    assert versions and versions <= names, sorted(versions - names)
    templates = {f"bot/_resources/templates/{p.relative_to(REPO / 'templates')}" for p in
                 (REPO / "templates").rglob("*.j2")}
    assert templates <= names, sorted(templates - names)


def test_wheel_carries_the_handlers_and_the_console_script(names: set[str], wheel: Path) -> None:
    handlers = {f"handlers/{p.name}" for p in (REPO / "handlers").glob("*.py")}
    assert "handlers/__init__.py" in names and handlers <= names, sorted(handlers - names)
    [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        assert "headway = bot.cli:main" in archive.read(entry_points).decode()


def test_wheel_leaves_out_tests_and_caches(names: set[str]) -> None:
    assert not [n for n in names if n.startswith("tests/") or "__pycache__" in n or n.endswith(".pyc")]


@pytest.mark.slow
def test_slow_installed_wheel_finds_templates_and_migrations_outside_the_repo(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python, headway = venv / "bin" / "python", venv / "bin" / "headway"
    site_packages = next((venv / "lib").glob("python3*/site-packages"))
    linked = link_dependencies(declared_requirements(wheel), site_packages)
    assert {"slack-bolt", "sqlmodel", "alembic", "jinja2", "uvicorn"} <= linked
    assert not linked & {"pytest", "hypothesis", "ruff"}  # only what the wheel declares
    run(python, "-m", "pip", "install", "-q", "--no-compile", "--no-deps", wheel)
    run(python, "-m", "pip", "check")  # every installed distribution's requirements are met

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(elsewhere), "LANG": "C.UTF-8"}
    database = elsewhere / "headway.db"
    migrated = run(headway, "migrate", cwd=elsewhere, env={**env, "DATABASE_URL": f"sqlite:///{database}"})
    assert "up to date" in migrated.stdout
    with sqlite3.connect(database) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"alembic_version", "projects", "people", "stage_transitions"} <= tables

    script = textwrap.dedent("""
        import bot, bot.resources
        from bot.render import Renderer
        message = Renderer().message("projects/saved.json.j2", key="FRAUD", name="Fraud & co", created=True)
        print(bot.__file__)
        print(bot.resources.templates_dir())
        print(bot.resources.migrations_dir())
        print(message.blocks[0]["text"]["text"])
    """)
    lines = run(python, "-c", script, cwd=elsewhere, env=env).stdout.splitlines()
    assert [Path(line).is_relative_to(site_packages) for line in lines[:3]] == [True, True, True], lines
    assert lines[1].endswith("bot/_resources/templates") and lines[2].endswith("bot/_resources/migrations")
    assert "*FRAUD* · Fraud &amp; co is set up" in lines[3]

    demo = run(headway, "demo", cwd=elsewhere, env=env, timeout=120)  # the README's quick start
    assert "Projects created: 3" in demo.stdout and "Traceback" not in demo.stdout + demo.stderr

