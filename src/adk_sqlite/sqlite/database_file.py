"""Opening an adk-sqlite database file with a connection of one's own.

The inspection, maintenance and query functions work on a file that agents may
be using at the same moment, so they never go through a store's connections:
each opens its own plain `sqlite3` connection here, read-only unless it has to
write (prune, vacuum), and checks first that the file really holds adk-sqlite's
tables at a schema version this library understands.

Driver errors are mapped by the SQLite backend's one translator
(`adk_sqlite.sqlite.engine.connection.sqlite_errors`), so a missing, locked,
read-only or foreign file raises the same errors a `SqliteStore` would.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from adk_sqlite.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    SchemaError,
    SchemaVersionError,
)
from adk_sqlite.sqlite.engine.connection import DatabaseTarget, parse_database, sqlite_errors
from adk_sqlite.sqlite.schema.sql import SCHEMA_TABLE, SCHEMA_VERSION

__all__ = [
    "APP_STATES_TABLE",
    "EVENTS_TABLE",
    "SESSIONS_TABLE",
    "USER_STATES_TABLE",
    "SessionDatabase",
    "check_session_tables",
    "connect_for_writing",
    "connect_read_only",
    "open_session_database",
    "resolve_file",
    "rows_in_seq_batches",
    "sqlite_errors",
]

# The tools work on the default table names; a database whose tables were
# renamed is reported as "not an adk-sqlite database" with the names found.
SESSIONS_TABLE = "adk_sessions"
EVENTS_TABLE = "adk_events"
APP_STATES_TABLE = "adk_app_states"
USER_STATES_TABLE = "adk_user_states"
_TABLES = (SESSIONS_TABLE, EVENTS_TABLE, APP_STATES_TABLE, USER_STATES_TABLE)


def rows_in_seq_batches(
    connection: sqlite3.Connection, sql: str, batch: int
) -> Iterator[list[tuple[Any, ...]]]:
    """Yields the rows of ``sql`` batch after batch, keyed on the events' ``seq``.

    ``sql`` takes (last seq seen, batch size) and selects ``seq`` first, in
    order (``... WHERE seq > ? ORDER BY seq LIMIT ?``), so memory stays flat
    and no row is read twice on a large file.
    """
    last_seq = -1
    while rows := connection.execute(sql, (last_seq, batch)).fetchall():
        yield rows
        last_seq = rows[-1][0]


_SELECT_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"
_SELECT_VERSION = f"SELECT max(version) FROM {SCHEMA_TABLE} WHERE table_set = ?"
_SELECT_TABLE_SETS = f"SELECT DISTINCT table_set FROM {SCHEMA_TABLE} ORDER BY table_set"
_SELECT_EVENTS_COLUMNS = "SELECT name FROM pragma_table_info('events')"


@dataclass(frozen=True, slots=True)
class SessionDatabase:
    """An open adk-sqlite database file.

    Attributes:
        path: The database file.
        target: How it was addressed (path or URL), for error messages.
        connection: A plain `sqlite3` connection in autocommit mode
            (``isolation_level=None``): callers issue ``BEGIN`` themselves.
        schema_version: The version recorded for the default table set.
    """

    path: Path
    target: DatabaseTarget
    connection: sqlite3.Connection
    schema_version: int


def resolve_file(database: str | os.PathLike[str]) -> DatabaseTarget:
    """Parses a path or ``sqlite:///`` URL and checks that the file exists.

    Raises:
        ConfigurationError: ``":memory:"``, or an unsupported URL.
        DatabaseUnavailableError: The file does not exist or is a directory.
    """
    target = parse_database(database)
    if target.path is None:
        raise ConfigurationError("this needs a database file, not an in-memory database")
    if not target.path.exists():
        raise DatabaseUnavailableError(f"{target.path}: no such file")
    if target.path.is_dir():
        raise DatabaseUnavailableError(f"{target.path}: is a directory, not a database file")
    return target


def connect_read_only(target: DatabaseTarget, *, busy_timeout: float) -> sqlite3.Connection:
    """Opens ``target`` with ``mode=ro`` and ``query_only``: it cannot write.

    In WAL mode a read-only connection still sees every committed write, and
    never blocks the agents writing to the file.
    """
    assert target.path is not None
    uri = f"file:{quote(str(target.path))}?mode=ro"
    with sqlite_errors(target):
        connection = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            connection.execute("PRAGMA query_only = ON")
        except BaseException:
            connection.close()
            raise
    return connection


def connect_for_writing(target: DatabaseTarget, *, busy_timeout: float) -> sqlite3.Connection:
    """Opens ``target`` for maintenance writes, with foreign keys (cascades) on.

    A ``?mode=ro`` URL stays read-only, so a write raises `ReadOnlyDatabaseError`.
    """
    with sqlite_errors(target):
        connection = sqlite3.connect(
            target.connect_to, uri=target.uri, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            connection.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            connection.close()
            raise
    return connection


def check_session_tables(connection: sqlite3.Connection, target: DatabaseTarget) -> int:
    """Returns the schema version of the default table set, or explains why there is none.

    Raises:
        DatabaseUnavailableError: The file is not a SQLite database.
        SchemaError: It is a SQLite database without adk-sqlite's tables.
        SchemaVersionError: Its tables were written by a newer adk-sqlite.
    """
    where = target.describe()
    with sqlite_errors(target):
        tables = {row[0] for row in connection.execute(_SELECT_TABLES)}
        if SCHEMA_TABLE not in tables:
            raise SchemaError(f"{where}: not an adk-sqlite database{_foreign_hint(connection)}")
        row = connection.execute(_SELECT_VERSION, (SESSIONS_TABLE,)).fetchone()
        if row is None or row[0] is None:
            table_sets = [name for (name,) in connection.execute(_SELECT_TABLE_SETS)]
            raise SchemaError(
                f"{where}: has no adk-sqlite tables named {SESSIONS_TABLE!r} (table sets"
                f" found: {', '.join(table_sets) or 'none'}); the command-line tools work on"
                " the default table names"
            )
    version = int(row[0])
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{where}: its tables are at schema version {version}, newer than this"
            f" adk-sqlite understands ({SCHEMA_VERSION}); upgrade adk-sqlite"
        )
    missing = [name for name in _TABLES if name not in tables]
    if missing:
        raise SchemaError(f"{where}: adk-sqlite tables are missing: {', '.join(missing)}")
    return version


def _foreign_hint(connection: sqlite3.Connection) -> str:
    """Says what the file seems to be when it is an ADK session database."""
    columns = {row[0] for row in connection.execute(_SELECT_EVENTS_COLUMNS)}
    if "event_data" in columns:
        return (
            " (it looks like a database of ADK's own SqliteSessionService or"
            " DatabaseSessionService: bring its sessions over with `adk-sqlite import`)"
        )
    return " (it has no adk_sqlite_schema table)"


@contextlib.contextmanager
def open_session_database(
    database: str | os.PathLike[str], *, write: bool = False, busy_timeout: float = 5.0
) -> Iterator[SessionDatabase]:
    """Opens an existing adk-sqlite database file and closes it afterwards.

    Args:
        database: A path, or a ``sqlite:///`` URL (a ``?mode=ro`` query is honoured).
        write: Open for maintenance writes; otherwise the connection is read-only.
        busy_timeout: Seconds to wait for another connection's lock.

    Raises:
        ConfigurationError: ``":memory:"`` or an unsupported URL.
        DatabaseUnavailableError: Missing file, or not a SQLite database.
        DatabaseLockedError: Locked beyond ``busy_timeout``.
        SchemaError: Not an adk-sqlite database.
        SchemaVersionError: Written by a newer adk-sqlite.
    """
    target = resolve_file(database)
    if write:
        connection = connect_for_writing(target, busy_timeout=busy_timeout)
    else:
        connection = connect_read_only(target, busy_timeout=busy_timeout)
    try:
        version = check_session_tables(connection, target)
        assert target.path is not None
        yield SessionDatabase(
            path=target.path, target=target, connection=connection, schema_version=version
        )
    finally:
        connection.close()
