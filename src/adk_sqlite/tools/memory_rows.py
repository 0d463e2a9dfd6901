"""The memory tables of one open database file, over plain SQL: which, rows, counts.

`adk_sqlite.MemoryService` keeps one row per memory in a table named by the store's
``memory_table`` option (``adk_memories`` by default), beside ``{table}_fts`` (its
full-text index), ``{table}_sessions`` (how much of each session is indexed) and, once
an embedding is stored, ``{table}_vectors`` (``row_id`` -> a float32 vector). A table is
a memories table when its columns are exactly the ones the store creates (derived from
the store's own DDL, so they follow the schema) and its index exists.

These are plain functions of a `sqlite3.Connection` the caller opened (read-only,
inside one read transaction when several statements must agree), used by
`adk_sqlite.tools.memories`, ``database_stats``, ``backup_database`` and the export.
Table names are the validated ones `memory_tables_in` returns; every value read from a
file is bound as a parameter, never put into SQL.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from typing import Any

import msgspec

from adk_sqlite.errors import ConfigurationError
from adk_sqlite.identifiers import validate_identifier
from adk_sqlite.memory_records import MemoryWatermark, StoredMemory, memory_record
from adk_sqlite.sqlite.schema.memory_sql import render_memory_statements
from adk_sqlite.storage.store_statements import quoted
from adk_sqlite.tools.row_filter import RowFilter
from adk_sqlite.tools.table_choice import TableChooser

__all__ = [
    "MemoryRow",
    "MemoryTotals",
    "choose_memory_table",
    "count_memories",
    "memory_columns",
    "memory_records",
    "memory_tables_in",
    "memory_totals_in",
    "memory_watermarks",
    "vectors_table_of",
]

_SELECT_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
_SELECT_COLUMNS = "SELECT name FROM pragma_table_info(?)"
_TABLE_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
_SCOPE = (
    "(?1 IS NULL OR m.app_name = ?1) AND (?2 IS NULL OR m.user_id = ?2)"
    " AND (?3 IS NULL OR m.session_id = ?3)"
)
# Templates: {memories} and {vectors} are quoted, validated names; {vector} is
# ``v.vector`` with the vectors table joined, else NULL.
_SELECT_RECORDS = (
    "SELECT m.row_id, m.app_name, m.user_id, m.session_id, m.event_id, m.author, m.timestamp,"
    " m.content, m.search_text, m.custom_metadata, {vector}"
    " FROM {memories} AS m {join} WHERE " + _SCOPE + " ORDER BY {order} LIMIT ?4"
)
_JOIN_VECTORS = "LEFT JOIN {vectors} AS v ON v.row_id = m.row_id"
_NEWEST_FIRST = "m.timestamp DESC, m.row_id DESC"
_KEY_ORDER = "m.app_name, m.user_id, m.session_id, m.event_id"
_COUNT = "SELECT count(*) FROM {memories} AS m WHERE " + _SCOPE
_COUNT_PER_USER = (
    "SELECT app_name, user_id, count(*) FROM {memories} GROUP BY app_name, user_id"
    " ORDER BY app_name, user_id"
)
_SELECT_WATERMARKS = (
    "SELECT app_name, user_id, session_id, indexed_events, last_event_id FROM {sessions}"
    " WHERE (?1 IS NULL OR app_name = ?1) ORDER BY app_name, user_id, session_id"
)


@functools.cache
def memory_columns() -> tuple[str, ...]:
    """The columns of a memories table, from the store's own DDL run in memory."""
    statements = render_memory_statements("adk_memories")
    connection = sqlite3.connect(":memory:")
    try:
        for statement in statements.create:
            connection.execute(statement)
        return tuple(row[0] for row in connection.execute(_SELECT_COLUMNS, (statements.table,)))
    finally:
        connection.close()


def memory_tables_in(connection: sqlite3.Connection) -> list[str]:
    """The file's memories tables (`adk_sqlite.MemoryService`), by name, sorted."""
    tables = [row[0] for row in connection.execute(_SELECT_TABLES)]
    present = set(tables)
    found = []
    for name in tables:
        if f"{name}_fts" not in present:
            continue
        columns = tuple(row[0] for row in connection.execute(_SELECT_COLUMNS, (name,)))
        if columns == memory_columns():
            found.append(validate_identifier(name, option="memories table"))
    return found


# choose_memory_table(connection, wanted, where, option=...): ``wanted`` if the file
# holds that memories table, else the only one, else None (no memory was ever stored
# in the file); see `TableChooser.__call__`.
choose_memory_table = TableChooser(
    tables_in=memory_tables_in,
    one="a memories table",
    several="memories tables",
    option="--memory-table NAME (memory_table= in Python)",
)


def vectors_table_of(connection: sqlite3.Connection, table: str) -> str | None:
    """The vectors table of memories table ``table``, when an embedding made it."""
    name = f"{table}_vectors"
    return name if connection.execute(_TABLE_EXISTS, (name,)).fetchone() else None


class MemoryRow(msgspec.Struct, frozen=True, kw_only=True):
    """One stored memory: its scope and its record (``vector`` included when stored)."""

    app_name: str
    user_id: str
    memory: StoredMemory


def memory_records(
    connection: sqlite3.Connection,
    table: str,
    *,
    app_name: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> Iterator[MemoryRow]:
    """The memories of ``table`` in a scope: newest first, or by key (app, user, session,
    event). Each memory's vector, when the vectors table holds one, is its
    `MemoryRecord.vector`."""
    vectors = vectors_table_of(connection, table)
    sql = _SELECT_RECORDS.format(
        memories=quoted(table),
        vector="NULL" if vectors is None else "v.vector",
        join="" if vectors is None else _JOIN_VECTORS.format(vectors=quoted(vectors)),
        order=_NEWEST_FIRST if newest_first else _KEY_ORDER,
    )
    scope = (app_name, user_id, session_id, -1 if limit is None else limit)
    for row in connection.execute(sql, scope):
        yield _row(row)


def _row(row: tuple[Any, ...]) -> MemoryRow:
    # The columns of _SELECT_RECORDS: the row id, the scope, the record's, the vector.
    row_id, app_name, user_id, *columns, vector = row
    record = memory_record(columns, None if vector is None else bytes(vector))
    memory = StoredMemory(id=str(row_id), record=record)
    return MemoryRow(app_name=app_name, user_id=user_id, memory=memory)


def count_memories(connection: sqlite3.Connection, table: str, rows: RowFilter) -> int:
    """How many memories of ``table`` are in ``rows``."""
    sql = _COUNT.format(memories=quoted(table))
    (count,) = connection.execute(sql, rows).fetchone()
    return int(count)


def memory_watermarks(
    connection: sqlite3.Connection, table: str, app_name: str | None = None
) -> dict[tuple[str, str, str], MemoryWatermark]:
    """How much of each session the memories table has indexed, by (app, user, session)."""
    sessions = f"{table}_sessions"
    if connection.execute(_TABLE_EXISTS, (sessions,)).fetchone() is None:
        return {}
    sql = _SELECT_WATERMARKS.format(sessions=quoted(sessions))
    return {
        (app, user, session): MemoryWatermark(events, last)
        for app, user, session, events, last in connection.execute(sql, (app_name,))
    }


class MemoryTotals(msgspec.Struct, kw_only=True):
    """Memories in every memories table of a file, in all and per (app, user)."""

    total: int = 0
    per_user: dict[tuple[str, str], int] = msgspec.field(default_factory=dict)


def memory_totals_in(connection: sqlite3.Connection) -> MemoryTotals:
    """Counts the memories of every memories table of the file (none: zeros)."""
    totals = MemoryTotals()
    for table in memory_tables_in(connection):
        for app, user, count in connection.execute(_COUNT_PER_USER.format(memories=quoted(table))):
            totals.per_user[(app, user)] = totals.per_user.get((app, user), 0) + count
            totals.total += count
    return totals


def refuse_bad_limit(limit: object) -> None:
    """A listing's limit is None or an integer >= 0."""
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise ConfigurationError(f"limit={limit!r}: expected an integer >= 0, or None")
