"""Fixtures for the one-file-per-session layout: a folder, a store, a service over it."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.sqlite import PerSessionSqliteStore


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "agent-sessions"


@pytest.fixture
async def store(folder: Path) -> AsyncIterator[PerSessionSqliteStore]:
    async with SqliteStore.per_session_files(folder) as store:
        yield store


@pytest.fixture
async def service(store: PerSessionSqliteStore) -> AsyncIterator[SessionService]:
    async with SessionService(store) as service:
        yield service


def rows(path: Path, statement: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Runs one statement on ``path`` with a plain sqlite3 connection and commits."""
    connection = sqlite3.connect(path)
    try:
        found = connection.execute(statement, parameters).fetchall()
        connection.commit()
        return found
    finally:
        connection.close()
