"""A session database written through a real ADK Runner, and a way to run the CLI on it.

`conversation_db` is built once per test run by `support.conversations` (an
`LlmAgent` with tools and a sub-agent, driven by `ScriptedModel`, writing through
`SessionService(SqliteStore(...))`). Each test gets its own copy as ``db_path``,
so tests that prune, plant bad rows or lock the file never affect one another.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.cli import main
from support.conversations import hold_conversations
from support.postgres import base_dsn, create_schema, drop_schema, with_search_path


async def _write_conversations(path: Path) -> None:
    async with SessionService(SqliteStore(path)) as service:
        await hold_conversations(service)


@pytest.fixture(scope="session")
def conversation_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The database of `support.conversations`, written once; never modify it."""
    path = tmp_path_factory.mktemp("conversations") / "sessions.db"
    asyncio.run(_write_conversations(path))
    return path


@pytest.fixture
def db_path(conversation_db: Path, tmp_path: Path) -> Path:
    """A private copy of `conversation_db` that the test may change."""
    copy = tmp_path / "sessions.db"
    source, target = sqlite3.connect(conversation_db), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return copy


@pytest.fixture
def dsn() -> Iterator[str]:
    """A PostgreSQL URL whose connections use a new, empty schema (dropped after the test).

    Synchronous, like the CLI tests: the command runs its own event loop.
    """
    schema = asyncio.run(create_schema())
    try:
        yield with_search_path(base_dsn(), schema)
    finally:
        asyncio.run(drop_schema(schema))


def run_cli(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    """Runs ``adk-sqlite ARGS`` in-process; stdout and stderr are kept apart."""
    return CliRunner(env={"COLUMNS": "200", **(env or {})}).invoke(
        main, [str(arg) for arg in args], catch_exceptions=False
    )


def sql(path: Path, statement: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Runs one statement on ``path`` with a plain connection (foreign keys on) and commits."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        rows = connection.execute(statement, parameters).fetchall()
        connection.commit()
        return rows
    finally:
        connection.close()


def age_session(path: Path, session_id: str, days: float) -> None:
    """Moves a session's last update ``days`` into the past (both time columns)."""
    sql(
        path,
        "UPDATE adk_sessions SET update_time = update_time - ?,"
        " update_time_unix = update_time_unix - ? WHERE id = ?",
        (days, days * 86400, session_id),
    )


def age_events(path: Path, session_id: str, days: float) -> None:
    """Moves every event of a session ``days`` into the past (both time columns)."""
    sql(
        path,
        "UPDATE adk_events SET timestamp = timestamp - ?, timestamp_unix = timestamp_unix - ?"
        " WHERE session_id = ?",
        (days, days * 86400, session_id),
    )
