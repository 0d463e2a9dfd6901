"""`backup` copies ADK's own session databases as plain SQLite files, verified.

The import docs suggest importing "from a backup of it": the sources here are
written by google-adk's own ``DatabaseSessionService`` and
``SqliteSessionService`` through a real Runner, backed up, and the copy is
imported exactly as the original is.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import stat
from pathlib import Path

import pytest
from google.adk.sessions.base_session_service import BaseSessionService
from google.adk.sessions.database_session_service import DatabaseSessionService
from google.adk.sessions.sqlite_session_service import SqliteSessionService

from support.conversations import hold_conversations

from .conftest import run_cli, sql

LAYOUTS = ("sqlite_session_service", "database_session_service")


def _adk_service(layout: str, path: Path) -> BaseSessionService:
    if layout == "sqlite_session_service":
        return SqliteSessionService(str(path))
    return DatabaseSessionService(f"sqlite+aiosqlite:///{path}")


async def _write(layout: str, path: Path) -> None:
    service = _adk_service(layout, path)
    try:
        await hold_conversations(service)
    finally:
        close = getattr(service, "close", None)
        if close is not None:
            await close()


@pytest.fixture(scope="module", params=LAYOUTS)
def adk_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp(request.param) / "adk.db"
    asyncio.run(_write(request.param, path))
    return path


def _tables(path: Path) -> list[str]:
    rows = sql(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    return [name for (name,) in rows if not name.startswith("sqlite_")]


def test_backup_of_an_adk_database_is_a_verified_plain_copy(adk_db: Path, tmp_path: Path) -> None:
    destination = tmp_path / "copy.db"

    result = run_cli("backup", adk_db, destination, "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["kind"], report["integrity"]) == ("sqlite", ["ok"])
    assert report["tables"] == _tables(adk_db)
    assert (report["sessions"], report["events"]) == (0, 0)
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600
    for table in _tables(adk_db):
        query = f'SELECT * FROM "{table}" ORDER BY 1, 2'
        assert sql(destination, query) == sql(adk_db, query), table


def test_backup_output_says_it_is_adks_own_database(adk_db: Path, tmp_path: Path) -> None:
    result = run_cli("backup", adk_db, tmp_path / "copy.db")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "Backed up a plain SQLite database, ADK's own session database"
        " (adk-sqlite import reads it):"
    )
    assert "integrity_check: ok" in result.stdout


def test_the_backup_imports_as_the_original_does(adk_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    assert run_cli("backup", adk_db, copy).exit_code == 0

    from_original = run_cli("import", adk_db, tmp_path / "a.db", "--json")
    from_copy = run_cli("import", copy, tmp_path / "b.db", "--json")

    assert from_original.exit_code == from_copy.exit_code == 0, from_copy.output
    query = "SELECT app_name, user_id, id, state FROM adk_sessions ORDER BY 1, 2, 3"
    assert sql(tmp_path / "b.db", query) == sql(tmp_path / "a.db", query)
    events = "SELECT id, author, timestamp_unix, content FROM adk_events ORDER BY 1"
    assert sql(tmp_path / "b.db", events) == sql(tmp_path / "a.db", events)


def test_any_sqlite_file_is_backed_up_as_plain_sqlite(tmp_path: Path) -> None:
    other = tmp_path / "orders.db"
    sql(other, "CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT)")
    sql(other, "INSERT INTO orders (item) VALUES ('tea')")

    result = run_cli("backup", other, tmp_path / "copy.db")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "Backed up a plain SQLite database, not an adk-sqlite database: 1 table (orders),"
    )
    assert sql(tmp_path / "copy.db", "SELECT item FROM orders") == [("tea",)]


def test_a_file_that_is_not_sqlite_is_still_refused(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)

    result = run_cli("backup", notes, tmp_path / "copy.db")

    assert result.exit_code == 3
    assert not (tmp_path / "copy.db").exists()
    assert not list(tmp_path.glob(".copy.db.partial-*"))


def test_a_plain_backup_never_writes_over_an_existing_file(adk_db: Path, tmp_path: Path) -> None:
    destination = tmp_path / "copy.db"
    destination.write_text("precious")

    result = run_cli("backup", adk_db, destination)

    assert result.exit_code == 2
    assert destination.read_text() == "precious"
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(destination).execute("SELECT 1 FROM sqlite_master").fetchone()
