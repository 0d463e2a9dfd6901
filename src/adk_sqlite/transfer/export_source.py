"""The SQLite side of `adk_sqlite.transfer.export`: one read-only snapshot, read on one thread.

The source is opened read-only (``mode=ro``) and read inside a single read
transaction, so every row the export copies, counts and checksums comes from
one consistent snapshot. In WAL mode (which every adk-sqlite database uses) a
reader never blocks the writer: an agent can keep appending while the export
runs, and what it writes is picked up by the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sqlite3
from collections.abc import AsyncGenerator, Awaitable, Callable, Container, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from adk_sqlite.closing import AsyncClosing
from adk_sqlite.codec.event_digest import SessionDigest, event_row_digest
from adk_sqlite.codec.events import unix_from_julian_day
from adk_sqlite.errors import ConfigurationError
from adk_sqlite.sqlite import SqliteStore
from adk_sqlite.sqlite.database_file import connect_read_only, resolve_file
from adk_sqlite.sqlite.engine.connection import DatabaseTarget, parse_database, sqlite_errors
from adk_sqlite.sqlite.per_session.store import PerSessionSqliteStore
from adk_sqlite.sqlite.schema import sql as sqlite_sql
from adk_sqlite.sqlite.schema.per_session_sql import CATALOG_FILE
from adk_sqlite.sqlite.schema.statements import TableNames as SqliteTableNames
from adk_sqlite.sqlite.table_sets import DEFAULT_TABLE_NAMES, artifact_tables_in, choose_table_set
from adk_sqlite.storage.session_tables import ADDED_COLUMNS
from adk_sqlite.tools.artifact_tables import choose_artifact_table
from adk_sqlite.tools.session_folder import is_session_folder

__all__ = [
    "SourceDatabase",
    "SourceSnapshot",
    "SourceTables",
    "nothing_read",
    "read_ahead",
    "selected_view_columns",
    "source_tables",
    "staged_events",
]

T = TypeVar("T")
SessionKey = tuple[str, str, str]
EMPTY_DIGEST = SessionDigest().hexdigest()

_IN_SCOPE = "(?1 IS NULL OR app_name = ?1)"
SELECT_SESSIONS = (
    "SELECT app_name, user_id, id, state, create_time_unix, update_time_unix, revision"
    ' {owner} FROM "{sessions}" WHERE ' + _IN_SCOPE
)
_SELECT_APP_STATES = 'SELECT app_name, state, update_time FROM "{app_states}" WHERE ' + _IN_SCOPE
_SELECT_USER_STATES = (
    'SELECT app_name, user_id, state, update_time FROM "{user_states}" WHERE ' + _IN_SCOPE
)
_COUNT_EVENTS = (
    'SELECT app_name, user_id, session_id, count(*) FROM "{events}" WHERE '
    + _IN_SCOPE
    + " GROUP BY app_name, user_id, session_id"
)
# Append order: a scan of the table in rowid order, the cheapest read SQLite has.
# ``{views}``: the event's view columns, or NULLs (`selected_view_columns`).
_SELECT_EVENTS = (
    'SELECT seq, {columns}, {views} FROM "{events}" WHERE ' + _IN_SCOPE + " ORDER BY seq"
)
# The event's view (records.EventView), after its EventRecord columns in a staged row.
VIEW_COLUMNS = tuple(ADDED_COLUMNS["events"])
_RECORD_WIDTH = len(sqlite_sql.EVENT_COLUMNS.split(","))
_SELECT_COLUMN_NAMES = "SELECT name FROM pragma_table_info(?)"


@dataclass(frozen=True, slots=True)
class SourceTables:
    """Where the source database is and what its tables are called.

    With ``recorded``, only ``sessions`` is known yet: the other names are the
    ones the file recorded for that table set, read when the source is opened.
    The artifacts table is a store's (``artifact_table_of_store``), used when the
    file holds it, or the one asked for, or else the file's only one.
    """

    target: DatabaseTarget
    sessions: str
    events: str
    app_states: str
    user_states: str
    owner_column: str | None
    recorded: bool = False
    artifact_table: str | None = None
    artifact_table_of_store: bool = False
    folder: Path | None = None
    """A one-file-per-session folder (``target`` is then its catalog), else None."""

    def describe(self) -> str:
        return self.target.describe() if self.folder is None else str(self.folder)


def source_tables(
    source: object, table_set: str | None = None, artifact_table: str | None = None
) -> SourceTables:
    """Understands ``source``: a SQLite path or URL, or a SqliteStore; or a folder.

    A path's tables have the default names, or, given ``table_set`` (a sessions
    table's name), the names the file recorded for that table set; its artifacts
    table is ``artifact_table``, or the file's only one. A one-file-per-session
    folder (a path, or a `PerSessionSqliteStore`) has the names its catalog
    recorded (`adk_sqlite.transfer.export_folder`).

    Raises:
        ConfigurationError: Anything else, an in-memory database (another
            connection cannot see it), a ``table_set`` or ``artifact_table``
            with a store, or a ``table_set`` with a folder.
    """
    if (table_set is not None or artifact_table is not None) and not isinstance(
        source, str | os.PathLike
    ):
        raise ConfigurationError(
            "table_set and source_artifact_table are for a source given by its path;"
            " a SqliteStore names its tables"
        )
    folder = _folder_of(source)
    if folder is not None:
        if table_set is not None:
            raise ConfigurationError(
                "table_set is for a database file; a folder of one file per session uses"
                " the table names its catalog recorded"
            )
        store_table = source.artifact_table if isinstance(source, PerSessionSqliteStore) else None
        return SourceTables(
            parse_database(folder / CATALOG_FILE),
            "",
            "",
            "",
            "",
            None,
            recorded=True,
            artifact_table=artifact_table if store_table is None else store_table,
            artifact_table_of_store=store_table is not None,
            folder=folder,
        )
    if table_set is not None:
        assert isinstance(source, str | os.PathLike)
        target = parse_database(source)
        if target.path is None:
            raise ConfigurationError("an in-memory SQLite database cannot be exported")
        return SourceTables(
            target, table_set, "", "", "", None, recorded=True, artifact_table=artifact_table
        )
    artifacts: dict[str, Any] = {"artifact_table": artifact_table}
    if isinstance(source, SqliteStore):
        target = parse_database(source.database)
        names = source.table_names
        owner_name = source.owner_column_name
        artifacts = {"artifact_table": source.artifact_table, "artifact_table_of_store": True}
    elif isinstance(source, str | os.PathLike):
        target = parse_database(source)
        default = DEFAULT_TABLE_NAMES
        names = (default.sessions, default.events, default.app_states, default.user_states)
        owner_name = None
    else:
        raise ConfigurationError(
            f"source={source!r}: expected the path of a SQLite database or a SqliteStore"
        )
    if target.path is None:
        raise ConfigurationError(
            "an in-memory SQLite database cannot be exported: no other connection can read it"
        )
    return SourceTables(target, *names, owner_column=owner_name, **artifacts)


def _folder_of(source: object) -> Path | None:
    """The folder of a one-file-per-session source, else None (a file, or not a source)."""
    if isinstance(source, PerSessionSqliteStore):
        return source.folder
    if isinstance(source, str | os.PathLike):
        path = parse_database(source).path
        if path is not None and is_session_folder(path):
            return path
    return None


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def selected_view_columns(connection: sqlite3.Connection, events_table: str) -> str:
    """What the export selects for the view columns of ``events_table``: the columns, or
    NULL for those a table written before schema version 5 does not have yet (a file is
    only read here, not migrated). Its events then arrive without views, as they are."""
    present = {row[0] for row in connection.execute(_SELECT_COLUMN_NAMES, (events_table,))}
    return ", ".join(name if name in present else "NULL" for name in VIEW_COLUMNS)


class SourceSnapshot(AsyncClosing):
    """A read-only, consistent view of the source, read on its own thread.

    Use as ``async with SourceSnapshot(tables) as snapshot``: entering opens the
    file read-only, starts the read transaction and checks that it holds
    adk-sqlite tables at a schema version this library reads.
    """

    def __init__(self, tables: SourceTables, *, busy_timeout: float = 5.0) -> None:
        self.tables = tables
        self._busy_timeout = busy_timeout
        self.owner_column = tables.owner_column
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="adk-sqlite-export")
        self._connection: sqlite3.Connection | None = None
        self._cursor: sqlite3.Cursor | None = None
        self.digests: dict[SessionKey, SessionDigest] = {}
        """Each session's checksum, filled by reading `events` to the end."""
        self.artifact_table: str | None = None
        """The source's artifacts table, or None when it holds none (found on entering)."""
        self.archived_sessions = 0
        """Archived sessions in the exported scope, left out (a folder's; a file has none)."""
        self._views = ", ".join(VIEW_COLUMNS)
        """The view columns the events are read with (`selected_view_columns`)."""

    async def __aenter__(self) -> SourceSnapshot:
        try:
            await self._call(self._open)
        except BaseException:
            await self.close()
            raise
        return self

    async def _call(self, job: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._mapped, job)

    def _mapped(self, job: Callable[[], T]) -> T:
        with sqlite_errors(self.tables.target):
            return job()

    async def close(self) -> None:
        """Ends the read and stops the thread."""

        def close_connection() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        try:
            await self._call(close_connection)
        finally:
            self._executor.shutdown(wait=False)

    # --- on the worker thread ----------------------------------------------------------

    def _open(self) -> None:
        path = self.tables.target.path
        assert path is not None  # source_tables refuses in-memory databases
        # The command-line tools' helpers: the same checks and messages
        # (a missing file is never created; the connection cannot write).
        target = resolve_file(path)
        connection = connect_read_only(target, busy_timeout=self._busy_timeout)
        self._connection = connection
        connection.execute("BEGIN")
        # The tools' checks and messages. The names are the store's (or the
        # defaults for a path), whether or not the file recorded them; or the
        # file's own for the table set asked for.
        tables = self.tables
        names = SqliteTableNames(
            tables.sessions, tables.events, tables.app_states, tables.user_states
        )
        known = None if tables.recorded else names
        # A folder's catalog holds one table set: its own ("" asks for the only one).
        found = choose_table_set(connection, target, names.sessions or None, known=known)
        if tables.recorded:
            self.tables = dataclasses.replace(
                tables,
                sessions=found.names.sessions,
                events=found.names.events,
                app_states=found.names.app_states,
                user_states=found.names.user_states,
                recorded=False,
            )
        if self.owner_column is None:
            self.owner_column = found.owner_column
        self._views = selected_view_columns(connection, self.tables.events)
        self.artifact_table = self._find_artifact_table(connection, target.describe())

    def _find_artifact_table(self, connection: sqlite3.Connection, where: str) -> str | None:
        wanted = self.tables.artifact_table
        if self.tables.artifact_table_of_store:
            # A store's table exists once it has saved an artifact.
            assert wanted is not None
            found = artifact_tables_in(connection)
            return next((name for name in found if name.lower() == wanted.lower()), None)
        return choose_artifact_table(
            connection,
            wanted,
            where,
            option="--source-artifact-table NAME (source_artifact_table= in Python)",
        )

    def _render(self, template: str, views: str | None = None) -> str:
        """``template`` with the source's names; ``views``: the view columns to read
        (default: those of the snapshot's own events table)."""
        owner = "" if self.owner_column is None else f', "{self.owner_column}"'
        return template.format(
            sessions=self.tables.sessions,
            events=self.tables.events,
            app_states=self.tables.app_states,
            user_states=self.tables.user_states,
            owner=owner,
            columns=sqlite_sql.EVENT_COLUMNS,
            views=self._views if views is None else views,
        )

    def _fetch_all(self, template: str, app_name: str | None) -> list[Any]:
        assert self._connection is not None
        return self._connection.execute(self._render(template), (app_name,)).fetchall()

    # --- reads ---------------------------------------------------------------------------

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Runs ``job`` with the snapshot's connection on its thread, inside the snapshot."""

        def with_connection() -> T:
            assert self._connection is not None
            return job(self._connection)

        return await self._call(with_connection)

    async def sessions(self, app_name: str | None) -> dict[SessionKey, tuple[Any, ...]]:
        """Session rows in the target's layout: key, state text, times, revision, owner."""
        rows = await self._call(lambda: self._fetch_all(SELECT_SESSIONS, app_name))
        return self._session_rows(rows)

    def _session_rows(self, rows: list[Any]) -> dict[SessionKey, tuple[Any, ...]]:
        with_owner = self.owner_column is not None
        return {
            (row[0], row[1], row[2]): (*row[:7], row[7] if with_owner else None) for row in rows
        }

    async def app_states(self, app_name: str | None) -> dict[str, tuple[str, float]]:
        """app name -> (state text, update time as epoch seconds)."""
        rows = await self._call(lambda: self._fetch_all(_SELECT_APP_STATES, app_name))
        return {row[0]: (row[1], unix_from_julian_day(row[2])) for row in rows}

    async def user_states(self, app_name: str | None) -> dict[tuple[str, str], tuple[str, float]]:
        """(app name, user id) -> (state text, update time as epoch seconds)."""
        rows = await self._call(lambda: self._fetch_all(_SELECT_USER_STATES, app_name))
        return {(row[0], row[1]): (row[2], unix_from_julian_day(row[3])) for row in rows}

    async def event_counts(self, app_name: str | None) -> dict[SessionKey, int]:
        """How many events each session holds."""
        rows = await self._call(lambda: self._fetch_all(_COUNT_EVENTS, app_name))
        return {(row[0], row[1], row[2]): int(row[3]) for row in rows}

    async def events(
        self,
        app_name: str | None,
        chunk: int,
        sessions: Container[SessionKey],
        held: Mapping[SessionKey, int],
    ) -> AsyncGenerator[tuple[int, list[tuple[Any, ...]]], None]:
        """Reads every event once, in append order; yields ``(rows read, rows to copy)``.

        Every row goes into its session's checksum (`digests`, complete once
        the generator is exhausted). A row is to be copied unless the target
        already holds that many of its session's events (``held``): a target
        written by earlier runs holds a prefix, in append order, of each
        session, or when its session is not in ``sessions`` (an orphan left by
        a hand-made delete without foreign keys). Rows to copy come as staging
        records (source ``seq`` first, flags as bools, the view columns last). The
        next chunk is read while the caller writes.
        """
        digests = self.digests = {}
        await self._start(_SELECT_EVENTS, app_name)
        cursor = self._cursor
        assert cursor is not None
        steps = read_ahead(
            lambda: self._call(
                lambda: staged_events(cursor.fetchmany(chunk), digests, sessions, held)
            ),
            finished=nothing_read,
        )
        async with contextlib.aclosing(steps):
            async for step in steps:
                yield step

    async def _start(self, template: str, app_name: str | None) -> None:
        def start() -> None:
            assert self._connection is not None
            self._cursor = self._connection.execute(self._render(template), (app_name,))

        await self._call(start)

    async def databases(self, app_name: str | None) -> AsyncGenerator[SourceDatabase, None]:
        """Every database of the source that may hold artifacts: this file.

        A folder (`adk_sqlite.transfer.export_folder`) has its catalog and each live
        session's file.
        """
        yield self


class SourceDatabase(Protocol):
    """One SQLite database of the source, read inside its snapshot on the source's thread."""

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T: ...


def nothing_read(step: tuple[int, list[tuple[Any, ...]]]) -> bool:
    return not step[0]


def staged_events(
    rows: list[Any],
    digests: dict[SessionKey, SessionDigest],
    sessions: Container[SessionKey],
    held: Mapping[SessionKey, int],
) -> tuple[int, list[tuple[Any, ...]]]:
    """Checksums rows read from an events table; returns ``(rows read, rows to copy)``.

    ``rows``: ``seq``, the `EventRecord` columns, then the view columns. See
    `SourceSnapshot.events` for which rows are to be copied.
    """
    to_copy: list[tuple[Any, ...]] = []
    for row in rows:
        key = (row[2], row[3], row[4])
        digest = digests.get(key)
        if digest is None:
            digest = digests[key] = SessionDigest()
        # The checksum covers the EventRecord columns, not the view: a view is derived
        # from them (compaction_view.event_view), so equal columns mean equal views;
        # and a target copied before the export copied views holds the same events
        # without them (NULL: read the earlier way, as correctly), which must still verify.
        digest.add(event_row_digest(row[1 : 1 + _RECORD_WIDTH]))
        if digest.events > held.get(key, 0) and key in sessions:
            to_copy.append((*row[:18], _flag(row[18]), _flag(row[19]), _flag(row[20]), *row[21:]))
    return len(rows), to_copy


async def read_ahead(
    read: Callable[[], Awaitable[T]], *, finished: Callable[[T], bool]
) -> AsyncGenerator[T, None]:
    """Yields ``await read()`` until a result is ``finished``, each next read running meanwhile.

    So the source reads the next batch while the caller writes this one; a step still
    running when the caller stops early is cancelled (or awaited) before the
    generator closes.
    """
    pending = asyncio.ensure_future(read())
    try:
        while not finished(result := await pending):
            pending = asyncio.ensure_future(read())
            yield result
    finally:
        if not pending.done():
            pending.cancel()
        await asyncio.gather(pending, return_exceptions=True)
