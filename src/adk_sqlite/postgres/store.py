"""`PostgresStore`: the `BaseAsyncStore` over PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal, TypeVar

import asyncpg

from adk_sqlite.artifact_records import (
    ArtifactKey,
    ArtifactPayload,
    StoredArtifact,
)
from adk_sqlite.errors import ConfigurationError
from adk_sqlite.postgres import artifact_jobs, forget, jobs, memory_jobs, page_jobs
from adk_sqlite.postgres.artifact_sql import render_artifact_statements
from adk_sqlite.postgres.connection import PostgresTarget, create_pool, parse_dsn, postgres_errors
from adk_sqlite.postgres.export_target import TargetTables
from adk_sqlite.postgres.memory_sql import render_memory_statements
from adk_sqlite.postgres.schema import migrate
from adk_sqlite.postgres.statements import Statements, render_statements
from adk_sqlite.storage.forget_report import ForgetReport
from adk_sqlite.storage.store_base import JobStore
from adk_sqlite.storage.store_jobs import bind
from adk_sqlite.storage.store_options import StoreNames, deletes_session_artifacts, seconds

__all__ = ["PostgresStore"]

T = TypeVar("T")
Job = Callable[[asyncpg.Connection], Awaitable[T]]


class PostgresStore(JobStore[Statements]):
    """Sessions, events, scoped state and artifacts in PostgreSQL, over an asyncpg pool.

    Nothing happens in the constructor: the first operation opens the pool (when
    given a URL) and creates (or migrates) the tables. Every write is one
    transaction that takes its decisions under a row lock on the session, so
    several processes, pools or services sharing the database get the same
    stale-writer guarantees as one.

    Args:
        dsn_or_pool: A ``postgresql://user:password@host:5432/database`` URL
            (``postgres://`` and ``postgresql+asyncpg://`` are accepted too; query
            parameters such as ``?search_path=agents`` become server settings),
            or an existing ``asyncpg.Pool``. A pool you pass stays yours:
            `close` does not close it.
        session_table, events_table, app_state_table, user_state_table: The names of
            the sessions, events, ``app:`` state and ``user:`` state tables.
        owner_id_column: Optional DDL of an owner (tenant) column, as for
            `adk_sqlite.SqliteStore` but in PostgreSQL's types, e.g. ``"tenant_id
            BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE"``.
        min_pool_size: Connections the pool opens at once (URL only).
        max_pool_size: Connections the pool may hold (URL only).
        connect_timeout: Seconds to wait for a connection to open (URL only).
        lock_timeout: Seconds a writer waits for another writer's row lock
            before `adk_sqlite.errors.DatabaseLockedError`; None waits forever
            (URL only: configure your own pool's ``lock_timeout`` yourself).
        artifact_table: Name of the artifacts table (`adk_sqlite.ArtifactService`),
            created on the first save.
        session_artifacts: ``"keep"`` (the default) or ``"delete"``, as for
            `adk_sqlite.SqliteStore`: what deleting a session does to its
            session-scoped artifacts.
        memory_table: Name of the memories table (`adk_sqlite.MemoryService`); its
            per-session progress and full-text index are ``<name>_sessions`` and
            ``<name>_search``. Created on the first write.

    Raises:
        ConfigurationError: An invalid URL, table name, owner column or option.
    """

    _jobs = jobs
    _page_jobs = page_jobs

    def __init__(
        self,
        dsn_or_pool: str | asyncpg.Pool,
        *,
        session_table: str = "adk_sessions",
        events_table: str = "adk_events",
        app_state_table: str = "adk_app_states",
        user_state_table: str = "adk_user_states",
        owner_id_column: str | None = None,
        min_pool_size: int = 1,
        max_pool_size: int = 10,
        connect_timeout: float = 10.0,
        lock_timeout: float | None = 30.0,
        artifact_table: str = "adk_artifacts",
        session_artifacts: Literal["keep", "delete"] = "keep",
        memory_table: str = "adk_memories",
    ) -> None:
        names = StoreNames.from_options(
            (session_table, events_table, app_state_table, user_state_table),
            owner_id_column=owner_id_column,
            artifact_table=artifact_table,
            memory_table=memory_table,
        )
        if not (
            isinstance(min_pool_size, int)
            and isinstance(max_pool_size, int)
            and 0 <= min_pool_size <= max_pool_size
            and max_pool_size >= 1
        ):
            raise ConfigurationError(
                f"min_pool_size={min_pool_size!r}, max_pool_size={max_pool_size!r}:"
                " expected 0 <= min_pool_size <= max_pool_size and max_pool_size >= 1"
            )
        seconds("connect_timeout", connect_timeout, zero_allowed=False)
        if lock_timeout is not None:
            seconds("lock_timeout", lock_timeout, zero_allowed=False)
        self._statements: Statements = render_statements(names.tables, names.owner_column)
        owner = names.owner_column
        self._page_statements = page_jobs.render_pages(
            names.tables, None if owner is None else owner.name
        )
        self._delete_session_artifacts = deletes_session_artifacts(session_artifacts)
        self._artifacts: artifact_jobs.ArtifactTable = artifact_jobs.ArtifactTable(
            render_artifact_statements(names.artifacts)
        )
        self._memories: memory_jobs.MemoryTables = memory_jobs.MemoryTables(
            render_memory_statements(names.memories)
        )
        self._target: PostgresTarget | None = None
        self._pool: asyncpg.Pool | None = None
        if isinstance(dsn_or_pool, asyncpg.Pool):
            self._pool = dsn_or_pool
            self._owns_pool = False
        else:
            self._target = parse_dsn(dsn_or_pool)
            self._owns_pool = True
        self._pool_sizes = (min_pool_size, max_pool_size)
        self._connect_timeout = connect_timeout
        self._lock_timeout = lock_timeout
        self._open_lock = asyncio.Lock()
        self._migrated = False
        self._closed = False

    # --- lifecycle ------------------------------------------------------------------

    @property
    def database(self) -> str:
        """The database this store uses: its URL with the password masked, or the pool."""
        return "<asyncpg pool>" if self._target is None else self._target.describe()

    async def _shut_down(self) -> None:
        # A pool passed to the constructor stays its owner's, open.
        pool, self._pool = self._pool, None
        if pool is not None and self._owns_pool:
            with postgres_errors(self.database):
                await pool.close()

    def __del__(self) -> None:
        # getattr: __init__ may have raised before these were set.
        pool = getattr(self, "_pool", None)
        if pool is not None and getattr(self, "_owns_pool", False) and not self._closed:
            self._warn_unclosed()
            pool.terminate()

    async def _open_pool(self) -> asyncpg.Pool:
        """The pool, opened on first use; the tables are not touched."""
        pool = self._pool
        if pool is not None and not self._closed:
            return pool
        async with self._open_lock:
            return await self._open_pool_locked()

    async def _open_pool_locked(self) -> asyncpg.Pool:
        if self._closed:
            raise self._closed_error()
        if self._pool is None:
            assert self._target is not None  # a store given a pool always has one
            self._pool = await create_pool(
                self._target,
                min_size=self._pool_sizes[0],
                max_size=self._pool_sizes[1],
                connect_timeout=self._connect_timeout,
                lock_timeout=self._lock_timeout,
            )
        return self._pool

    async def _ensure_open(self) -> asyncpg.Pool:
        """The pool, with the tables created or migrated once per store."""
        self._check_event_loop()
        pool = self._pool
        if pool is not None and self._migrated and not self._closed:
            return pool
        async with self._open_lock:
            pool = await self._open_pool_locked()
            if not self._migrated:
                try:
                    with postgres_errors(self.database):
                        async with pool.acquire() as connection:
                            await migrate(connection, self._statements)
                except BaseException:
                    # A store whose tables are refused holds no connections: a
                    # caller that never reaches close() leaks nothing.
                    if self._owns_pool:
                        self._pool = None
                        with postgres_errors(self.database):
                            await pool.close()
                    raise
                self._migrated = True
            return pool

    @contextlib.asynccontextmanager
    async def export_target(self) -> AsyncIterator[TargetTables]:
        """This store's tables as an export's target, on one pooled connection.

        Part of the backend's internal API for `adk_sqlite.transfer.export`: the
        connection is taken before the tables are migrated, so that a bad URL or
        password fails before the export reads anything more.
        """
        pool = await self._open_pool()
        with postgres_errors(self.database):
            async with pool.acquire() as connection:
                yield TargetTables(connection, self._statements, self.database)

    async def _run(self, job: Job[T]) -> T:
        pool = await self._ensure_open()
        with postgres_errors(self.database):
            async with pool.acquire() as connection:
                return await job(connection)

    # Every write decides under a row lock, so reads and writes run alike.
    _read = _write = _run

    def _delete_session(self, key: tuple[str, str, str], owner_id: Any) -> Awaitable[bool]:
        if not self._delete_session_artifacts:
            return super()._delete_session(key, owner_id)
        return self._write(functools.partial(self._delete_with_artifacts, key, owner_id))

    async def _delete_with_artifacts(
        self, key: tuple[str, str, str], owner_id: Any, connection: asyncpg.Connection
    ) -> bool:
        async with connection.transaction():
            deleted = await jobs.delete_session(connection, self._statements, key, owner_id)
            if deleted:
                await artifact_jobs.delete_session_artifacts(connection, self._artifacts, key)
        return deleted

    async def forget_user(
        self, *, app_name: str, user_id: str, vacuum: bool = True
    ) -> ForgetReport:
        """Erases everything the database holds about one user of one app, in one transaction.

        Their sessions and events, ``user:`` state, artifacts and memories (with their
        vectors and the index's watermarks), whatever owner their sessions have. Other
        users, and the app's ``app:`` state, are untouched. With ``vacuum`` (default),
        ``VACUUM`` then runs on every table touched, so no dead tuple of the user is
        left in their pages; see `adk_sqlite.postgres.forget` for what it does not reach
        (WAL, replicas, backups).
        """
        pool = await self._ensure_open()
        with postgres_errors(self.database):
            async with pool.acquire() as connection:
                report, touched = await forget.forget_user(
                    connection,
                    self._statements,
                    self._artifacts.statements,
                    self._memories.statements,
                    app_name,
                    user_id,
                )
                if vacuum:
                    await forget.vacuum_tables(connection, touched)
        return report

    # --- ArtifactStore --------------------------------------------------------------

    @property
    def artifact_table(self) -> str:
        """The name of the artifacts table."""
        return self._artifacts.statements.table

    _artifact_jobs = artifact_jobs

    async def save_artifact(self, key: ArtifactKey, payload: ArtifactPayload) -> int:
        saved: int = await self._run(
            bind(artifact_jobs.save_artifact, self._artifacts, key, payload)
        )
        return saved

    async def load_artifact(self, key: ArtifactKey, version: int | None) -> StoredArtifact | None:
        loaded: StoredArtifact | None = await self._run(
            bind(artifact_jobs.load_artifact, self._artifacts, key, version)
        )
        return loaded

    # --- MemoryStore ----------------------------------------------------------------

    _memory_jobs = memory_jobs

    @property
    def memory_table(self) -> str:
        """The name of the memories table (and the prefix of its other tables' names)."""
        return self._memories.statements.table

    def __repr__(self) -> str:
        return f"PostgresStore({self.database!r})"
