"""Upkeep of a session database: a consistent backup, and a health check.

Both functions use a read-only connection of their own, so they are safe while
agents keep writing to the file. They are synchronous; from async code, call
them through `asyncio.to_thread`::

    from adk_sqlite import backup_database, check_database

    report = backup_database("sessions.db", "backups/sessions-2026-03-01.db")
    health = check_database("sessions.db")
    if not health.ok:
        print(health.integrity, health.foreign_key_problems, health.damaged_events)

Events listed in ``damaged_events`` are moved aside by `adk_sqlite.repair_database`
(``adk-sqlite check DB --repair``).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import msgspec

from adk_sqlite.errors import ConfigurationError
from adk_sqlite.sqlite.database_file import (
    TableSet,
    check_session_tables,
    open_session_database,
    rows_in_seq_batches,
    sqlite_errors,
)
from adk_sqlite.sqlite.engine.connection import parse_database
from adk_sqlite.sqlite.schema.sql import SCHEMA_VERSION
from adk_sqlite.tools.artifact_rows import ArtifactProblem, artifact_problems_in
from adk_sqlite.tools.damaged_events import DamagedEvent, EventRowProblem, damaged_events_in
from adk_sqlite.tools.memory_rows import memory_totals_in
from adk_sqlite.tools.sqlite_backup import (
    check_integrity,
    copy_pages,
    copy_plain_sqlite,
    holds_store_tables,
    new_partial_file,
    remove_with_sidecars,
)

__all__ = [
    "ArtifactProblem",
    "BackupReport",
    "CheckReport",
    "DamagedEvent",
    "ForeignKeyProblem",
    "InvalidJson",
    "ProgressCallback",
    "UnsafeActions",
    "backup_database",
    "check_database",
]

ProgressCallback = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while long work advances."""

# Templates: each call fills in the file's table names (`TableSet.render`).
COUNT_SESSIONS = 'SELECT count(*) FROM "{sessions}"'
COUNT_EVENTS = 'SELECT count(*) FROM "{events}"'
COUNT_EVENTS_WITH_ACTIONS = 'SELECT count(*) FROM "{events}" WHERE actions IS NOT NULL'
# The columns before the blob are `_EVENT_ROW_FIELDS`, in that order.
SELECT_ACTIONS_AFTER = """
SELECT seq, app_name, user_id, session_id, id, actions FROM "{events}"
WHERE actions IS NOT NULL AND seq > ? ORDER BY seq LIMIT ?"""
# Every JSON column, with the key that identifies its row: (table, key, columns).
_JSON_CHECKS = (
    ("sessions", "app_name || '/' || user_id || '/' || id", ("state",)),
    ("app_states", "app_name", ("state",)),
    ("user_states", "app_name || '/' || user_id", ("state",)),
    (
        "events",
        "app_name || '/' || user_id || '/' || session_id || '/' || id",
        (
            "content",
            "grounding_metadata",
            "custom_metadata",
            "usage_metadata",
            "citation_metadata",
            "input_transcription",
            "output_transcription",
            "long_running_tool_ids_json",
            "extra",
        ),
    ),
)
SELECT_INVALID_JSON = (
    'SELECT {key} FROM "{table}" WHERE {column} IS NOT NULL AND NOT json_valid({column})'
)
_ACTIONS_BATCH = 2000


class BackupReport(msgspec.Struct, kw_only=True):
    """What `backup_database` wrote.

    Attributes:
        integrity: ``PRAGMA integrity_check`` on the copy (always ``["ok"]``:
            a copy that fails the check is deleted and an error raised).
        sessions: Sessions in the copy.
        events: Events in the copy.
        memories: Memories (`adk_sqlite.MemoryService`) in the copy, in every
            memories table (their full-text index is copied with them).
        kind: ``"adk-sqlite"`` for a file of adk-sqlite's stores (sessions,
            events and memories counted in the copy); ``"sqlite"`` for any
            other SQLite file, copied as a plain SQLite database (ADK's own
            session database, for one), with ``sessions`` and ``events`` 0.
        tables: For ``"sqlite"``: the copy's tables, by name.
    """

    source: str
    destination: str
    bytes: int
    pages: int
    integrity: list[str]
    sessions: int
    events: int
    seconds: float
    memories: int = 0
    kind: Literal["adk-sqlite", "sqlite"] = "adk-sqlite"
    tables: list[str] = msgspec.field(default_factory=list)


def backup_database(
    database: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    progress: ProgressCallback | None = None,
    busy_timeout: float = 5.0,
    pages_per_step: int = 1024,
    table_set: str | None = None,
) -> BackupReport:
    """Copies a live database with SQLite's online backup API, then verifies the copy.

    Any SQLite file can be backed up: one that holds no adk-sqlite store
    (ADK's own ``DatabaseSessionService`` or ``SqliteSessionService`` file,
    for one) is copied as a plain SQLite database (``kind="sqlite"``).

    The copy is one consistent snapshot even while agents keep writing: the
    source stays inside one read transaction for the whole copy (in WAL mode
    that never blocks a writer). The copy is written to a temporary file
    (mode 0600) beside ``destination``, checked with ``PRAGMA
    integrity_check``, and only then renamed to ``destination``.

    Args:
        database: The database to copy (a path or ``sqlite:///`` URL).
        destination: The new file; it must not exist yet.
        progress: Called with (pages copied, pages in total) after each step.
        busy_timeout: Seconds to wait for a lock.
        pages_per_step: Pages copied per backup step (between progress calls).
        table_set: For a file of several stores' tables, the sessions table of
            the one whose sessions and events the report counts (the whole
            file is copied either way).

    Raises:
        ConfigurationError: ``destination`` exists or is the source itself.
        DatabaseUnavailableError: The source is missing or not a database, or
            ``destination``'s folder does not exist.
        SchemaError: An adk-sqlite database with a newer schema, or several
            table sets and ``table_set`` naming none of them.
        DatabaseError: The copy failed its integrity check (it was removed).
    """
    started = time.monotonic()
    target = parse_database(destination)
    if target.path is None:
        raise ConfigurationError("the backup destination must be a file")
    dest = target.path
    if table_set is None and not holds_store_tables(database, busy_timeout=busy_timeout):
        plain = copy_plain_sqlite(
            database,
            dest,
            progress=progress,
            busy_timeout=busy_timeout,
            pages_per_step=pages_per_step,
        )
        return BackupReport(
            source=plain.source,
            destination=str(dest),
            bytes=dest.stat().st_size,
            pages=plain.pages,
            integrity=plain.integrity,
            sessions=0,
            events=0,
            seconds=time.monotonic() - started,
            kind="sqlite",
            tables=plain.tables,
        )
    with open_session_database(database, busy_timeout=busy_timeout, table_set=table_set) as db:
        partial = new_partial_file(dest)
        try:
            pages = copy_pages(db.connection, partial, progress, pages_per_step)
            integrity, sessions, events, memories = _verify_copy(partial, db.tables.name)
            os.replace(partial, dest)
        except BaseException:
            remove_with_sidecars(partial)
            raise
        source = str(db.path)
    return BackupReport(
        source=source,
        destination=str(dest),
        bytes=dest.stat().st_size,
        pages=pages,
        integrity=integrity,
        sessions=sessions,
        events=events,
        seconds=time.monotonic() - started,
        memories=memories,
    )


def _verify_copy(partial: Path, table_set: str) -> tuple[list[str], int, int, int]:
    copy = sqlite3.connect(partial, isolation_level=None)
    try:
        target = parse_database(partial)
        with sqlite_errors(target):
            integrity = check_integrity(copy)
            tables = check_session_tables(copy, target, table_set)
            (sessions,) = copy.execute(tables.render(COUNT_SESSIONS)).fetchone()
            (events,) = copy.execute(tables.render(COUNT_EVENTS)).fetchone()
            memories = memory_totals_in(copy).total
    finally:
        copy.close()
    return integrity, sessions, events, memories


class ForeignKeyProblem(msgspec.Struct, kw_only=True):
    """A row whose parent row is missing (``PRAGMA foreign_key_check``)."""

    table: str
    rowid: int | None
    parent: str


class UnsafeActions(EventRowProblem, kw_only=True):
    """An event whose actions blob the restricted unpickler refused (nothing in it ran)."""


# Where an event row is: every field of a problem but its reason, in field order.
_EVENT_ROW_FIELDS = tuple(name for name in UnsafeActions.__struct_fields__ if name != "reason")


class InvalidJson(msgspec.Struct, kw_only=True):
    """A JSON column holding text that is not valid JSON.

    Attributes:
        key: The row, as ``app/user/session[/event]`` (or ``app`` for app state).
    """

    table: str
    column: str
    key: str


class CheckReport(msgspec.Struct, kw_only=True):
    """The health of a database; ``ok`` is True when nothing below is wrong.

    Attributes:
        integrity: ``PRAGMA integrity_check`` output: ``["ok"]`` when healthy.
        schema_version: The version recorded for the tables.
        library_schema_version: The newest version this adk-sqlite knows.
        foreign_key_problems: Rows whose parent row is missing.
        unsafe_actions: Events whose actions cannot be loaded safely.
        invalid_json: JSON columns holding invalid JSON.
        damaged_events: Events ``get_session`` cannot decode (each also makes
            its session unreadable unless the service skips damaged events);
            this includes the events of ``unsafe_actions`` and of the events
            table's ``invalid_json``.
        events_checked: Events whose actions blob was loaded.
        events_decoded: Events decoded as ``get_session`` decodes them.
        artifact_problems: Artifact versions of the file's artifacts tables that
            are not what the artifact service writes.
        artifacts_checked: Artifact versions checked.
    """

    ok: bool
    path: str
    integrity: list[str]
    schema_version: int
    library_schema_version: int
    foreign_key_problems: list[ForeignKeyProblem]
    unsafe_actions: list[UnsafeActions]
    invalid_json: list[InvalidJson]
    events_checked: int
    damaged_events: list[DamagedEvent] = msgspec.field(default_factory=list)
    events_decoded: int = 0
    artifact_problems: list[ArtifactProblem] = msgspec.field(default_factory=list)
    artifacts_checked: int = 0


def check_database(
    database: str | os.PathLike[str],
    *,
    progress: ProgressCallback | None = None,
    busy_timeout: float = 5.0,
    table_set: str | None = None,
) -> CheckReport:
    """Checks a database's integrity, foreign keys, schema version and stored payloads.

    Every actions blob is loaded with the restricted unpickler (which never
    runs anything it refuses), every JSON column is validated, every event
    row is decoded as ``get_session`` decodes it, and every artifacts table is
    checked (sizes against the stored bytes, JSON, one row per version).

    Args:
        database: The database file (or a ``sqlite:///`` URL).
        progress: Called with (steps done, steps in total): one step per
            actions blob loaded and one per event decoded.
        busy_timeout: Seconds to wait for a lock.
        table_set: For a file of several stores' tables, the sessions table of
            the one whose payloads are checked (integrity and foreign keys are
            the whole file's).

    Raises:
        DatabaseUnavailableError: The file is missing or not a database.
        SchemaError: It is not an adk-sqlite database.
        SchemaVersionError: It was written by a newer adk-sqlite.
    """
    with (
        open_session_database(database, busy_timeout=busy_timeout, table_set=table_set) as db,
        sqlite_errors(db.target),
    ):
        connection, tables = db.connection, db.tables
        integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        foreign_keys = [
            ForeignKeyProblem(table=row[0], rowid=row[1], parent=row[2])
            for row in connection.execute("PRAGMA foreign_key_check")
        ]
        invalid_json = _invalid_json(connection, tables)
        (events,) = connection.execute(tables.render(COUNT_EVENTS)).fetchone()
        unsafe, checked = _unsafe_actions(connection, tables, _shifted(progress, 0, events))
        damaged, decoded = damaged_events_in(
            connection, _shifted(progress, checked, checked), tables=tables
        )
        artifact_problems, artifacts_checked = artifact_problems_in(connection)
        path, version = str(db.path), db.schema_version
    return CheckReport(
        ok=integrity == ["ok"]
        and not foreign_keys
        and not unsafe
        and not invalid_json
        and not damaged
        and not artifact_problems,
        path=path,
        integrity=integrity,
        schema_version=version,
        library_schema_version=SCHEMA_VERSION,
        foreign_key_problems=foreign_keys,
        unsafe_actions=unsafe,
        invalid_json=invalid_json,
        events_checked=checked,
        damaged_events=damaged,
        events_decoded=decoded,
        artifact_problems=artifact_problems,
        artifacts_checked=artifacts_checked,
    )


def _shifted(progress: ProgressCallback | None, done: int, total: int) -> ProgressCallback | None:
    """``progress`` for one of several passes: ``done`` and ``total`` added to its counts."""
    if progress is None:
        return None
    report = progress
    return lambda step, steps: report(done + step, total + steps)


def _invalid_json(connection: sqlite3.Connection, tables: TableSet) -> list[InvalidJson]:
    found = []
    names = tables.names
    for role, key, columns in _JSON_CHECKS:
        table = getattr(names, role)
        for column in columns:
            # Keys and columns are this module's constants; the table name was validated.
            sql = SELECT_INVALID_JSON.format(key=key, table=table, column=column)
            found += [
                InvalidJson(table=table, column=column, key=row[0])
                for row in connection.execute(sql)
            ]
    return found


def _unsafe_actions(
    connection: sqlite3.Connection, tables: TableSet, progress: ProgressCallback | None
) -> tuple[list[UnsafeActions], int]:
    # Imports ADK's event models, which backup_database, in this module too, does not need.
    from adk_sqlite.codec.actions_pickle import UnsafePickleError, loads_actions

    (total,) = connection.execute(tables.render(COUNT_EVENTS_WITH_ACTIONS)).fetchone()
    unsafe: list[UnsafeActions] = []
    checked = 0
    select_after = tables.render(SELECT_ACTIONS_AFTER)
    for rows in rows_in_seq_batches(connection, select_after, _ACTIONS_BATCH):
        for *event_row, blob in rows:
            try:
                loads_actions(blob)
            except UnsafePickleError as exc:
                where = dict(zip(_EVENT_ROW_FIELDS, event_row, strict=True))
                unsafe.append(UnsafeActions(**where, reason=str(exc)))
            checked += 1
        if progress is not None:
            progress(checked, max(total, checked))
    return unsafe, checked
