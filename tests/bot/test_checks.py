"""`headway check` and the checks `headway serve` runs first, as an operator meets them (real subprocesses)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack_emulator import EmulatorConfig, EmulatorThread, EmulatorUser
from tests.bot.test_cli import assert_one_line_error, headway, sqlite_url

SECRET = "check-test-signing-secret"
BAD_LIFECYCLE = "name: Ours\nstages:\n  - nmae: Discovery\n"


@pytest.fixture(scope="module")
def slack() -> Iterator[EmulatorThread]:
    config = EmulatorConfig(users=[EmulatorUser(id="U0ADA0001", name="ada", tz="Europe/London", is_admin=True)])
    with EmulatorThread(config) as emulator:
        yield emulator


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    database = tmp_path / "headway.db"
    assert headway(tmp_path, "migrate", DATABASE_URL=sqlite_url(database)).returncode == 0
    return database


def good_env(database: Path, slack: EmulatorThread) -> dict[str, str]:
    return {"DATABASE_URL": sqlite_url(database), "SLACK_API_URL": slack.api_url,
            "SLACK_BOT_TOKEN": slack.config.bot_token, "SLACK_SIGNING_SECRET": SECRET}


def test_check_passes_on_a_good_configuration(tmp_path: Path, migrated: Path, slack: EmulatorThread) -> None:
    overrides = tmp_path / "templates" / "commands"
    overrides.mkdir(parents=True)
    builtin = Path(__file__).parents[2] / "templates" / "commands" / "usage.json.j2"
    (overrides / "usage.json.j2").write_text(builtin.read_text())
    result = headway(tmp_path, "check", HEADWAY_TEMPLATES_DIR=str(tmp_path / "templates"), **good_env(migrated, slack))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines and all(line.startswith("✓ ") for line in lines), result.stdout
    names = [line.split(":")[0][2:] for line in lines]
    assert names[:3] == ["settings", "Slack credentials", "lifecycle"]
    assert {"templates", "database", "Slack auth", "scopes"} <= set(names)
    assert "1 override(s)" in result.stdout and "(head)" in result.stdout
    assert slack.config.bot_token not in result.stdout + result.stderr


def test_check_names_every_problem_of_a_broken_configuration(tmp_path: Path, slack: EmulatorThread) -> None:
    (tmp_path / "ours.yaml").write_text(BAD_LIFECYCLE)
    templates = tmp_path / "templates"
    (templates / "commands").mkdir(parents=True)
    (templates / "commands" / "usage.json.j2").write_text('{"text": "x", "blocks": [{"type": "sektion"}]}')
    (templates / "commands" / "help.json.j2").write_text('{"text": "{{ oops( }}"}')
    (templates / "commands" / "usgae.json.j2").write_text('{"text": "never used"}')
    result = headway(tmp_path, "check", HEADWAY_LIFECYCLE=str(tmp_path / "ours.yaml"),
                     HEADWAY_TEMPLATES_DIR=str(templates), DATABASE_URL=sqlite_url(tmp_path / "missing.db"),
                     SLACK_API_URL=slack.api_url, SLACK_BOT_TOKEN="xoxb-wrong", SLACK_SIGNING_SECRET=SECRET)
    assert result.returncode == 2, result.stdout + result.stderr
    failed = [line for line in result.stdout.splitlines() if line.startswith("✗ ")]
    text = "\n".join(failed)
    assert "HEADWAY_LIFECYCLE" in text and "ours.yaml:3" in text
    assert "usage.json.j2 invalid Block Kit" in text and "sektion" in text
    assert "help.json.j2 line 1" in text
    assert "usgae.json.j2 is not a Headway template" in text and "did you mean commands/usage.json.j2" in text
    assert "headway migrate" in text
    assert "SLACK_BOT_TOKEN was refused by Slack (invalid_auth)" in text
    assert "Traceback" not in result.stdout + result.stderr


def test_check_reports_the_settings_problem_alone(tmp_path: Path) -> None:
    result = headway(tmp_path, "check", HEADWAY_PORT="http")
    assert result.returncode == 2
    assert result.stdout.strip().splitlines() == [line for line in result.stdout.strip().splitlines()
                                                  if line.startswith("✗ settings: HEADWAY_PORT is invalid")]


# ------------------------------------------------------------------ serve refuses to start, in one line


def test_serve_refuses_a_bad_lifecycle_file(tmp_path: Path, migrated: Path, slack: EmulatorThread) -> None:
    (tmp_path / "bad.yaml").write_text(BAD_LIFECYCLE)
    line = assert_one_line_error(headway(tmp_path, "serve", "--port", "0", HEADWAY_LIFECYCLE="bad.yaml",
                                         **good_env(migrated, slack)), 2, "HEADWAY_LIFECYCLE", "bad.yaml:3")
    assert "name" in line


def test_serve_refuses_an_unreachable_database(tmp_path: Path, slack: EmulatorThread) -> None:
    env = good_env(tmp_path / "x.db", slack) | {"DATABASE_URL": "postgresql://headway@127.0.0.1:1/headway"}
    line = assert_one_line_error(headway(tmp_path, "serve", "--port", "0", **env), 2, "DATABASE_URL", "unreachable")
    assert "127.0.0.1:1" in line and "cannot serve on" not in line


def test_serve_refuses_a_port_in_use_before_starting(tmp_path: Path, migrated: Path, slack: EmulatorThread) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = headway(tmp_path, "serve", HEADWAY_PORT=str(port), **good_env(migrated, slack))
    line = assert_one_line_error(result, 2, "HEADWAY_PORT", "--port", str(port))
    assert "Application startup" not in result.stdout + line


def test_serve_refuses_a_token_slack_refuses(tmp_path: Path, migrated: Path, slack: EmulatorThread) -> None:
    env = good_env(migrated, slack) | {"SLACK_BOT_TOKEN": "xoxb-revoked"}
    assert_one_line_error(headway(tmp_path, "serve", "--port", "0", **env), 2, "SLACK_BOT_TOKEN", "invalid_auth")


def test_migrate_refuses_a_bad_lifecycle_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD_LIFECYCLE)
    assert_one_line_error(headway(tmp_path, "migrate", HEADWAY_LIFECYCLE="bad.yaml"), 2, "HEADWAY_LIFECYCLE",
                          "bad.yaml:3")
    assert not (tmp_path / "headway.db").exists()


def test_migrate_says_which_database_and_revision(tmp_path: Path) -> None:
    url = "sqlite:///" + str(tmp_path / "h.db")
    first = headway(tmp_path, "migrate", DATABASE_URL=url)
    assert first.returncode == 0, first.stderr
    assert f"Database: sqlite+aiosqlite:///{tmp_path / 'h.db'}" in first.stdout
    assert "Revision none → " in first.stdout
    again = headway(tmp_path, "migrate", DATABASE_URL=url)
    assert "→" not in again.stdout and "Revision " in again.stdout and "up to date" in again.stdout


def test_version(tmp_path: Path) -> None:
    result = headway(tmp_path, "--version")
    assert result.returncode == 0 and result.stdout.startswith("headway ")


def test_granted_scopes_are_compared_with_the_manifest() -> None:
    from bot.checks import scope_check
    from bot.manifest import BOT_SCOPES

    everything = scope_check({"X-OAuth-Scopes": ",".join(BOT_SCOPES) + ",users:read.email"})
    assert everything.ok and f"all {len(BOT_SCOPES)} scopes" in everything.detail
    missing = scope_check({"x-oauth-scopes": ",".join(s for s in BOT_SCOPES if s not in ("im:history", "files:write"))})
    assert not missing.ok and "files:write, im:history" in missing.detail and "reinstall" in missing.detail
    assert scope_check({}).ok  # a Slack that does not say: nothing to compare, no false alarm


def test_canvas_scopes_are_one_optional_line() -> None:
    from bot.checks import canvas_check, scope_check
    from bot.manifest import BOT_SCOPES

    without = {"x-oauth-scopes": ",".join(s for s in BOT_SCOPES if s != "canvases:write")}
    assert scope_check(without).ok and canvas_check(without).ok
    assert "projects work without their dossier canvas" in canvas_check(without).line()
    full = {"x-oauth-scopes": ",".join(BOT_SCOPES)}
    assert "canvases:write granted" in canvas_check(full).line()
    assert not scope_check({"x-oauth-scopes": "commands,canvases:write"}).ok


def test_check_asks_slack_about_the_add_to_slack_settings(tmp_path: Path, migrated: Path,
                                                          slack: EmulatorThread) -> None:
    from bot.slack_emulator.oauth import OAuthApp

    app = slack.emulator.configure_oauth(OAuthApp(client_id="42.43", client_secret="right",
                                                  redirect_urls=["https://headway.example.com/slack/oauth_redirect"]))
    env = {"DATABASE_URL": sqlite_url(migrated), "SLACK_API_URL": slack.api_url, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_CLIENT_ID": app.client_id, "SLACK_CLIENT_SECRET": app.client_secret,
           "SLACK_AUTHORIZATION_URL": slack.api_url.removesuffix("api/") + "oauth/v2/authorize",
           "HEADWAY_PUBLIC_URL": "https://headway.example.com"}
    good = headway(tmp_path, "check", **env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "✓ Slack app credentials" in good.stdout and "✓ redirect URL: https://headway.example.com/slack/" \
        "oauth_redirect" in good.stdout and "Slack auth" not in good.stdout
    bad = headway(tmp_path, "check", **{**env, "SLACK_CLIENT_SECRET": "wrong",
                                        "HEADWAY_PUBLIC_URL": "https://elsewhere.example.com"})
    assert bad.returncode == 2
    assert "✗ Slack app credentials: SLACK_CLIENT_SECRET does not belong to SLACK_CLIENT_ID" in bad.stdout
    assert "✗ redirect URL: Slack refuses https://elsewhere.example.com/slack/oauth_redirect" in bad.stdout
    slack.emulator.oauth_app = None
