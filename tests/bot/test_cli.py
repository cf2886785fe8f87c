"""The `headway` command as an operator meets it: real subprocesses with a clean environment in an empty dir."""

from __future__ import annotations

import atexit
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
import yaml

from bot.slack_emulator import EmulatorConfig, EmulatorThread, EmulatorUser
from tests.cli_zygote import ZygoteClient

COMMANDS = ("serve", "migrate", "demo", "manifest")
TOKENS = {"SLACK_BOT_TOKEN": "xoxb-emulator", "SLACK_SIGNING_SECRET": "cli-test-signing-secret"}
SCHEMA_TABLES = {"alembic_version", "workspaces", "people", "projects", "person_roles", "project_members",
                 "stage_transitions"}


def headway_command() -> list[str]:
    script = Path(sys.executable).with_name("headway")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """Nothing from the developer's shell: only PATH, HOME, PYTHONPATH (which checkout's code runs, when a shared
    virtualenv serves several) and what the test sets."""
    kept = {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8", **kept, **extra}


def headway(cwd: Path, *args: str, timeout: float = 60, real: bool = False,
            **env: str) -> subprocess.CompletedProcess[str]:
    """`headway ARGS` in `cwd` with a clean environment (see `run_headway`)."""
    return run_headway(cwd, args, clean_env(cwd, **env), timeout=timeout, real=real)


def run_headway(cwd: Path, args: Sequence[str], env: dict[str, str], *, timeout: float = 60,
                real: bool = False) -> subprocess.CompletedProcess[str]:
    """A `headway` process with exactly `env`: forked from one that has already imported Headway
    (tests/cli_zygote.py: the same process, minus the imports), or with `real=True` the installed console script."""
    if real:
        return subprocess.run([*headway_command(), *args], cwd=cwd, env=env, capture_output=True, text=True,
                              encoding="utf-8", timeout=timeout)
    return cli_zygote().run([str(Path(sys.executable).with_name("headway")), *args], cwd, env, timeout)


_zygote: ZygoteClient | None = None


def cli_zygote() -> ZygoteClient:
    """This pytest process's zygote, started on first use; it imports this checkout's code."""
    global _zygote
    if _zygote is None:
        home = Path(tempfile.mkdtemp(prefix="headway-cli-"))
        _zygote = ZygoteClient(home, clean_env(home, PYTHONPATH=str(Path(__file__).resolve().parents[2])))
        atexit.register(_zygote.close)
    return _zygote


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


# ---------------------------------------------------------------- help


def test_headway_help_lists_every_command(tmp_path: Path) -> None:
    result = headway(tmp_path, "--help", real=True)  # the installed console script itself
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert command in result.stdout


def test_no_arguments_shows_help_instead_of_a_traceback(tmp_path: Path) -> None:
    result = headway(tmp_path)
    assert "Usage" in result.stdout + result.stderr and "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(tmp_path: Path, command: str) -> None:
    result = headway(tmp_path, command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"headway {command}" in result.stdout and result.stderr == ""


# ------------------------------------------------------- serve's settings


def test_serve_without_bot_token(tmp_path: Path) -> None:
    assert_one_line_error(headway(tmp_path, "serve"), 2, "SLACK_BOT_TOKEN")


def test_serve_without_signing_secret(tmp_path: Path) -> None:
    line = assert_one_line_error(headway(tmp_path, "serve", SLACK_BOT_TOKEN="xoxb-1"), 2, "SLACK_SIGNING_SECRET")
    assert "SLACK_BOT_TOKEN" not in line


@pytest.mark.parametrize("port", ["abc", "99999", "-1"])
def test_serve_with_an_invalid_port(tmp_path: Path, port: str) -> None:
    assert_one_line_error(headway(tmp_path, "serve", HEADWAY_PORT=port, **TOKENS), 2, "HEADWAY_PORT")


def test_socket_mode_without_app_token(tmp_path: Path) -> None:
    assert_one_line_error(headway(tmp_path, "serve", "--socket", SLACK_BOT_TOKEN="xoxb-1"), 2, "SLACK_APP_TOKEN")


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = headway(tmp_path, "serve", timeout=30, DATABASE_URL=sqlite_url(tmp_path / "empty.db"), HEADWAY_PORT="0",
                     HEADWAY_SCHEDULER="false", **TOKENS)
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert "headway migrate" in result.stderr.strip().splitlines()[-1]


# ---------------------------------------------------------------- migrate


def test_migrate_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    database = tmp_path / "headway.db"
    first = headway(tmp_path, "migrate", DATABASE_URL=sqlite_url(database))
    assert first.returncode == 0, first.stderr
    assert "up to date" in first.stdout and "Revision none → " in first.stdout and str(database) in first.stdout
    assert tables(database) >= SCHEMA_TABLES
    with sqlite3.connect(database) as db:
        [(revision,)] = db.execute("SELECT version_num FROM alembic_version").fetchall()
    again = headway(tmp_path, "migrate", DATABASE_URL=sqlite_url(database))
    assert again.returncode == 0, again.stderr
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(revision,)]
    assert tables(database) >= SCHEMA_TABLES


def test_migrate_uses_the_default_database_in_the_working_directory(tmp_path: Path) -> None:
    result = headway(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert tables(tmp_path / "headway.db") >= SCHEMA_TABLES


def test_migrate_with_a_bad_database_url(tmp_path: Path) -> None:
    assert_one_line_error(headway(tmp_path, "migrate", DATABASE_URL="mysql://db/x"), 2, "DATABASE_URL")


# --------------------------------------------------------------- manifest


def test_manifest_is_yaml_naming_the_command(tmp_path: Path) -> None:
    result = headway(tmp_path, "manifest", "--url", "https://example.org")
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(result.stdout)
    commands = manifest["features"]["slash_commands"]
    assert "/headway" in [c["command"] for c in commands]
    assert all(c["url"] == "https://example.org/slack/events" for c in commands)
    assert manifest["settings"]["interactivity"]["request_url"] == "https://example.org/slack/events"


def test_manifest_for_socket_mode(tmp_path: Path) -> None:
    result = headway(tmp_path, "manifest", "--socket")
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(result.stdout)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "/headway" in [c["command"] for c in manifest["features"]["slash_commands"]]


def test_manifest_without_url(tmp_path: Path) -> None:
    assert_one_line_error(headway(tmp_path, "manifest"), 2, "--url")


def test_manifest_with_an_http_url(tmp_path: Path) -> None:
    assert_one_line_error(headway(tmp_path, "manifest", "--url", "http://example.org"), 2, "https")


# ------------------------------------------------------ serve, for real


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def slack() -> Iterator[EmulatorThread]:
    config = EmulatorConfig(users=[EmulatorUser(id="U0ADA0001", name="ada", tz="Europe/London", is_admin=True)])
    with EmulatorThread(config) as emulator:
        yield emulator


def test_serve_answers_health_and_metrics_then_stops_on_sigterm(tmp_path: Path, slack: EmulatorThread) -> None:
    database = tmp_path / "headway.db"
    assert headway(tmp_path, "migrate", DATABASE_URL=sqlite_url(database)).returncode == 0
    port = free_port()
    env = clean_env(tmp_path, DATABASE_URL=sqlite_url(database), SLACK_API_URL=slack.api_url, HEADWAY_PORT=str(port),
                    **TOKENS)
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen([*headway_command(), "serve"], cwd=tmp_path, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        health = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, f"serve exited early:\n{log.read_text()}"
            try:
                health = httpx.get(base + "/healthz", timeout=2)
                if health.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        assert health is not None and health.status_code == 200, log.read_text()
        assert health.json() == {"status": "ok", "database": True, "scheduler": True, "leader": True, "slack": "ok",
                                 "delivery": {"paused": False, "why": {}}}
        metrics = httpx.get(base + "/metrics", timeout=5)
        assert metrics.status_code == 200 and "headway_slack_requests_total" in metrics.text
        unsigned = httpx.post(base + "/slack/events", data={"command": "/headway", "text": "help"}, timeout=5)
        assert unsigned.status_code == 401  # Slack's signature is checked
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"serve did not stop within 10 s of SIGTERM:\n{log.read_text()}")
    output = log.read_text()
    assert code == 0, output  # a graceful shutdown on SIGTERM is a clean exit
    assert "Application shutdown complete" in output and "Traceback" not in output
    assert "will be unused" not in output  # Bolt's warning about SLACK_BOT_TOKEN in the environment
    assert TOKENS["SLACK_SIGNING_SECRET"] not in output and TOKENS["SLACK_BOT_TOKEN"] not in output
