"""Opening an adk-sqlite database file with a connection of one's own.

The inspection, maintenance and query functions work on a file that agents may
be using at the same moment, so they never go through a store's connections:
each opens its own plain `sqlite3` connection here, read-only unless it has to
write (prune, vacuum), and checks first that the file really holds adk-sqlite's
tables at a schema version this library understands.

They follow the store's configuration: `open_session_database` finds the
file's table set (`adk_sqlite.sqlite.table_sets`: the table names the store
recorded, and its owner column) and hands it to the tool as
`SessionDatabase.tables`, whose ``render`` fills the tool's SQL templates.

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
)
from adk_sqlite.sqlite.engine.connection import DatabaseTarget, parse_database, sqlite_errors
from adk_sqlite.sqlite.table_sets import (
    DEFAULT_TABLE_NAMES,
    TableSet,
    choose_table_set,
    table_sets_in,
)

__all__ = [
    "APP_STATES_TABLE",
    "EVENTS_TABLE",
    "SESSIONS_TABLE",
    "USER_STATES_TABLE",
    "SessionDatabase",
    "TableSet",
    "check_session_tables",
    "connect_for_writing",
    "connect_read_only",
    "open_session_database",
    "read_snapshot",
    "resolve_file",
    "rows_in_seq_batches",
    "sqlite_errors",
    "write_transaction",
]

# The default table names (the tools find a file's own names in the file).
SESSIONS_TABLE = DEFAULT_TABLE_NAMES.sessions
EVENTS_TABLE = DEFAULT_TABLE_NAMES.events
APP_STATES_TABLE = DEFAULT_TABLE_NAMES.app_states
USER_STATES_TABLE = DEFAULT_TABLE_NAMES.user_states


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


@dataclass(frozen=True, slots=True)
class SessionDatabase:
    """An open adk-sqlite database file.

    Attributes:
        path: The database file.
        target: How it was addressed (path or URL), for error messages.
        connection: A plain `sqlite3` connection in autocommit mode
            (``isolation_level=None``): callers issue ``BEGIN`` themselves.
        schema_version: The version recorded for its table set.
        tables: The table set the tool works on: its names and owner column.
    """

    path: Path
    target: DatabaseTarget
    connection: sqlite3.Connection
    schema_version: int
    tables: TableSet


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
        return _configured(connection, busy_timeout, "PRAGMA query_only = ON")


def connect_for_writing(target: DatabaseTarget, *, busy_timeout: float) -> sqlite3.Connection:
    """Opens ``target`` for maintenance writes, with foreign keys (cascades) on.

    A ``?mode=ro`` URL stays read-only, so a write raises `ReadOnlyDatabaseError`.
    """
    with sqlite_errors(target):
        connection = sqlite3.connect(
            target.connect_to, uri=target.uri, isolation_level=None, check_same_thread=False
        )
        return _configured(connection, busy_timeout, "PRAGMA foreign_keys = ON")


def _configured(
    connection: sqlite3.Connection, busy_timeout: float, pragma: str
) -> sqlite3.Connection:
    """``connection`` with its busy timeout and ``pragma`` set; closed if that fails."""
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        connection.execute(pragma)
    except BaseException:
        connection.close()
        raise
    return connection


def check_session_tables(
    connection: sqlite3.Connection,
    target: DatabaseTarget,
    table_set: str | None = None,
    *,
    any_table_set: bool = False,
) -> TableSet:
    """The file's table set (``table_set``, else its only one), or why there is none.

    With ``any_table_set``, a file of several table sets is accepted without a
    choice (the default set, else the first by name): for work that does not
    read a set's tables (a query, ``VACUUM``).

    Raises:
        DatabaseUnavailableError: The file is not a SQLite database.
        SchemaError: It is a SQLite database without adk-sqlite's tables, or
            with several table sets and none chosen.
        SchemaVersionError: Its tables were written by a newer adk-sqlite.
    """
    if any_table_set and table_set is None:
        names = sorted(found.name for found in table_sets_in(connection, target))
        if len(names) > 1:
            table_set = SESSIONS_TABLE if SESSIONS_TABLE in names else names[0]
    return choose_table_set(connection, target, table_set)


@contextlib.contextmanager
def open_session_database(
    database: str | os.PathLike[str],
    *,
    write: bool = False,
    busy_timeout: float = 5.0,
    table_set: str | None = None,
    any_table_set: bool = False,
) -> Iterator[SessionDatabase]:
    """Opens an existing adk-sqlite database file and closes it afterwards.

    Args:
        database: A path, or a ``sqlite:///`` URL (a ``?mode=ro`` query is honoured).
        write: Open for maintenance writes; otherwise the connection is read-only.
        busy_timeout: Seconds to wait for another connection's lock.
        table_set: The sessions table of the table set to work on, for a file
            that holds several; None for the only one.
        any_table_set: See `check_session_tables`.

    Raises:
        ConfigurationError: ``":memory:"`` or an unsupported URL.
        DatabaseUnavailableError: Missing file, or not a SQLite database.
        DatabaseLockedError: Locked beyond ``busy_timeout``.
        SchemaError: Not an adk-sqlite database, or no such table set.
        SchemaVersionError: Written by a newer adk-sqlite.
    """
    target = resolve_file(database)
    if write:
        connection = connect_for_writing(target, busy_timeout=busy_timeout)
    else:
        connection = connect_read_only(target, busy_timeout=busy_timeout)
    try:
        tables = check_session_tables(connection, target, table_set, any_table_set=any_table_set)
        assert target.path is not None
        yield SessionDatabase(
            path=target.path,
            target=target,
            connection=connection,
            schema_version=tables.schema_version,
            tables=tables,
        )
    finally:
        connection.close()


@contextlib.contextmanager
def read_snapshot(
    database: str | os.PathLike[str], *, busy_timeout: float = 5.0, table_set: str | None = None
) -> Iterator[SessionDatabase]:
    """Opens the file read-only, inside one read transaction, and closes it afterwards.

    Every query in the block sees the same committed state, even while agents
    write (WAL), and driver errors in the block are mapped by `sqlite_errors`.

    Args:
        database: A path, or a ``sqlite:///`` URL.
        busy_timeout: Seconds to wait for another connection's lock.
        table_set: As for `open_session_database`.

    Raises:
        The errors of `open_session_database`, and those `sqlite_errors` maps.
    """
    with (
        open_session_database(database, busy_timeout=busy_timeout, table_set=table_set) as db,
        sqlite_errors(db.target),
    ):
        db.connection.execute("BEGIN")
        try:
            yield db
        finally:
            db.connection.execute("COMMIT")


@contextlib.contextmanager
def write_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """One ``BEGIN IMMEDIATE`` transaction around the block: committed, or rolled back.

    ``IMMEDIATE`` takes the write lock at once, so what the block reads stays
    true until it commits (and agents wait at most ``busy_timeout`` for it).
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
