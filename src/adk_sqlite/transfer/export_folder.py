"""A one-file-per-session folder as the source of `adk_sqlite.export_to_postgres`.

A folder written by `SqliteStore.per_session_files` (`PerSessionSqliteStore`) holds
``catalog.db`` (the list of live sessions, the authoritative ``app:`` and ``user:``
state, user-scoped artifacts and those of sessions that do not exist, every memory)
and one file per live session (its session row, its events, its own artifacts).
`FolderSnapshot` reads it as `SourceSnapshot` reads a file, behind the same export:

* the **catalog** is the snapshot's own connection, opened read-only and read in one
  read transaction for the whole run: its table names, owner column, ``app:`` and
  ``user:`` state, artifacts and memories come from that one snapshot;
* each **live session** (a catalog row) is read from its file, read-only, in read
  transactions of its own: when entering, its session row, event count and last
  ``seq`` (so the row and the count come from one snapshot of the file); in the
  events phase, its events up to that ``seq``, which must be the same file and as
  many events (so the row, the events and their checksum agree); in the artifacts
  phase, its artifact versions. Files are opened one at a time, whatever their number.

**Archived sessions** (``archive/``) are not exported: only live sessions are, as
``adk-sqlite query`` and ``stats`` read them, so an archived session never comes back
to life on PostgreSQL (nor clashes with a live session of the same key). Their
artifacts (moved into the catalog when they were archived) and their memories (in the
catalog) are exported. The report counts the archived sessions left out
(`ExportReport.archived_sessions`).

A session deleted or archived after the catalog was read is left out (its file is gone,
and the catalog no longer lists it); one whose file is missing though the catalog still
lists it, or that holds no session row, is a damaged folder: the export stops before
writing anything and points at ``adk-sqlite check --repair``. A session deleted,
archived, replaced or rewritten between entering and the events phase stops the run
with `ExportError` naming it: running the export again reads the folder afresh.

``app:``/``user:`` deltas an append left in its session file (a writer killed between
its two commits) are merged into the catalog by the store's next read of that session
or by ``adk-sqlite check --repair``; until then the export copies the catalog's state
without them, and logs a warning naming the sessions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import sqlite3
from collections.abc import AsyncGenerator, Callable, Container, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from adk_sqlite.codec.event_digest import SessionDigest
from adk_sqlite.errors import DatabaseError, DatabaseUnavailableError, ExportError
from adk_sqlite.sqlite.database_file import connect_read_only
from adk_sqlite.sqlite.engine.connection import parse_database, sqlite_errors
from adk_sqlite.sqlite.schema import per_session_sql
from adk_sqlite.sqlite.table_sets import artifact_tables_in
from adk_sqlite.tools.artifact_tables import choose_artifact_table
from adk_sqlite.tools.session_folder import archived_session_keys
from adk_sqlite.transfer.export_source import (
    SELECT_SESSIONS,
    SessionKey,
    SourceDatabase,
    SourceSnapshot,
    SourceTables,
    nothing_read,
    read_ahead,
    selected_view_columns,
    staged_events,
)

__all__ = ["FolderSnapshot"]

T = TypeVar("T")
_logger = logging.getLogger("adk_sqlite.transfer")

_SELECT_ENTRIES = (
    f"SELECT app_name, user_id, id, file_name, scope_revision"
    f" FROM {per_session_sql.SESSION_FILES_TABLE}"
    " WHERE ?1 IS NULL OR app_name = ?1 ORDER BY file_name"
)
_SELECT_ENTRY_GENERATION = (
    f"SELECT generation FROM {per_session_sql.SESSION_FILES_TABLE}"
    " WHERE app_name = ? AND user_id = ? AND id = ?"
)
_COUNT_FILE_EVENTS = 'SELECT count(*), max(seq) FROM "{events}"'
# A session file holds one session's events: up to the last one counted, in append order.
_SELECT_FILE_EVENTS = 'SELECT seq, {columns}, {views} FROM "{events}" WHERE seq <= ?1 ORDER BY seq'
_REPAIR_HINT = "adk-sqlite check --repair {folder} finishes or repairs what left it so"


@dataclass(frozen=True, slots=True)
class _LiveSession:
    """A live session as read from its file when the export began."""

    key: SessionKey
    path: Path
    generation: int
    row: tuple[Any, ...]
    events: int
    last_seq: int | None


class FolderSnapshot(SourceSnapshot):
    """`SourceSnapshot` for a one-file-per-session folder (see the module docstring).

    ``tables.target`` is the folder's catalog and ``tables.folder`` the folder.
    Entering reads the catalog and every live session's file in the ``app_name`` scope.
    """

    def __init__(
        self, tables: SourceTables, *, busy_timeout: float = 5.0, app_name: str | None = None
    ) -> None:
        assert tables.folder is not None
        super().__init__(tables, busy_timeout=busy_timeout)
        self.folder = tables.folder
        self._app_name = app_name
        self._live: dict[SessionKey, _LiveSession] = {}
        self._artifact_tables: dict[str, str] = {}
        """Every artifacts table found in the catalog or a session file, by lower-case name."""

    # --- entering (on the worker thread) ---------------------------------------------

    def _open(self) -> None:
        super()._open()
        connection = self._connection
        assert connection is not None
        self._note_artifact_tables(connection)
        unmerged = []
        entries = connection.execute(_SELECT_ENTRIES, (self._app_name,)).fetchall()
        for app_name, user_id, session_id, file_name, scope_revision in entries:
            key = (app_name, user_id, session_id)
            path = self.folder / per_session_sql.SESSIONS_FOLDER / file_name
            live, pending = self._read_live(key, path)
            if live is None:
                continue
            self._live[key] = live
            if pending is not None and pending > scope_revision:
                unmerged.append(key)
        if unmerged:
            _logger.warning(
                "%s: %d session file(s) hold app:/user: deltas the catalog's state lacks"
                " (a writer was killed between its two commits, or is appending now);"
                " the catalog's state is exported: %s",
                self.folder,
                len(unmerged),
                ", ".join(repr(key) for key in unmerged[:10]),
            )
        self.artifact_table = self._choose_artifact_table(connection)
        self.archived_sessions = sum(
            1
            for _, key in archived_session_keys(self.folder, self._busy_timeout)
            if self._app_name in (None, key[0])
        )

    def _find_artifact_table(self, connection: sqlite3.Connection, where: str) -> str | None:
        # Chosen once every session file was seen (`_choose_artifact_table`).
        return None

    def _read_live(self, key: SessionKey, path: Path) -> tuple[_LiveSession | None, int | None]:
        """A live session from its file, and the newest revision of its pending deltas.

        None when the session left the folder after the catalog was read.

        Raises:
            DatabaseUnavailableError: The catalog lists the session but its file is
                missing or holds no session row, or the file is not a database.
        """
        connection = self._connect(path)
        if connection is None:
            self._refuse_unless_gone(key, path, "its file is missing")
            return None, None
        try:
            with self._about(path):
                generation = connection.execute(per_session_sql.SELECT_GENERATION).fetchone()
                rows = connection.execute(self._render(SELECT_SESSIONS), (None,)).fetchall()
                sessions = self._session_rows(rows)
                events, last_seq = connection.execute(self._render(_COUNT_FILE_EVENTS)).fetchone()
                (pending,) = connection.execute(
                    per_session_sql.SELECT_NEWEST_PENDING_REVISION
                ).fetchone()
                self._note_artifact_tables(connection)
        finally:
            connection.close()
        if key not in sessions or generation is None:
            self._refuse_unless_gone(key, path, "its file holds no session row")
            return None, None
        live = _LiveSession(key, path, int(generation[0]), sessions[key], int(events), last_seq)
        return live, pending

    def _connect(self, path: Path) -> sqlite3.Connection | None:
        """``path`` opened read-only inside a read transaction; None when it is not there."""
        if not path.is_file():
            return None
        target = parse_database(path)
        try:
            with self._about(path):
                connection = connect_read_only(target, busy_timeout=self._busy_timeout)
        except DatabaseError:
            if not path.is_file():  # removed while it was opened
                return None
            raise
        try:
            with self._about(path):
                connection.execute("BEGIN")
        except BaseException:
            connection.close()
            raise
        return connection

    @contextlib.contextmanager
    def _about(self, path: Path) -> Iterator[None]:
        """Maps SQLite errors to the library's, naming the file and how to look into it."""
        try:
            with sqlite_errors(parse_database(path)):
                yield
        except DatabaseUnavailableError as exc:
            raise DatabaseUnavailableError(
                f"{exc} (a session file of the folder {self.folder}; adk-sqlite check"
                f" {self.folder} reports what is wrong)"
            ) from exc

    def _refuse_unless_gone(self, key: SessionKey, path: Path, problem: str) -> None:
        """Raises when the catalog, read again, still lists the session: a damaged folder."""
        catalog = parse_database(self.folder / per_session_sql.CATALOG_FILE)
        with sqlite_errors(catalog):
            connection = connect_read_only(catalog, busy_timeout=self._busy_timeout)
            try:
                listed = connection.execute(_SELECT_ENTRY_GENERATION, key).fetchone()
            finally:
                connection.close()
        if listed is None:
            _logger.info("%s: session %r left the folder while it was read", self.folder, key)
            return
        raise DatabaseUnavailableError(
            f"{path}: the catalog lists session {key!r} but {problem}; nothing was exported. "
            + _REPAIR_HINT.format(folder=self.folder)
        )

    def _note_artifact_tables(self, connection: sqlite3.Connection) -> None:
        for name in artifact_tables_in(connection):
            self._artifact_tables.setdefault(name.lower(), name)

    def _choose_artifact_table(self, connection: sqlite3.Connection) -> str | None:
        """The source's artifacts table, among those of the catalog and every session file."""
        found = sorted(self._artifact_tables.values())
        wanted = self.tables.artifact_table
        if self.tables.artifact_table_of_store:
            assert wanted is not None
            return self._artifact_tables.get(wanted.lower())
        # The file tools' choice and messages, over the whole folder's tables.
        chooser = dataclasses.replace(choose_artifact_table, tables_in=lambda _: found)
        return chooser(
            connection,
            wanted,
            str(self.folder),
            option="--source-artifact-table NAME (source_artifact_table= in Python)",
        )

    # --- reads -------------------------------------------------------------------------

    async def sessions(self, app_name: str | None) -> dict[SessionKey, tuple[Any, ...]]:
        """Each live session's row, as its file held it when the export began."""
        assert app_name == self._app_name
        return {key: live.row for key, live in self._live.items()}

    async def event_counts(self, app_name: str | None) -> dict[SessionKey, int]:
        """How many events each live session's file held when the export began."""
        assert app_name == self._app_name
        return {key: live.events for key, live in self._live.items() if live.events}

    async def events(
        self,
        app_name: str | None,
        chunk: int,
        sessions: Container[SessionKey],
        held: Mapping[SessionKey, int],
    ) -> AsyncGenerator[tuple[int, list[tuple[Any, ...]]], None]:
        """`SourceSnapshot.events` over the session files, one file after the other.

        Each file's events up to the last one counted when the export began: events
        appended since are left to the next run, so every session's row, events and
        checksum come from one snapshot of its file.

        Raises:
            ExportError: A session's file was replaced, or its counted events
                rewritten, since the export began.
        """
        assert app_name == self._app_name
        digests: dict[SessionKey, SessionDigest] = {}
        self.digests = digests
        for live in self._live.values():
            if live.last_seq is None:
                continue
            steps = self._file_events(live, chunk, digests, sessions, held)
            async with contextlib.aclosing(steps):
                async for step in steps:
                    yield step
            read = digests[live.key].events if live.key in digests else 0
            if read != live.events:
                raise _changed(live.key, f"{live.events} event(s) were counted, {read} read")

    async def _file_events(
        self,
        live: _LiveSession,
        chunk: int,
        digests: dict[SessionKey, SessionDigest],
        sessions: Container[SessionKey],
        held: Mapping[SessionKey, int],
    ) -> AsyncGenerator[tuple[int, list[tuple[Any, ...]]], None]:
        async with self._opened(live) as connection:

            def start() -> sqlite3.Cursor:
                # Each file has the view columns once a store of schema version 5 opened it.
                views = selected_view_columns(connection, self.tables.events)
                sql = self._render(_SELECT_FILE_EVENTS, views)
                return connection.execute(sql, (live.last_seq,))

            cursor = await self._call(start)
            steps = read_ahead(
                lambda: self.in_file(
                    live.path,
                    lambda: staged_events(cursor.fetchmany(chunk), digests, sessions, held),
                ),
                finished=nothing_read,
            )
            async with contextlib.aclosing(steps):
                async for step in steps:
                    yield step

    async def databases(self, app_name: str | None) -> AsyncGenerator[SourceDatabase, None]:
        """The catalog, then each live session's file (its own artifacts), one at a time."""
        assert app_name == self._app_name
        yield self
        for live in self._live.values():
            connection = await self._call(functools.partial(self._connect, live.path))
            if connection is None:
                continue  # deleted or archived since: its versions went to the catalog
            try:
                yield _SessionFileDatabase(self, live.path, connection)
            finally:
                await self._call(connection.close)

    @contextlib.asynccontextmanager
    async def _opened(self, live: _LiveSession) -> AsyncGenerator[sqlite3.Connection, None]:
        """The session's file in a read transaction, checked to be the one counted."""

        def reopen() -> sqlite3.Connection:
            connection = self._connect(live.path)
            if connection is None:
                raise _changed(live.key, "its file left the folder (deleted or archived)")
            try:
                with self._about(live.path):
                    row = connection.execute(per_session_sql.SELECT_GENERATION).fetchone()
            except BaseException:
                connection.close()
                raise
            if row is None or int(row[0]) != live.generation:
                connection.close()
                raise _changed(live.key, "its file was replaced (deleted and created again)")
            return connection

        connection = await self._call(reopen)
        try:
            yield connection
        finally:
            await self._call(connection.close)

    async def in_file(self, path: Path, job: Callable[[], T]) -> T:
        """``job`` run on this snapshot's thread, its errors named after the file ``path``."""

        def mapped() -> T:
            with self._about(path):
                return job()

        return await self._call(mapped)


@dataclass(frozen=True, slots=True)
class _SessionFileDatabase:
    """A session file open in a read transaction, read on the folder snapshot's thread."""

    snapshot: FolderSnapshot
    path: Path
    connection: sqlite3.Connection

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        connection = self.connection
        return await self.snapshot.in_file(self.path, lambda: job(connection))


def _changed(key: SessionKey, how: str) -> ExportError:
    return ExportError(
        f"session {key!r} changed while it was exported ({how}). The batches already"
        " committed stay (a prefix of its events, which the next run completes; a session"
        " deleted or archived meanwhile keeps that partial copy on the target): run the"
        " export again",
        sessions=(key,),
    )
