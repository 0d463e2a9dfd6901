"""What the imports from ADK's stores share: where they write, and a look at a SQLite file.

Each import (`adk_sqlite.transfer.adk_import`, `artifact_import`, `memory_import`)
writes into a store it is given (and leaves open) or one it opens from a location: a
SQLite file, a folder of per-session files or a ``postgresql://`` URL. A SQLite file
that holds another program's tables, or that is the source itself, is refused.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

from adk_sqlite.errors import ConfigurationError, SchemaError
from adk_sqlite.sqlite import SqliteStore
from adk_sqlite.sqlite.database_file import connect_read_only, sqlite_errors
from adk_sqlite.sqlite.engine.connection import DatabaseTarget, parse_database

if TYPE_CHECKING:
    from adk_sqlite.postgres import PostgresStore
    from adk_sqlite.sqlite.per_session.store import PerSessionSqliteStore

__all__ = ["check_destination", "describe_store", "open_destination", "tables_in"]

_SELECT_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+asyncpg://")


def tables_in(target: DatabaseTarget, *, busy_timeout: float = 5.0) -> set[str]:
    """The names of the tables of a SQLite file, read through a read-only connection.

    Raises:
        DatabaseUnavailableError: The file is missing or not a database.
    """
    connection = connect_read_only(target, busy_timeout=busy_timeout)
    try:
        with sqlite_errors(target):
            return {row[0] for row in connection.execute(_SELECT_TABLES)}
    finally:
        connection.close()


def check_destination(target: DatabaseTarget, source: Path) -> None:
    """Refuses the source itself, and a file that holds tables other than adk-sqlite's."""
    if target.path is None or not target.path.exists():
        return
    if os.path.samefile(target.path, source):
        raise ConfigurationError("the source and the destination are the same file")
    if target.path.stat().st_size == 0:
        return
    tables = tables_in(target)
    if tables and "adk_sqlite_schema" not in tables:
        raise SchemaError(
            f"{target.describe()}: the destination is a database but not an adk-sqlite one;"
            " import into a new file or an existing adk-sqlite database"
        )


async def open_destination(
    destination: object, source: Path, busy_timeout: float
) -> SqliteStore | PerSessionSqliteStore | PostgresStore:
    """The store at ``destination`` (a location), for an import from ``source`` to own.

    Raises:
        ConfigurationError: ``destination`` is not a location, or is the source.
        SchemaError: A SQLite file that is not an adk-sqlite database.
    """
    if isinstance(destination, str) and destination.startswith(_POSTGRES_SCHEMES):
        from adk_sqlite.postgres import PostgresStore

        return PostgresStore(destination)
    if isinstance(destination, str | os.PathLike):
        if await asyncio.to_thread(Path(destination).is_dir):
            return SqliteStore.per_session_files(destination, busy_timeout=busy_timeout)
        target = parse_database(destination)
        if target.path is None:
            raise ConfigurationError("the import destination must be a file")
        # A database of another program is refused, as the session import refuses it.
        await asyncio.to_thread(check_destination, target, source)
        return SqliteStore(destination, busy_timeout=busy_timeout)
    raise ConfigurationError(
        f"destination={destination!r}: expected a store, a SQLite file, a folder of"
        " per-session files or a postgresql:// URL"
    )


def describe_store(store: object) -> str:
    """Where a store keeps its data: its database, its folder, or its repr."""
    where = getattr(store, "database", None)
    if isinstance(where, str):
        return where
    folder = getattr(store, "folder", None)
    return str(folder) if folder is not None else repr(store)
