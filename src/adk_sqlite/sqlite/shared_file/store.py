"""`SqliteStore`: the `BaseAsyncStore` and the `ArtifactStore` in one SQLite file."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar

from adk_sqlite import records
from adk_sqlite.artifact_records import (
    ArtifactKey,
    ArtifactPayload,
    StoredArtifact,
)
from adk_sqlite.closing import close_at_exit, forget_at_exit
from adk_sqlite.sqlite import artifact_jobs, memory_jobs
from adk_sqlite.sqlite.engine.connection import (
    DatabaseTarget,
    Role,
    Synchronous,
    connection_options,
    is_busy_error,
    is_interrupted_error,
    open_connection,
    parse_database,
    run_on_connection,
    sqlite_errors,
    time_limited,
)
from adk_sqlite.sqlite.engine.worker_connection import WorkerConnection
from adk_sqlite.sqlite.engine.writer import Checkpointer, GroupCommitter, WriteLock
from adk_sqlite.sqlite.per_session.store import PerSessionSqliteStore
from adk_sqlite.sqlite.schema.artifact_sql import ArtifactStatements, render_artifact_statements
from adk_sqlite.sqlite.schema.memory_sql import MemoryStatements, render_memory_statements
from adk_sqlite.sqlite.schema.migrations import migrate
from adk_sqlite.sqlite.schema.statements import Statements, render_pages, render_statements
from adk_sqlite.sqlite.shared_file import forget, jobs, page_jobs
from adk_sqlite.sqlite.shared_file.forget import ForgetReport
from adk_sqlite.sqlite.table_sets import damaged_events_table
from adk_sqlite.storage.job_requests import Append, SessionsOf
from adk_sqlite.storage.store_base import JobStore
from adk_sqlite.storage.store_jobs import bind
from adk_sqlite.storage.store_options import StoreNames, deletes_session_artifacts

__all__ = ["SqliteStore"]

T = TypeVar("T")

_logger = logging.getLogger("adk_sqlite.sqlite")
# How long closing at exit waits for a connection's running job.
_EXIT_TIMEOUT = 5.0

INLINE_READ_SECONDS = 0.002
"""How long a read may run on the event loop's thread before it moves to a thread."""
# How many long reads (sessions, listings) a store remembers to run off the loop at once.
_LONG_READS_KEPT = 1024
# What a long read is remembered by: a session's (app, user, id), or a listing's
# (app, user), user None for the whole app's. The lengths differ, so they never clash.
LongReadKey = tuple[str, str, str] | tuple[str, str | None]


class SqliteStore(JobStore[Statements]):
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
        session_table, events_table, app_state_table, user_state_table: The names of
            the sessions, events, ``app:`` state and ``user:`` state tables.
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
        artifact_table: Name of the artifacts table (`adk_sqlite.ArtifactService`),
            created on the first save.
        session_artifacts: What deleting a session does to its session-scoped
            artifacts: ``"keep"`` them loadable (ADK's behaviour, the default) or
            ``"delete"`` them in the same transaction. ``user:`` artifacts stay.
        memory_table: Name of the memories table (`adk_sqlite.MemoryService`); its
            full-text index and its per-session progress are ``<name>_fts`` and
            ``<name>_sessions``. Created on the first write.

    Raises:
        ConfigurationError: An invalid table name, owner column, URL or option.
    """

    _jobs = jobs
    _page_jobs = page_jobs

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
        artifact_table: str = "adk_artifacts",
        session_artifacts: Literal["keep", "delete"] = "keep",
        memory_table: str = "adk_memories",
    ) -> None:
        self._target: DatabaseTarget = parse_database(database)
        names = StoreNames.from_options(
            (session_table, events_table, app_state_table, user_state_table),
            owner_id_column=owner_id_column,
            artifact_table=artifact_table,
            memory_table=memory_table,
        )
        self._busy_timeout_ms, self._synchronous = connection_options(
            busy_timeout=busy_timeout, synchronous=synchronous
        )
        self._statements: Statements = render_statements(names.tables, names.owner_column)
        self._page_statements = render_pages(names.tables, names.owner_column)
        self._artifacts: ArtifactStatements = render_artifact_statements(names.artifacts)
        self._delete_session_artifacts = deletes_session_artifacts(session_artifacts)
        self._memories: MemoryStatements = render_memory_statements(names.memories)
        self._inline_reads = bool(inline_io) and self._target.path is not None
        self._inline_commits = (
            self._inline_reads and not self._target.read_only and synchronous in ("OFF", "NORMAL")
        )
        self._writer: WorkerConnection | None = None
        self._reader: WorkerConnection | None = None
        # With inline reads, the reads too long for the loop's thread run on a
        # connection of their own (opened on first use): never on the inline reader,
        # whose transaction an inline read may be using meanwhile.
        self._off_loop_reader: WorkerConnection | None = None
        self._off_loop_reader_lock = asyncio.Lock()
        # Sessions and listings whose last inline read ran out of time: read off the
        # loop at once, not interrupted and read a second time.
        self._long_reads: dict[LongReadKey, None] = {}
        self._committer: GroupCommitter | None = None
        self._lock: WriteLock | None = None
        self._checkpointer: Checkpointer | None = None
        self._open_lock = asyncio.Lock()
        self._closed = False
        # Bytes of large artifact versions saved since the last checkpoint request.
        self._large_bytes_written = 0

    # The other layout, with the same options plus its own: see `PerSessionSqliteStore`.
    per_session_files = staticmethod(PerSessionSqliteStore)

    # --- lifecycle ------------------------------------------------------------------

    @property
    def database(self) -> str:
        """The database this store uses: a file path or ``":memory:"``."""
        return self._target.describe()

    async def _shut_down(self) -> None:
        forget_at_exit(self)
        # Pending writes first: they commit before the connections close.
        if self._committer is not None:
            await self._committer.wait_idle()
        if self._checkpointer is not None:
            await self._checkpointer.close()
        for connection in {id(c): c for c in self._connections() if c}.values():
            await connection.close()
        if self._lock is not None:
            self._lock.close()
        self._reader = self._writer = self._off_loop_reader = self._committer = None
        self._lock = self._checkpointer = None

    def close_sync(self) -> None:
        """Closes the store from synchronous code, when no event loop runs it.

        Called at interpreter exit for a store nobody closed (ADK's servers never close
        their services): jobs already queued finish (up to a few seconds each), then
        the connections close, the last one checkpointing the WAL into the database
        and removing the ``-wal`` file. Prefer ``await close()`` wherever a loop runs.
        """
        if self._closed:
            return
        self._closed = True
        forget_at_exit(self)
        closed = True
        if self._checkpointer is not None:
            closed &= self._checkpointer.close_sync(timeout=_EXIT_TIMEOUT)
        for connection in {id(c): c for c in self._connections() if c}.values():
            closed &= connection.close_sync(timeout=_EXIT_TIMEOUT)
        if self._lock is not None:
            self._lock.close()
        self._reader = self._writer = self._off_loop_reader = self._committer = None
        self._lock = self._checkpointer = None
        if not closed:
            _logger.warning(
                "%r: a job was still running at exit; its connection was left open", self
            )

    def __del__(self) -> None:
        # getattr: __init__ may have raised before these were set.
        if getattr(self, "_writer", None) is not None and not getattr(self, "_closed", True):
            self._warn_unclosed()
            # Stop the worker threads; their sqlite3 connections close with them.
            for connection in {id(c): c for c in self._connections() if c}.values():
                connection.stop()
            if self._checkpointer is not None:
                self._checkpointer.stop()
            if self._lock is not None:
                self._lock.close()

    async def _ensure_open(self) -> GroupCommitter:
        self._check_event_loop()
        committer = self._committer
        if committer is not None:
            return committer
        async with self._open_lock:
            if self._closed:
                raise self._closed_error()
            # Another task may have opened the store while this one waited.
            return self._committer or await self._open()

    async def _open(self) -> GroupCommitter:
        writer = await self._connect("writer")
        connections = [writer]
        try:
            with sqlite_errors(self._target):
                await run_on_connection(
                    writer, functools.partial(migrate, statements=self._statements)
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
        close_at_exit(self)
        return self._committer

    async def _connect(self, role: Role) -> WorkerConnection:
        return await open_connection(
            self._target,
            role=role,
            busy_timeout_ms=self._busy_timeout_ms,
            synchronous=self._synchronous,
        )

    def _connections(self) -> tuple[WorkerConnection | None, ...]:
        return (self._reader, self._writer, self._off_loop_reader)

    async def _read(self, job: Callable[..., T], *, remember_as: LongReadKey | None = None) -> T:
        """Runs a read job: inline when it is short, else on a thread.

        Inline, a job that is still running after `INLINE_READ_SECONDS` is
        interrupted and run again off the loop (and what it read, ``remember_as``,
        is read off the loop from then on); so is one that finds the file locked: a
        WAL reader waits only while another connection recovers the log or holds
        the file exclusively, and that wait, with the configured busy timeout,
        must not happen on the event loop.
        """
        await self._ensure_open()
        reader = self._reader
        if reader is None:
            raise self._closed_error()
        with sqlite_errors(self._target):
            if not self._inline_reads:
                return await run_on_connection(reader, job)
            if remember_as is None or remember_as not in self._long_reads:
                try:
                    with time_limited(reader.raw, INLINE_READ_SECONDS) as limit:
                        return job(reader.raw)
                except sqlite3.OperationalError as exc:
                    if limit.exceeded and is_interrupted_error(exc):
                        self._remember_long(remember_as)
                    elif not is_busy_error(exc):
                        raise
            return await run_on_connection(await self._reader_off_loop(), job)

    def _remember_long(self, key: LongReadKey | None) -> None:
        if key is None:
            return
        if len(self._long_reads) >= _LONG_READS_KEPT:
            del self._long_reads[next(iter(self._long_reads))]
        self._long_reads[key] = None

    async def _reader_off_loop(self) -> WorkerConnection:
        """The connection whose thread runs the reads kept off the event loop."""
        if not self._inline_reads:
            reader = self._reader  # every read runs on its thread already
        else:
            async with self._off_loop_reader_lock:
                reader = self._off_loop_reader
                if reader is None and not self._closed:
                    reader = self._off_loop_reader = await self._connect("reader")
        if reader is None or self._closed:
            raise self._closed_error()
        return reader

    def _read_session(
        self, key: tuple[str, str, str], events: records.EventQuery | None, owner_id: Any
    ) -> Awaitable[records.SessionSnapshot | None]:
        job = self._job(jobs.read_session, key, events, owner_id)
        # A whole session (or all after a time) may be long; the newest n never is.
        whole = events is None or events.limit is None
        return self._read(job, remember_as=key if whole else None)

    def _list_sessions(self, listing: SessionsOf) -> Awaitable[records.SessionListing]:
        # A user (or an app) with thousands of sessions lists for longer than the
        # inline budget: remembered like a long session, so that its next listings
        # go to a thread at once instead of being interrupted and read twice.
        job = self._job(jobs.list_sessions, listing)
        return self._read(job, remember_as=(listing.app_name, listing.user_id))

    def _append_event(self, append: Append) -> Awaitable[records.AppendResult]:
        # The group committer keeps appends of long tool answers off the loop's thread
        # (`writer.INLINE_WRITE_BYTES`), alone or many at once.
        return self._write(
            self._job(self._jobs.append_event, append),
            size=records.payload_length(append.event),
        )

    def _write_sized(self, job: Callable[..., T], size: int) -> Awaitable[T]:
        return self._write(job, size=size)

    def _write_long(self, job: Callable[..., T]) -> Awaitable[T]:
        # Deleting a 10,000-event session, 100 artifact versions or a session's
        # thousands of memories took 20-30 ms on the loop's thread; a delete is rare,
        # and the thread hop tens of microseconds.
        return self._write(job, off_loop=True)

    def _write(
        self, job: Callable[..., T], *, off_loop: bool = False, size: int = 0
    ) -> Awaitable[T]:
        # Once the store is open, the committer's own coroutine is the write: two
        # coroutine frames fewer per append than awaiting _ensure_open first (an
        # append costs the loop's thread 100 µs, and every frame a resume passes through
        # counts).
        self._check_event_loop()
        committer = self._committer
        if committer is not None:
            return committer.submit(job, off_loop=off_loop, size=size)
        return self._write_once_open(job, off_loop=off_loop, size=size)

    async def _write_once_open(self, job: Callable[..., T], *, off_loop: bool, size: int) -> T:
        committer = await self._ensure_open()
        return await committer.submit(job, off_loop=off_loop, size=size)

    async def _read_off_loop(self, job: Callable[..., T]) -> T:
        await self._ensure_open()
        reader = await self._reader_off_loop()
        with sqlite_errors(self._target):
            return await run_on_connection(reader, job)

    async def forget_user(self, *, app_name: str, user_id: str) -> ForgetReport:
        """Erases everything this file holds about one user of one app, in one transaction.

        Their sessions and events, ``user:`` state, artifacts, memories and any events
        ``check --repair`` set aside; freed pages are zeroed (``secure_delete``) and the
        WAL is emptied afterwards, so their data is left in neither file. Other users,
        and the app's ``app:`` state, are untouched.
        """
        report: ForgetReport = await self._write(
            functools.partial(
                forget.forget_user,
                statements=self._statements,
                artifact_statements=self._artifacts,
                memory_statements=self._memories,
                damaged_events_table=damaged_events_table(self._statements.tables),
                app_name=app_name,
                user_id=user_id,
            ),
            off_loop=True,
        )
        if self._checkpointer is not None:
            await self._checkpointer.truncate_now()
        return report

    def _delete_session(self, key: tuple[str, str, str], owner_id: Any) -> Awaitable[bool]:
        if not self._delete_session_artifacts:
            return super()._delete_session(key, owner_id)
        return self._write_long(
            self._job(jobs.delete_session_and_artifacts, self._artifacts, key, owner_id)
        )

    # --- ArtifactStore --------------------------------------------------------------

    _artifact_jobs = artifact_jobs

    @property
    def artifact_table(self) -> str:
        """The name of the artifacts table."""
        return self._artifacts.table

    async def save_artifact(self, key: ArtifactKey, payload: ArtifactPayload) -> int:
        size = 0 if payload.data is None else len(payload.data)
        large = size > artifact_jobs.OFF_LOOP_ABOVE
        job = bind(artifact_jobs.save_artifact, self._artifacts, key, payload)
        if large and self._checkpointer is not None:
            # Back-pressure: a large save waits while a checkpoint runs. A restart
            # waits for a moment without a writer; a stream of large saves would never
            # give it one, and the WAL would grow by all of them.
            await self._checkpointer.settled()
        version = await self._write(job, off_loop=large, size=size)
        if large and self._checkpointer is not None:
            self._large_bytes_written += size
            if self._large_bytes_written >= artifact_jobs.CHECKPOINT_AFTER_BYTES:
                self._large_bytes_written = 0
                self._checkpointer.request(restart=True)
        return version

    async def load_artifact(self, key: ArtifactKey, version: int | None) -> StoredArtifact | None:
        job = functools.partial(
            artifact_jobs.load_artifact, statements=self._artifacts, key=key, version=version
        )
        if self._inline_reads:
            # Small versions are read on the loop's thread; a large one's copy is not.
            stored = await self._read(functools.partial(job, largest=artifact_jobs.OFF_LOOP_ABOVE))
            if not isinstance(stored, artifact_jobs.TooLargeHere):
                return stored
        loaded = await self._read_off_loop(job)
        assert not isinstance(loaded, artifact_jobs.TooLargeHere)
        return loaded

    # --- MemoryStore ----------------------------------------------------------------

    _memory_jobs = memory_jobs

    @property
    def memory_table(self) -> str:
        """The name of the memories table (and the prefix of its index's tables)."""
        return self._memories.table

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
