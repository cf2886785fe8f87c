"""`headway workspaces|people|outbox` through a real subprocess, on a database an operator would have."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.bot.test_cli import assert_one_line_error, headway, sqlite_url

NOW = "2026-11-30 09:00:00.000000"


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "headway.db"
    assert headway(tmp_path, "migrate", DATABASE_URL=sqlite_url(path)).returncode == 0
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO workspaces (team_id, name, lifecycle, created_at) VALUES "
                   "('T0ACME', 'Acme', 'default', ?)", (NOW,))
        for pid, user, name, tz in ((1, "U0ADA", "Ada Admin", "Europe/London"), (2, "U0MAX", "Max", "Asia/Kolkata")):
            db.execute("INSERT INTO people (id, team_id, user_id, name, real_name, tz, is_bot, deleted, created_at) "
                       "VALUES (?, 'T0ACME', ?, ?, ?, ?, 0, 0, ?)", (pid, user, name.lower(), name, tz, NOW))
        db.execute("INSERT INTO person_roles (person_id, role, team_id, granted_at) VALUES (1, 'admin', 'T0ACME', ?)",
                   (NOW,))
        db.execute("INSERT INTO person_roles (person_id, role, team_id, granted_at) VALUES (1, 'exec', 'T0ACME', ?)",
                   (NOW,))
        for oid, status, error in ((1, "dead", "channel_not_found"), (2, "pending", None), (3, "sent", None),
                                   (4, "dead", "is_archived"), (5, "held", "not_in_channel")):
            db.execute("INSERT INTO outbox_messages (id, team_id, key, kind, method, channel, payload, status, "
                       "attempts, next_attempt_at, last_error, created_at) VALUES (?, 'T0ACME', ?, 'digest', "
                       "'chat.postMessage', 'C0DIGEST', '{\"text\": \"hi\"}', ?, 5, ?, ?, ?)",
                       (oid, f"k{oid}", status, NOW, error, NOW))
    return path


def statuses(path: Path) -> dict[int, str]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT id, status FROM outbox_messages"))


def test_workspaces_list(tmp_path: Path, database: Path) -> None:
    result = headway(tmp_path, "workspaces", "list", DATABASE_URL=sqlite_url(database))
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.strip().splitlines()
    assert header.split() == ["TEAM", "NAME", "LIFECYCLE", "PEOPLE", "ORG", "SLACK"]
    assert row.split() == ["T0ACME", "Acme", "default", "2", "—", "—"]


def test_workspaces_delete_removes_every_row_of_that_workspace_only(tmp_path: Path, database: Path) -> None:
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO workspaces (team_id, name, lifecycle, created_at) VALUES "
                   "('T0OTHER', 'Other', 'default', ?)", (NOW,))
        db.execute("INSERT INTO people (id, team_id, user_id, name, real_name, tz, is_bot, deleted, created_at) "
                   "VALUES (9, 'T0OTHER', 'U0ADA', 'ada', 'Ada', 'UTC', 0, 0, ?)", (NOW,))
        db.execute("INSERT INTO slack_workspaces (team_id, enterprise_id, team_name, uninstalled_at) VALUES "
                   "('T0ACME', NULL, 'Acme', ?)", (NOW,))
    result = headway(tmp_path, "workspaces", "delete", "T0ACME", "--yes", DATABASE_URL=sqlite_url(database))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                  if name != "alembic_version"]
        left = {table: db.execute(f"SELECT * FROM {table}").fetchall() for table in tables}
    assert not [t for t, rows in left.items() if "T0ACME" in str(rows)]
    assert left["people"] and left["workspaces"]  # the other workspace's rows stay
    again = headway(tmp_path, "workspaces", "delete", "T0ACME", "--yes", DATABASE_URL=sqlite_url(database))
    assert again.returncode == 1 and "no workspace T0ACME" in again.stderr


def test_people_list_shows_ids_names_roles_and_time_zones(tmp_path: Path, database: Path) -> None:
    result = headway(tmp_path, "people", "list", "--team", "T0ACME", DATABASE_URL=sqlite_url(database))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].split() == ["TEAM", "USER", "NAME", "ROLES", "TIME", "ZONE"]
    assert "U0ADA" in lines[1] and "Ada Admin" in lines[1] and "admin, exec" in lines[1] and "Europe/London" in lines[1]
    assert "U0MAX" in lines[2] and "Asia/Kolkata" in lines[2]
    other = headway(tmp_path, "people", "list", "--team", "T0OTHER", DATABASE_URL=sqlite_url(database))
    assert "Nobody yet" in other.stdout


def test_outbox_list_filters_by_status(tmp_path: Path, database: Path) -> None:
    everything = headway(tmp_path, "outbox", "list", DATABASE_URL=sqlite_url(database))
    assert everything.returncode == 0, everything.stderr
    ids = [line.split()[0] for line in everything.stdout.strip().splitlines()[1:]]
    assert ids == ["1", "2", "4", "5"]  # sent messages are not listed
    dead = headway(tmp_path, "outbox", "list", "--dead", DATABASE_URL=sqlite_url(database)).stdout
    assert [line.split()[0] for line in dead.strip().splitlines()[1:]] == ["1", "4"]
    assert "channel_not_found" in dead
    held = headway(tmp_path, "outbox", "list", "--held", DATABASE_URL=sqlite_url(database)).stdout
    assert [line.split()[0] for line in held.strip().splitlines()[1:]] == ["5"]


def test_outbox_retry_one_then_all_dead(tmp_path: Path, database: Path) -> None:
    one = headway(tmp_path, "outbox", "retry", "4", DATABASE_URL=sqlite_url(database))
    assert one.returncode == 0, one.stderr
    assert "Queued 1 message again" in one.stdout
    assert statuses(database) == {1: "dead", 2: "pending", 3: "sent", 4: "pending", 5: "held"}
    everything = headway(tmp_path, "outbox", "retry", "--all-dead", DATABASE_URL=sqlite_url(database))
    assert "Queued 1 message again" in everything.stdout
    assert statuses(database) == {1: "pending", 2: "pending", 3: "sent", 4: "pending", 5: "held"}
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT attempts FROM outbox_messages WHERE id = 1").fetchone() == (0,)


def test_outbox_retry_refuses_sent_and_unknown_ids(tmp_path: Path, database: Path) -> None:
    result = headway(tmp_path, "outbox", "retry", "3", "99", DATABASE_URL=sqlite_url(database))
    assert_one_line_error(result, 1, "3, 99")
    assert statuses(database)[3] == "sent"
    assert_one_line_error(headway(tmp_path, "outbox", "retry", DATABASE_URL=sqlite_url(database)), 2, "--all-dead")


def test_lists_on_an_unmigrated_database_say_what_to_do(tmp_path: Path) -> None:
    assert_one_line_error(headway(tmp_path, "people", "list", DATABASE_URL=sqlite_url(tmp_path / "new.db")), 1,
                          "headway migrate")


def test_help_has_no_type_labels_on_flags(tmp_path: Path) -> None:
    for args in (("--help",), ("serve", "--help"), ("outbox", "list", "--help"), ("check", "--help")):
        result = headway(tmp_path, *args)
        assert result.returncode == 0 and "<bool>" not in result.stdout, result.stdout


def test_serve_port_option_overrides_the_environment(tmp_path: Path) -> None:
    result = headway(tmp_path, "serve", "--port", "70000", HEADWAY_PORT="3000", SLACK_BOT_TOKEN="xoxb-1",
                     SLACK_SIGNING_SECRET="s")
    assert_one_line_error(result, 2, "HEADWAY_PORT")
