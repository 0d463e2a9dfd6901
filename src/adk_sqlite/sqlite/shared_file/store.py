"""`SqliteStore`: the `BaseAsyncStore` over SQLite (aiosqlite)."""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import warnings
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from adk_sqlite.errors import ConfigurationError, StoreClosedError
from adk_sqlite.identifiers import parse_owner_column, validate_identifier
from adk_sqlite.records import (
    AppendResult,
    EventQuery,
    EventRecord,
    SessionListing,
    SessionSnapshot,
    StaleCheck,
    StateDelta,
)
from adk_sqlite.sqlite.engine.connection import (
    DatabaseTarget,
    Role,
    Synchronous,
    is_busy_error,
    open_connection,
    parse_database,
    patient,
    run_on_connection,
    sqlite_errors,
)
from adk_sqlite.sqlite.engine.worker_connection import WorkerConnection
from adk_sqlite.sqlite.engine.writer import Checkpointer, GroupCommitter, WriteLock
from adk_sqlite.sqlite.schema.statements import Statements, TableNames, render_statements
from adk_sqlite.sqlite.shared_file import jobs as _jobs

if TYPE_CHECKING:
    from adk_sqlite.sqlite.per_session.store import PerSessionSqliteStore

__all__ = ["SqliteStore"]

T = TypeVar("T")
_SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


class SqliteStore:
    """Sessions, events and scoped state in one SQLite database.

    Nothing happens in the constructor: the first operation opens the
    connections and creates (or migrates) the tables.

    A file database gets one long-lived writer connection (WAL,
    ``synchronous=NORMAL`` by default, ``busy_timeout``, ``foreign_keys=ON``) and
    one reader connection, so reads never queue behind writes. ``":memory:"``
    keeps a single connection for the store's lifetime: its data lives until
    `close`.

    Args:
        database: A path, ``":memory:"``, or a ``sqlite:///relative.db``,
            ``sqlite:////absolute.db`` or ``sqlite+aiosqlite:///...`` URL.
            A URL's query (``?mode=ro``) is honoured.
        session_table: Name of the sessions table.
        events_table: Name of the events table.
        app_state_table: Name of the ``app:`` state table.
        user_state_table: Name of the ``user:`` state table.
        owner_id_column: Optional DDL of an owner (tenant) column added to the
            sessions table, e.g. ``"tenant_id INTEGER NOT NULL REFERENCES
            tenants(id) ON DELETE CASCADE"``. See `adk_sqlite.SessionService`'s
            ``owner_id``.
        busy_timeout: Seconds a writer waits for another process's write lock
            before `adk_sqlite.errors.DatabaseLockedError`.
        synchronous: SQLite's ``synchronous`` level. ``"NORMAL"`` (default) in WAL
            mode survives a process crash; ``"FULL"`` also survives power loss,
            at the cost of an fsync per commit.
        inline_io: Run reads, and commits whose write lock is free at that
            moment, on the event loop's own thread instead of crossing to a
            worker thread and back, which costs more than a typical read or
            commit (see ``docs/performance.md``). A read of a WAL database never
            waits for writers, and a commit at ``synchronous="NORMAL"`` writes
            to the OS page cache without an fsync; a commit that would wait for
            another writer's lock goes to the writer thread instead. Commits at
            ``"FULL"`` or ``"EXTRA"`` (an fsync each) and everything on
            ``":memory:"`` always use the worker threads. False keeps all
            database work off the event loop.

    Raises:
        ConfigurationError: An invalid table name, owner column, URL or option.
    """

    def __init__(
        self,
        database: str | os.PathLike[str] = ":memory:",
        *,
        session_table: str = "adk_sessions",
        events_table: str = "adk_events",
        app_state_table: str = "adk_app_states",
        user_state_table: str = "adk_user_states",
        owner_id_column: str | None = None,
        busy_timeout: float = 30.0,
        synchronous: Synchronous = "NORMAL",
        inline_io: bool = True,
    ) -> None:
        tables = TableNames(
            sessions=validate_identifier(session_table, option="session_table"),
            events=validate_identifier(events_table, option="events_table"),
            app_states=validate_identifier(app_state_table, option="app_state_table"),
            user_states=validate_identifier(user_state_table, option="user_state_table"),
        )
        if (
            len(
                {
                    name.lower()
                    for name in (
                        tables.sessions,
                        tables.events,
                        tables.app_states,
                        tables.user_states,
                    )
                }
            )
            != 4
        ):
            raise ConfigurationError("the four table names must be different")
        if synchronous not in _SYNCHRONOUS_LEVELS:
            raise ConfigurationError(
                f"synchronous={synchronous!r}: expected one of {', '.join(_SYNCHRONOUS_LEVELS)}"
            )
        if not isinstance(busy_timeout, int | float) or busy_timeout < 0:
            raise ConfigurationError(f"busy_timeout={busy_timeout!r}: expected seconds >= 0")
        owner = None if owner_id_column is None else parse_owner_column(owner_id_column)
        self._target: DatabaseTarget = parse_database(database)
        self._statements: Statements = render_statements(tables, owner)
        self._busy_timeout_ms = int(busy_timeout * 1000)
        self._synchronous: Synchronous = synchronous
        self._inline_reads = bool(inline_io) and self._target.path is not None
        self._inline_commits = (
            self._inline_reads and not self._target.read_only and synchronous in ("OFF", "NORMAL")
        )
        self._writer: WorkerConnection | None = None
        self._reader: WorkerConnection | None = None
        self._committer: GroupCommitter | None = None
        self._lock: WriteLock | None = None
        self._checkpointer: Checkpointer | None = None
        self._open_lock = asyncio.Lock()
        self._closed = False

    @classmethod
    def per_session_files(
        cls,
        folder: str | os.PathLike[str],
        *,
        session_table: str = "adk_sessions",
        events_table: str = "adk_events",
        app_state_table: str = "adk_app_states",
        user_state_table: str = "adk_user_states",
        owner_id_column: str | None = None,
        busy_timeout: float = 30.0,
        synchronous: Synchronous = "NORMAL",
        max_open_sessions: int = 64,
        threads: int = 4,
    ) -> PerSessionSqliteStore:
        """The other layout: one SQLite file per session in ``folder``, and a catalog.

        Takes the same options as the constructor, plus how many session files
        stay open (``max_open_sessions``) and how many worker threads run file
        operations (``threads``). See `adk_sqlite.sqlite.PerSessionSqliteStore`
        and ``docs/per-session-files.md``::

            store = SqliteStore.per_session_files("./agent-sessions")
            service = SessionService(store)
        """
        from adk_sqlite.sqlite.per_session.store import PerSessionSqliteStore

        return PerSessionSqliteStore(
            folder,
            session_table=session_table,
            events_table=events_table,
            app_state_table=app_state_table,
            user_state_table=user_state_table,
            owner_id_column=owner_id_column,
            busy_timeout=busy_timeout,
            synchronous=synchronous,
            max_open_sessions=max_open_sessions,
            threads=threads,
        )

    # --- lifecycle ------------------------------------------------------------------

    @property
    def database(self) -> str:
        """The database this store uses: a file path or ``":memory:"``."""
        return self._target.describe()

    @property
    def table_names(self) -> tuple[str, str, str, str]:
        """The (validated) sessions, events, app-state and user-state table names."""
        tables = self._statements.tables
        return (tables.sessions, tables.events, tables.app_states, tables.user_states)

    @property
    def owner_column_name(self) -> str | None:
        """The name of the sessions table's owner column, or None."""
        owner = self._statements.owner_column
        return None if owner is None else owner.name

    @property
    def has_owner_column(self) -> bool:
        """Whether the sessions table has an owner (tenant) column."""
        return self._statements.owner_column is not None

    async def __aenter__(self) -> SqliteStore:
        await self.create_tables()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def create_tables(self) -> None:
        """Opens the connections and creates or migrates the tables (idempotent)."""
        await self._ensure_open()

    async def close(self) -> None:
        """Waits for pending writes, then closes the connections. Idempotent."""
        async with self._open_lock:
            if self._closed:
                return
            self._closed = True
            if self._committer is not None:
                await self._committer.wait_idle()
            if self._checkpointer is not None:
                await self._checkpointer.close()
            for connection in {id(c): c for c in (self._reader, self._writer) if c}.values():
                await connection.close()
            if self._lock is not None:
                self._lock.close()
            self._reader = self._writer = self._committer = None
            self._lock = self._checkpointer = None

    def __del__(self) -> None:
        # getattr: __init__ may have raised before these were set.
        if getattr(self, "_writer", None) is not None and not getattr(self, "_closed", True):
            warnings.warn(
                f"SqliteStore({self.database!r}) was garbage-collected while open;"
                " use 'async with' or 'await store.close()'",
                ResourceWarning,
                stacklevel=2,
            )
            # Stop the worker threads; their sqlite3 connections close with them.
            for connection in {id(c): c for c in (self._reader, self._writer) if c}.values():
                connection.stop()
            if self._checkpointer is not None:
                self._checkpointer.stop()
            if self._lock is not None:
                self._lock.close()

    async def _ensure_open(self) -> GroupCommitter:
        committer = self._committer
        if committer is not None:
            return committer
        async with self._open_lock:
            if self._closed:
                raise StoreClosedError(f"SqliteStore({self.database!r}) is closed")
            # Another task may have opened the store while this one waited.
            return self._committer or await self._open()

    async def _open(self) -> GroupCommitter:
        writer = await self._connect("writer")
        connections = [writer]
        try:
            with sqlite_errors(self._target):
                await run_on_connection(
                    writer, functools.partial(_jobs.migrate, statements=self._statements)
                )
            reader, lock, checkpointer = writer, None, None
            if not self._target.in_memory:
                reader = await self._connect("reader")
                connections.append(reader)
                if self._inline_reads:  # see _read: the loop never sleeps on a lock
                    await run_on_connection(reader, _drop_busy_timeout)
            if self._target.path is not None and not self._target.read_only:
                checkpoint_connection = await self._connect("checkpointer")
                connections.append(checkpoint_connection)
                checkpointer = Checkpointer(checkpoint_connection, self._target)
                lock = WriteLock(self._target.path, timeout=self._busy_timeout_ms / 1000)
                await run_on_connection(
                    writer,
                    functools.partial(_prepare_writer, lock=lock, inline=self._inline_commits),
                )
        except BaseException:
            for connection in connections:
                await connection.close()
            raise
        self._writer, self._reader = writer, reader
        self._lock, self._checkpointer = lock, checkpointer
        self._committer = GroupCommitter(
            writer,
            self._target,
            lock=lock,
            checkpointer=checkpointer,
            inline=self._inline_commits,
            busy_timeout_ms=self._busy_timeout_ms,
        )
        return self._committer

    async def _connect(self, role: Role) -> WorkerConnection:
        return await open_connection(
            self._target,
            role=role,
            busy_timeout_ms=self._busy_timeout_ms,
            synchronous=self._synchronous,
        )

    async def _read(self, job: Callable[..., T]) -> T:
        await self._ensure_open()
        reader = self._reader
        if reader is None:
            raise StoreClosedError(f"SqliteStore({self.database!r}) is closed")
        with sqlite_errors(self._target):
            if not self._inline_reads:
                return await run_on_connection(reader, job)
            try:
                return job(reader.raw)
            except sqlite3.OperationalError as exc:
                if not is_busy_error(exc):
                    raise
            # A WAL reader waits only while another connection recovers the log
            # or holds the file exclusively: wait for that on the reader's
            # thread, with the configured busy timeout, not on the event loop.
            busy_timeout_ms = self._busy_timeout_ms
            return await run_on_connection(
                reader, lambda raw: _run_patiently(raw, job, busy_timeout_ms)
            )

    async def _write(self, job: Callable[..., T]) -> T:
        committer = await self._ensure_open()
        return await committer.submit(job)

    def _check_owner(self, owner_id: Any) -> None:
        if owner_id is not None and self._statements.owner_column is None:
            raise ConfigurationError(
                "an owner_id was given but this SqliteStore has no owner_id_column"
            )

    # --- BaseAsyncStore -------------------------------------------------------------

    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        state: StateDelta,
        create_time: float,
        owner_id: Any = None,
    ) -> SessionSnapshot:
        self._check_owner(owner_id)
        return await self._write(
            functools.partial(
                _jobs.create_session,
                statements=self._statements,
                key=(app_name, user_id, session_id),
                state=state,
                create_time=create_time,
                owner_id=owner_id,
            )
        )

    async def read_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        events: EventQuery | None = None,
        owner_id: Any = None,
    ) -> SessionSnapshot | None:
        self._check_owner(owner_id)
        return await self._read(
            functools.partial(
                _jobs.read_session,
                statements=self._statements,
                key=(app_name, user_id, session_id),
                query=events,
                owner_id=owner_id,
            )
        )

    async def list_sessions(
        self, *, app_name: str, user_id: str | None = None, owner_id: Any = None
    ) -> SessionListing:
        self._check_owner(owner_id)
        return await self._read(
            functools.partial(
                _jobs.list_sessions,
                statements=self._statements,
                app_name=app_name,
                user_id=user_id,
                owner_id=owner_id,
            )
        )

    async def delete_session(
        self, *, app_name: str, user_id: str, session_id: str, owner_id: Any = None
    ) -> bool:
        self._check_owner(owner_id)
        return await self._write(
            functools.partial(
                _jobs.delete_session,
                statements=self._statements,
                key=(app_name, user_id, session_id),
                owner_id=owner_id,
            )
        )

    async def append_event(
        self,
        *,
        event: EventRecord,
        delta: StateDelta,
        expected: StaleCheck,
        owner_id: Any = None,
    ) -> AppendResult:
        self._check_owner(owner_id)
        return await self._write(
            functools.partial(
                _jobs.append_event,
                statements=self._statements,
                event=event,
                delta=delta,
                expected=expected,
                owner_id=owner_id,
            )
        )

    async def get_events(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        query: EventQuery | None = None,
    ) -> list[EventRecord]:
        return await self._read(
            functools.partial(
                _jobs.read_events,
                statements=self._statements,
                key=(app_name, user_id, session_id),
                query=query,
            )
        )

    async def get_app_state(self, *, app_name: str) -> dict[str, Any]:
        return await self._read(
            functools.partial(
                _jobs.read_state, sql=self._statements.select_app_state, params=(app_name,)
            )
        )

    async def get_user_state(self, *, app_name: str, user_id: str) -> dict[str, Any]:
        return await self._read(
            functools.partial(
                _jobs.read_state,
                sql=self._statements.select_user_state,
                params=(app_name, user_id),
            )
        )

    def __repr__(self) -> str:
        return f"SqliteStore({self.database!r})"


def _prepare_writer(connection: sqlite3.Connection, *, lock: WriteLock, inline: bool) -> None:
    lock.open()
    if inline:
        # Inline commits must never sleep in SQLite's busy handler on the event
        # loop: a taken lock fails at once and the write goes to the thread,
        # which sets the real timeout around its own attempts (see GroupCommitter).
        _drop_busy_timeout(connection)


def _drop_busy_timeout(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA busy_timeout = 0")


def _run_patiently(
    connection: sqlite3.Connection, job: Callable[..., T], busy_timeout_ms: int
) -> T:
    with patient(connection, busy_timeout_ms):
        return job(connection)
