"""Events that cannot be decoded: finding them in a database file, and moving them aside.

A row of the events table that the event codec refuses (invalid JSON left by a
damaged file or a buggy older version, an actions pickle the restricted
unpickler refuses, JSON that parses but does not validate) makes
``SessionService.get_session`` raise `CorruptRecordError` for its whole
session. `damaged_events_in` decodes every row exactly as ``get_session`` does
and lists the ones that fail; `set_aside_damaged_events` moves them, in one
write transaction, into ``adk_damaged_events`` (``<events table>_damaged``
when the store renamed its tables: `adk_sqlite.sqlite.table_sets.TableSet.damaged_events`).

That table keeps every column of the events table under the same name, declared
without a type so that SQLite applies no conversion: each value keeps its exact
bytes. Two more columns say when (``moved_at``, a Julian day) and why
(``reason``). Nothing references it, so deleting a session (or pruning it)
leaves its damaged events there. To put one back after fixing it by hand::

    INSERT INTO adk_events (seq, session_key, timestamp, id, ...)
        SELECT seq, session_key, timestamp, id, ... FROM adk_damaged_events
        WHERE damaged_key = ?;
    DELETE FROM adk_damaged_events WHERE damaged_key = ?;
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from adk_sqlite.errors import CorruptRecordError, SchemaError
from adk_sqlite.records import EventRecord
from adk_sqlite.sqlite.database_file import (
    TableSet,
    open_session_database,
    rows_in_seq_batches,
    sqlite_errors,
    write_transaction,
)
from adk_sqlite.sqlite.engine.connection import DatabaseTarget
from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.storage.session_tables import ADDED_COLUMNS

__all__ = [
    "DAMAGED_EVENTS_TABLE",
    "DamagedEvent",
    "EventRowProblem",
    "SetAsideReport",
    "damaged_events_in",
    "set_aside_damaged_events",
]

DAMAGED_EVENTS_TABLE = "adk_damaged_events"
"""Where damaged events of the default table names go."""

# The events table's columns (schema version 1): the record's fields in
# EventRecord order, then the three the store keeps for itself.
_RECORD_COLUMNS = tuple(name.strip() for name in _sql.EVENT_COLUMNS.split(","))
_STORED_COLUMNS = (*_RECORD_COLUMNS, "seq", "session_key", "timestamp")
# The view columns (schema version 5) are not moved aside: a view only tells a reader
# how to skip an event, and a damaged event is not read. A file before them has none.
_VIEW_COLUMNS = frozenset(ADDED_COLUMNS["events"])
_COLUMN_LIST = ", ".join(_STORED_COLUMNS)

# Templates: each call fills in the file's table names (`TableSet.render`).
# Columns without a declared type have no affinity: a value is stored exactly
# as it was read, a BLOB in a TEXT column or text in a REAL one included.
CREATE_DAMAGED_EVENTS = f"""
CREATE TABLE IF NOT EXISTS "{{damaged_events}}" (
    damaged_key INTEGER PRIMARY KEY,
    moved_at REAL NOT NULL,
    reason TEXT NOT NULL,
    {", ".join(_STORED_COLUMNS)}
)"""
SELECT_EVENT_COLUMN_NAMES = "SELECT name FROM pragma_table_info('{events}')"
SELECT_EVENTS_AFTER = (
    f'SELECT seq, {_sql.EVENT_COLUMNS} FROM "{{events}}" WHERE seq > ? ORDER BY seq LIMIT ?'
)
SELECT_EVENT = f'SELECT seq, {_sql.EVENT_COLUMNS} FROM "{{events}}" WHERE seq = ?'
COUNT_EVENTS = 'SELECT count(*) FROM "{events}"'
MOVE_EVENT = f"""
INSERT INTO "{{damaged_events}}" (moved_at, reason, {_COLUMN_LIST})
SELECT julianday('now'), ?, {_COLUMN_LIST} FROM "{{events}}" WHERE seq = ?"""
DELETE_EVENT = 'DELETE FROM "{events}" WHERE seq = ?'

_BATCH = 2000
_FLAGS = frozenset({"partial", "turn_complete", "interrupted"})  # stored as 0/1
# The store reads these through json_array(), which refuses a BLOB: such a row
# fails the whole session's read before any event is decoded.
_JSON_ARRAY_COLUMNS = frozenset(name.strip() for name in _sql.RARELY_SET_EVENT_COLUMNS.split(","))


class EventRowProblem(msgspec.Struct, kw_only=True):
    """An event row a check found wrong: where it is, and why.

    Attributes:
        seq: The row's key in the events table.
        reason: What is wrong with it (the codec's or the unpickler's message).
    """

    seq: int
    app_name: str
    user_id: str
    session_id: str
    event_id: str
    reason: str


class DamagedEvent(EventRowProblem, kw_only=True):
    """An event row that ``get_session`` cannot decode (``reason``: the codec's message)."""


class SetAsideReport(msgspec.Struct, kw_only=True):
    """What `set_aside_damaged_events` moved.

    Attributes:
        table: Where the rows now are.
        moved: The events moved, in ``seq`` order (empty when there were none).
    """

    path: str
    table: str
    moved: list[DamagedEvent]
    seconds: float


def damaged_events_in(
    connection: sqlite3.Connection,
    progress: Callable[[int, int], None] | None = None,
    *,
    tables: TableSet,
) -> tuple[list[DamagedEvent], int]:
    """Decodes each event row of ``tables`` as ``get_session`` would: the failures, the count.

    Rows are read in batches of ``seq``, so memory stays flat on a large file;
    ``progress`` is called with (rows decoded, rows in total) after each batch.
    """
    (total,) = connection.execute(tables.render(COUNT_EVENTS)).fetchone()
    damaged: list[DamagedEvent] = []
    decoded = 0
    select_after = tables.render(SELECT_EVENTS_AFTER)
    for rows in rows_in_seq_batches(connection, select_after, _BATCH):
        damaged += _damaged(rows)
        decoded += len(rows)
        if progress is not None:
            progress(decoded, max(total, decoded))
    return damaged, decoded


def set_aside_damaged_events(
    database: str | os.PathLike[str], *, busy_timeout: float = 5.0, table_set: str | None = None
) -> SetAsideReport:
    """Moves every event that cannot be decoded into ``adk_damaged_events``, bytes intact.

    (Into ``<events table>_damaged`` when the tables have other names; ``table_set``
    chooses the store's tables in a file that holds several.)

    The file is first scanned without holding the write lock; then, in one
    ``BEGIN IMMEDIATE`` transaction, each row found is decoded again and, if it
    still fails, copied with all its columns and deleted from the events table.
    Agents may keep running meanwhile. Running it again finds nothing to move.
    The sessions' revisions are left alone: a Session read with
    ``skip_damaged_events=True`` already lacked these events and stays current.

    Raises:
        DatabaseUnavailableError: The file is missing or not a database.
        ReadOnlyDatabaseError: The file (or a ``?mode=ro`` URL) is read-only.
        SchemaError: Not an adk-sqlite database, or its events table has
            columns this version does not know (nothing is moved then).
    """
    started = time.monotonic()
    with open_session_database(
        database, write=True, busy_timeout=busy_timeout, table_set=table_set
    ) as db:
        connection, tables = db.connection, db.tables
        with sqlite_errors(db.target):
            _require_known_columns(connection, tables, db.target)
            candidates, _ = damaged_events_in(connection, tables=tables)
            moved = _move(connection, tables, candidates) if candidates else []
        path = str(db.path)
    return SetAsideReport(
        path=path, table=tables.damaged_events, moved=moved, seconds=time.monotonic() - started
    )


def _move(
    connection: sqlite3.Connection, tables: TableSet, candidates: list[DamagedEvent]
) -> list[DamagedEvent]:
    moved: list[DamagedEvent] = []
    select_event, move_event = tables.render(SELECT_EVENT), tables.render(MOVE_EVENT)
    delete_event = tables.render(DELETE_EVENT)
    with write_transaction(connection):
        connection.execute(tables.render(CREATE_DAMAGED_EVENTS))
        for candidate in candidates:
            # Decoded again under the lock: the row may have been deleted (or
            # its session pruned) since the scan.
            rows = connection.execute(select_event, (candidate.seq,)).fetchall()
            for found in _damaged(rows):
                connection.execute(move_event, (found.reason, found.seq))
                connection.execute(delete_event, (found.seq,))
                moved.append(found)
    return moved


def _require_known_columns(
    connection: sqlite3.Connection, tables: TableSet, target: DatabaseTarget
) -> None:
    # A column added by a later schema would not be copied: refuse rather
    # than lose it.
    read = connection.execute(tables.render(SELECT_EVENT_COLUMN_NAMES))
    columns = {row[0] for row in read} - _VIEW_COLUMNS
    if columns != set(_STORED_COLUMNS):
        unknown = sorted(columns - set(_STORED_COLUMNS)) or sorted(set(_STORED_COLUMNS) - columns)
        raise SchemaError(
            f"{target.describe()}: the events table's columns differ from the ones this"
            f" adk-sqlite moves aside ({', '.join(unknown)}); nothing was moved"
        )


def _damaged(rows: Iterable[tuple[Any, ...]]) -> list[DamagedEvent]:
    found = []
    for row in rows:
        reason = _reason(row[1:])
        if reason is not None:
            found.append(
                DamagedEvent(
                    seq=row[0],
                    app_name=row[2],
                    user_id=row[3],
                    session_id=row[4],
                    event_id=row[1],
                    reason=reason,
                )
            )
    return found


def _reason(values: tuple[Any, ...]) -> str | None:
    """Why ``get_session`` cannot decode this row (values in `_RECORD_COLUMNS` order), or None."""
    # Imports ADK's event models: only when events are decoded, not with the module.
    from adk_sqlite.codec.fast import decode_event

    fields: list[Any] = []
    for name, value in zip(_RECORD_COLUMNS, values, strict=True):
        if isinstance(value, bytes) and name in _JSON_ARRAY_COLUMNS:
            return f"column {name} holds a BLOB, not text"
        fields.append(bool(value) if name in _FLAGS and value is not None else value)
    try:
        # The columns are EventRecord's fields in order (see _sql.EVENT_COLUMNS).
        decode_event(EventRecord(*fields))
    except CorruptRecordError as exc:
        return str(exc)
    return None
