"""`PostgresStore`: the `BaseAsyncStore` over PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

import asyncpg

from adk_sqlite.errors import ConfigurationError, StoreClosedError, UnencodableValueError
from adk_sqlite.identifiers import parse_owner_column, validate_identifier
from adk_sqlite.postgres import jobs as _jobs
from adk_sqlite.postgres.connection import PostgresTarget, create_pool, parse_dsn, postgres_errors
from adk_sqlite.postgres.export_target import TargetTables
from adk_sqlite.postgres.schema import migrate
from adk_sqlite.postgres.statements import Statements, TableNames, render_statements
from adk_sqlite.records import (
    AppendResult,
    EventQuery,
    EventRecord,
    SessionListing,
    SessionSnapshot,
    StaleCheck,
    StateDelta,
)

__all__ = ["PostgresStore"]

T = TypeVar("T")
Job = Callable[[asyncpg.Connection], Awaitable[T]]


class PostgresStore:
    """Sessions, events and scoped state in PostgreSQL, over an asyncpg pool.

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
        session_table: Name of the sessions table.
        events_table: Name of the events table.
        app_state_table: Name of the ``app:`` state table.
        user_state_table: Name of the ``user:`` state table.
        owner_id_column: Optional DDL of an owner (tenant) column added to the
            sessions table, e.g. ``"tenant_id BIGINT NOT NULL REFERENCES
            tenants(id) ON DELETE CASCADE"``. See `adk_sqlite.SessionService`'s
            ``owner_id``.
        min_pool_size: Connections the pool opens at once (URL only).
        max_pool_size: Connections the pool may hold (URL only).
        connect_timeout: Seconds to wait for a connection to open (URL only).
        lock_timeout: Seconds a writer waits for another writer's row lock
            before `adk_sqlite.errors.DatabaseLockedError`; None waits forever
            (URL only: configure your own pool's ``lock_timeout`` yourself).

    Raises:
        ConfigurationError: An invalid URL, table name, owner column or option.
    """

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
    ) -> None:
        tables = TableNames(
            sessions=validate_identifier(session_table, option="session_table"),
            events=validate_identifier(events_table, option="events_table"),
            app_states=validate_identifier(app_state_table, option="app_state_table"),
            user_states=validate_identifier(user_state_table, option="user_state_table"),
        )
        if len({name.lower() for name in tables.by_role().values()}) != 4:
            raise ConfigurationError("the four table names must be different")
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
        for option, value in (("connect_timeout", connect_timeout), ("lock_timeout", lock_timeout)):
            if value is not None and (not isinstance(value, int | float) or value <= 0):
                raise ConfigurationError(f"{option}={value!r}: expected seconds > 0")
        owner = None if owner_id_column is None else parse_owner_column(owner_id_column)
        self._statements: Statements = render_statements(tables, owner)
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

    @property
    def has_owner_column(self) -> bool:
        """Whether the sessions table has an owner (tenant) column."""
        return self._statements.owner_column is not None

    async def __aenter__(self) -> PostgresStore:
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
        """Opens the pool and creates or migrates the tables (idempotent)."""
        await self._ready()

    async def close(self) -> None:
        """Closes the pool this store opened (waiting for operations in flight). Idempotent.

        A pool passed to the constructor is left open.
        """
        async with self._open_lock:
            if self._closed:
                return
            self._closed = True
            pool, self._pool = self._pool, None
            if pool is not None and self._owns_pool:
                with postgres_errors(self.database):
                    await pool.close()

    def __del__(self) -> None:
        # getattr: __init__ may have raised before these were set.
        pool = getattr(self, "_pool", None)
        if pool is not None and getattr(self, "_owns_pool", False) and not self._closed:
            warnings.warn(
                f"PostgresStore({self.database!r}) was garbage-collected while open;"
                " use 'async with' or 'await store.close()'",
                ResourceWarning,
                stacklevel=2,
            )
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
            raise StoreClosedError(f"PostgresStore({self.database!r}) is closed")
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

    async def _ready(self) -> asyncpg.Pool:
        """The pool, with the tables created or migrated once per store."""
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
        pool = await self._ready()
        with postgres_errors(self.database):
            async with pool.acquire() as connection:
                return await job(connection)

    def _check_owner(self, owner_id: Any) -> None:
        if owner_id is not None and self._statements.owner_column is None:
            raise ConfigurationError(
                "an owner_id was given but this PostgresStore has no owner_id_column"
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
        _refuse_nul("the session", app_name=app_name, user_id=user_id, id=session_id)
        return await self._run(
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
        return await self._run(
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
        return await self._run(
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
        return await self._run(
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
        _refuse_nul(
            f"event {event.id!r}",
            **{name: getattr(event, name) for name in _EVENT_TEXT_FIELDS},
        )
        if not _TIMESTAMPTZ_LOWEST <= event.timestamp <= _TIMESTAMPTZ_HIGHEST:
            raise UnencodableValueError(
                f"event {event.id!r}: its timestamp {event.timestamp!r} is outside the range"
                " of PostgreSQL's timestamptz (4713 BC to 294276 AD)"
            )
        return await self._run(
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
        return await self._run(
            functools.partial(
                _jobs.select_events,
                statements=self._statements,
                key=(app_name, user_id, session_id),
                query=query,
            )
        )

    async def get_app_state(self, *, app_name: str) -> dict[str, Any]:
        return await self._run(
            functools.partial(
                _jobs.read_state, sql=self._statements.select_app_state, params=(app_name,)
            )
        )

    async def get_user_state(self, *, app_name: str, user_id: str) -> dict[str, Any]:
        return await self._run(
            functools.partial(
                _jobs.read_state,
                sql=self._statements.select_user_state,
                params=(app_name, user_id),
            )
        )

    def __repr__(self) -> str:
        return f"PostgresStore({self.database!r})"


# The event record's text columns. JSON columns need no check: JSON text writes a
# NUL as the escape \u0000, which PostgreSQL's json type keeps.
_EVENT_TEXT_FIELDS = (
    "id",
    "app_name",
    "user_id",
    "session_id",
    "invocation_id",
    "author",
    "branch",
    "error_code",
    "error_message",
)


# The Unix seconds PostgreSQL's timestamptz can hold (4713 BC to 294276 AD): the events
# table keeps each event's time as one, beside the exact float.
_TIMESTAMPTZ_LOWEST = -210866803200.0
_TIMESTAMPTZ_HIGHEST = 9224318015999.0


def _refuse_nul(what: str, **values: str | None) -> None:
    """PostgreSQL's text type cannot hold NUL: refused, naming the field, before any SQL."""
    for name, value in values.items():
        if value is not None and "\x00" in value:
            raise UnencodableValueError(
                f"{what}: its {name} holds a NUL character, which PostgreSQL text cannot store"
            )
