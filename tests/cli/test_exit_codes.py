"""Every command fails clearly, on stderr, with the documented exit code."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adk_sqlite.cli import main
from support.conversations import TICKET

from .conftest import run_cli, sql

# How to run each command on a database file DB, leaving every other argument valid.
COMMAND_ARGS: dict[str, Callable[[Path, Path], list[str | Path]]] = {
    "sessions": lambda db, tmp: ["sessions", db],
    "show": lambda db, tmp: ["show", db, TICKET],
    "tools": lambda db, tmp: ["tools", db],
    "artifacts": lambda db, tmp: ["artifacts", db],
    "memory": lambda db, tmp: ["memory", db, "--app", "a", "--user", "u"],
    "stats": lambda db, tmp: ["stats", db],
    "query": lambda db, tmp: ["query", db, "SELECT 1"],
    "check": lambda db, tmp: ["check", db],
    "backup": lambda db, tmp: ["backup", db, tmp / "copy.db"],
    "prune": lambda db, tmp: ["prune", db, "--idle-days", "30"],
    "forget": lambda db, tmp: ["forget", db, "--app", "a", "--user", "u", "--yes"],
    "import": lambda db, tmp: ["import", db, tmp / "imported.db"],
    # The source is checked before the server is contacted: none is needed here.
    "export": lambda db, tmp: ["export", db, "postgresql://nobody@127.0.0.1:1/none"],
}
# `import` reads an ADK database, not an adk-sqlite one.
ADK_SQLITE_READERS = sorted(set(COMMAND_ARGS) - {"import"})
# `backup` copies any SQLite file (a plain copy when it is not adk-sqlite's).
ADK_SQLITE_ONLY = sorted(set(COMMAND_ARGS) - {"backup"})


def test_every_command_is_covered_here() -> None:
    assert set(COMMAND_ARGS) == set(main.commands)


@pytest.mark.parametrize("command", sorted(COMMAND_ARGS))
def test_a_missing_file_exits_3(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"

    result = run_cli(*COMMAND_ARGS[command](missing, tmp_path))

    assert result.exit_code == 3
    assert result.stderr == f"Error: {missing}: no such file\n"
    assert result.stdout == ""
    assert not missing.exists()


@pytest.mark.parametrize("command", sorted(COMMAND_ARGS))
def test_a_file_that_is_not_a_database_exits_3(command: str, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("these are not the sessions you are looking for\n" * 100)

    result = run_cli(*COMMAND_ARGS[command](notes, tmp_path))

    assert result.exit_code == 3
    assert "file is not a database" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("command", ADK_SQLITE_ONLY)
def test_a_database_of_something_else_exits_4(command: str, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sql(other, "CREATE TABLE orders (id INTEGER PRIMARY KEY)")

    result = run_cli(*COMMAND_ARGS[command](other, tmp_path))

    assert result.exit_code == 4
    assert "not an adk-sqlite database" in result.stderr or "not a database of ADK" in (
        result.stderr
    )
    assert sql(other, "SELECT name FROM sqlite_master") == [("orders",)]


@pytest.mark.parametrize("command", sorted(set(ADK_SQLITE_READERS) & set(ADK_SQLITE_ONLY)))
def test_an_adk_service_database_is_pointed_to_import(command: str, tmp_path: Path) -> None:
    adk = tmp_path / "adk.db"
    sql(adk, "CREATE TABLE events (id TEXT, event_data TEXT)")

    result = run_cli(*COMMAND_ARGS[command](adk, tmp_path))

    assert result.exit_code == 4
    assert "adk-sqlite import" in result.stderr


@pytest.mark.parametrize("command", ADK_SQLITE_READERS)
def test_a_newer_schema_exits_4_and_says_to_upgrade(
    command: str, db_path: Path, tmp_path: Path
) -> None:
    sql(db_path, "INSERT INTO adk_sqlite_schema (table_set, version) VALUES ('adk_sessions', 99)")

    result = run_cli(*COMMAND_ARGS[command](db_path, tmp_path))

    assert result.exit_code == 4
    assert "schema version 99" in result.stderr
    assert "upgrade adk-sqlite" in result.stderr


@pytest.fixture
def exclusively_locked(db_path: Path) -> Iterator[Path]:
    """Holds an exclusive lock on the database, as a writer in exclusive mode does."""
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield db_path
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("command", sorted(COMMAND_ARGS))
def test_a_locked_database_exits_5_after_the_busy_timeout(
    command: str, exclusively_locked: Path, tmp_path: Path
) -> None:
    args = COMMAND_ARGS[command](exclusively_locked, tmp_path)

    result = run_cli(*args, "--busy-timeout", "0.1")

    assert result.exit_code == 5
    assert "database is locked" in result.stderr
    assert result.stdout == ""


def test_a_bad_option_value_exits_2() -> None:
    result = run_cli("sessions", "x.db", "--limit", "-1")

    assert result.exit_code == 2
    assert "--limit" in result.stderr


def test_a_read_only_file_exits_6_when_the_command_writes(db_path: Path) -> None:
    # Root ignores file permissions, so this makes the database read-only the way
    # SqliteStore's URLs do; the command line accepts the same URLs.
    result = run_cli("prune", f"sqlite:///{db_path}?mode=ro", "--events-older-than", "0")

    assert result.exit_code == 6
    assert "read-only" in result.stderr
