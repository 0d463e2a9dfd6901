"""What adk-sqlite's own stores share: the lifecycle, owner confinement, and one job per call.

`StoreBase` is the part every built-in store has: ``async with``, the check that
an ``owner_id`` is only given to a store with an owner column, the names it was
built with, the warning when one is garbage-collected open, and the
`BaseAsyncStore` methods themselves, written once: each checks the owner, builds
the session key and calls one hook (``_create_session``, ``_append_event``, ...)
that the backend implements. It subclasses `adk_sqlite.store.BaseAsyncStore`, so
the contract's docstrings are the stores' (``help()`` and `inspect.getdoc` find
them there).

`JobStore` implements the hooks for every backend whose operations are each one
function (a *job*, `adk_sqlite.storage.store_jobs`) run on one connection: a backend gives
it a jobs module (`StoreJobs`) and says how a read and a write reach a connection
(`JobStore._read`, `JobStore._write`). A hook binds the job's arguments and
returns the backend's awaitable, nothing more. The one-file-per-session store
implements the hooks itself (a job there runs on a session's own file).
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, Self, TypeVar

from adk_sqlite import records
from adk_sqlite.artifact_records import ArtifactKey, ArtifactVersionRecord
from adk_sqlite.closing import AsyncClosing
from adk_sqlite.errors import ConfigurationError, EventLoopError, StoreClosedError
from adk_sqlite.identifiers import OwnerColumn
from adk_sqlite.storage.job_requests import Append, SessionsOf
from adk_sqlite.storage.memory_methods import MemoryMethods
from adk_sqlite.storage.store_jobs import bind
from adk_sqlite.storage.store_options import TableNames
from adk_sqlite.store import BaseAsyncStore

__all__ = [
    "ArtifactJobs",
    "JobStore",
    "PageJobs",
    "RenderedStatements",
    "StoreBase",
    "StoreJobs",
]

Key = tuple[str, str, str]
P = ParamSpec("P")
R = TypeVar("R")


class RenderedStatements(Protocol):
    """What a store reads from its backend's rendered statements."""

    @property
    def tables(self) -> TableNames: ...

    @property
    def owner_column(self) -> OwnerColumn | None: ...

    @property
    def select_app_state(self) -> str: ...

    @property
    def select_user_state(self) -> str: ...


class StoreBase(AsyncClosing, BaseAsyncStore):
    """The lifecycle and owner confinement of adk-sqlite's stores.

    A subclass sets ``_statements`` (or overrides `_names`), ``_open_lock`` and
    ``_closed = False`` in its constructor, and implements `_ensure_open`,
    `_shut_down` and the operation hooks.
    """

    _statements: RenderedStatements
    # Held while the store opens or closes; ``_closed`` is set once, by `close`.
    _open_lock: asyncio.Lock
    _closed: bool
    # The event loop the store is in use from (see `_check_event_loop`).
    _event_loop: asyncio.AbstractEventLoop | None = None

    def _check_event_loop(self) -> None:
        """Refuses a call from a second event loop while the store's own still runs.

        Two running loops (threads) sharing one store's connections and locks corrupt
        them (a crash, a hang, or "cannot start a transaction within a transaction"
        seen before this check). A loop that has stopped hands the store on: scripts
        that call ``asyncio.run`` several times keep working.
        """
        current = asyncio.get_running_loop()
        owner = self._event_loop
        if owner is current:
            return
        if owner is not None and owner.is_running():
            raise EventLoopError(
                f"{self!r} is in use by another running event loop (another thread):"
                " open a store of its own in each thread's event loop, on the same database"
            )
        self._event_loop = current

    @property
    def _names(self) -> RenderedStatements:
        return self._statements

    @property
    def table_names(self) -> tuple[str, str, str, str]:
        """The (validated) sessions, events, app-state and user-state table names."""
        return self._names.tables.as_tuple()

    @property
    def owner_column_name(self) -> str | None:
        """The name of the sessions table's owner column, or None."""
        owner = self._names.owner_column
        return None if owner is None else owner.name

    @property
    def has_owner_column(self) -> bool:
        """Whether the sessions table has an owner (tenant) column."""
        return self._names.owner_column is not None

    async def create_tables(self) -> None:
        """Opens the store and creates or migrates the tables (idempotent).

        Other methods call it on first use, so calling it is optional.
        """
        await self._ensure_open()

    async def close(self) -> None:
        """Waits for operations in flight, then releases the connections. Idempotent.

        Later calls raise `adk_sqlite.errors.StoreClosedError`.
        """
        async with self._open_lock:
            if self._closed:
                return
            self._closed = True
            await self._shut_down()

    async def _ensure_open(self) -> object:
        """Opens the connections and migrates the tables on first use; raises once closed."""
        raise NotImplementedError

    async def _shut_down(self) -> None:
        """Releases what the store holds; run once, by `close`, under ``_open_lock``."""
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.create_tables()
        return self

    def _checked_owner(self, owner_id: Any) -> Any:
        """``owner_id``, refused when given to a store without an owner column."""
        if owner_id is not None and self._names.owner_column is None:
            raise ConfigurationError(
                f"an owner_id was given but this {type(self).__name__} has no owner_id_column"
            )
        return owner_id

    # --- BaseAsyncStore: written once; a store implements the hooks below ------------

    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        state: records.StateDelta,
        create_time: float,
        owner_id: Any = None,
    ) -> records.SessionSnapshot:
        key = (app_name, user_id, session_id)
        return await self._create_session(key, state, create_time, self._checked_owner(owner_id))

    async def read_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        events: records.EventQuery | None = None,
        owner_id: Any = None,
    ) -> records.SessionSnapshot | None:
        key = (app_name, user_id, session_id)
        return await self._read_session(key, events, self._checked_owner(owner_id))

    async def list_sessions(
        self, *, app_name: str, user_id: str | None = None, owner_id: Any = None
    ) -> records.SessionListing:
        listing = SessionsOf(app_name, user_id, self._checked_owner(owner_id))
        return await self._list_sessions(listing)

    async def list_session_page(
        self,
        *,
        app_name: str,
        user_id: str | None = None,
        page: records.SessionPageQuery,
        owner_id: Any = None,
    ) -> records.SessionPage:
        listing = SessionsOf(app_name, user_id, self._checked_owner(owner_id))
        return await self._list_session_page(listing, page)

    async def read_event_page(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        page: records.EventPageQuery,
        owner_id: Any = None,
    ) -> records.EventPage | None:
        key = (app_name, user_id, session_id)
        return await self._read_event_page(key, page, self._checked_owner(owner_id))

    async def delete_session(
        self, *, app_name: str, user_id: str, session_id: str, owner_id: Any = None
    ) -> bool:
        key = (app_name, user_id, session_id)
        return await self._delete_session(key, self._checked_owner(owner_id))

    async def append_event(
        self,
        *,
        event: records.EventRecord,
        delta: records.StateDelta,
        expected: records.StaleCheck,
        owner_id: Any = None,
        view: records.EventView | None = None,
    ) -> records.AppendResult:
        """`BaseAsyncStore.append_event`; ``view`` (adk-sqlite's stores only) is stored
        beside the event, in the same transaction, for `read_compaction_index`."""
        return await self._append_event(
            Append(event, delta, expected, self._checked_owner(owner_id), view)
        )

    async def read_compaction_index(
        self, *, app_name: str, user_id: str, session_id: str, limit: int | None = None
    ) -> records.CompactionIndex:
        """A session's compactions as their `records.EventView` recorded them, from
        indexes alone (no event is decoded), in one consistent read.

        ``limit``: read only the newest ``limit`` compactions. A session that does
        not exist reads as one without compactions.
        """
        return await self._read_compaction_index((app_name, user_id, session_id), limit)

    async def get_events(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        query: records.EventQuery | None = None,
    ) -> list[records.EventRecord]:
        return await self._get_events((app_name, user_id, session_id), query)

    async def get_app_state(self, *, app_name: str) -> dict[str, Any]:
        return await self._read_state(self._names.select_app_state, (app_name,))

    async def get_user_state(self, *, app_name: str, user_id: str) -> dict[str, Any]:
        return await self._read_state(self._names.select_user_state, (app_name, user_id))

    # The hooks: each runs one operation, its owner already checked, and returns an
    # awaitable of its result. ``Key`` is (app name, user id, session id); the
    # state hook takes the app's or a user's select statement and its parameters.
    _create_session: Callable[
        [Key, records.StateDelta, float, Any], Awaitable[records.SessionSnapshot]
    ]
    _read_session: Callable[
        [Key, records.EventQuery | None, Any], Awaitable[records.SessionSnapshot | None]
    ]
    _list_sessions: Callable[[SessionsOf], Awaitable[records.SessionListing]]
    _delete_session: Callable[[Key, Any], Awaitable[bool]]
    _list_session_page: Callable[
        [SessionsOf, records.SessionPageQuery], Awaitable[records.SessionPage]
    ]
    _read_event_page: Callable[
        [Key, records.EventPageQuery, Any], Awaitable[records.EventPage | None]
    ]
    _append_event: Callable[[Append], Awaitable[records.AppendResult]]
    _get_events: Callable[[Key, records.EventQuery | None], Awaitable[list[records.EventRecord]]]
    _read_compaction_index: Callable[[Key, int | None], Awaitable[records.CompactionIndex]]
    _read_state: Callable[[str, tuple[str, ...]], Awaitable[dict[str, Any]]]

    def _closed_error(self) -> StoreClosedError:
        return StoreClosedError(f"{self!r} is closed")

    def _warn_unclosed(self) -> None:
        """Called by ``__del__`` when the store still holds connections."""
        warnings.warn(
            f"{self!r} was garbage-collected while open; use 'async with' or 'await store.close()'",
            ResourceWarning,
            stacklevel=3,
        )


class ArtifactJobs(Protocol):
    """A backend's artifact jobs that `JobStore` runs: ``job(connection, table, ...)``."""

    def list_artifact_keys(
        self, connection: Any, table: Any, app_name: str, user_id: str, session_id: str | None, /
    ) -> object: ...

    def list_artifact_versions(
        self, connection: Any, table: Any, key: ArtifactKey, /
    ) -> object: ...

    def delete_artifact(self, connection: Any, table: Any, key: ArtifactKey, /) -> object: ...


class StoreJobs(Protocol):
    """A backend's jobs: each runs one store operation whole on one connection.

    Their results are the contract's records, returned directly (a job run on a
    worker thread) or awaited (a job on an asyncio driver); the backend's
    `JobStore._read` and `JobStore._write` know which.
    """

    def create_session(
        self,
        connection: Any,
        statements: Any,
        key: Key,
        state: records.StateDelta,
        create_time: float,
        owner_id: Any,
    ) -> object: ...

    def read_session(
        self,
        connection: Any,
        statements: Any,
        key: Key,
        query: records.EventQuery | None,
        owner_id: Any,
    ) -> object: ...

    def list_sessions(self, connection: Any, statements: Any, listing: SessionsOf) -> object: ...

    def delete_session(
        self, connection: Any, statements: Any, key: Key, owner_id: Any
    ) -> object: ...

    def append_event(self, connection: Any, statements: Any, append: Append) -> object: ...

    def read_events(
        self,
        connection: Any,
        statements: Any,
        key: Key,
        query: records.EventQuery | None,
    ) -> object: ...

    def read_state(self, connection: Any, sql: str, params: tuple[str, ...]) -> object: ...

    def read_compaction_index(
        self, connection: Any, statements: Any, key: Key, limit: int | None
    ) -> object: ...


class PageJobs(Protocol):
    """A backend's page jobs that `JobStore` runs (its page statements bound)."""

    def list_session_page(
        self,
        connection: Any,
        statements: Any,
        listing: SessionsOf,
        query: records.SessionPageQuery,
    ) -> object: ...

    def read_event_page(
        self,
        connection: Any,
        statements: Any,
        key: Key,
        query: records.EventPageQuery,
        owner_id: Any,
    ) -> object: ...


StatementsT = TypeVar("StatementsT", bound=RenderedStatements)


class JobStore(StoreBase, MemoryMethods, Generic[StatementsT]):
    """The operation hooks for a backend whose operations are jobs.

    The subclass sets ``_jobs``, ``_page_jobs``, ``_artifact_jobs`` and
    ``_memory_jobs`` (its jobs modules) and, in its constructor, what each family
    of jobs takes after the connection: ``_statements``, ``_page_statements``,
    ``_artifacts`` and ``_memories``. It implements `_read` and `_write`: each
    runs ``job(connection)`` (a job with its other arguments bound, see
    `adk_sqlite.storage.store_jobs.bind`) and returns its result, awaited for an asyncio
    driver. mypy cannot say "the job's result, awaited when the job is a
    coroutine" (it has no higher-kinded types), so the results are typed here,
    from the contract, and checked by the contract suite that runs over every
    backend.
    """

    _jobs: StoreJobs
    _statements: StatementsT

    def _job(
        self, job: Callable[Concatenate[Any, Any, P], R], /, *args: P.args, **kwargs: P.kwargs
    ) -> Callable[[Any], R]:
        """``job`` with the store's statements and the other arguments bound."""
        return bind(job, self._statements, *args, **kwargs)

    def _create_session(
        self, key: Key, state: records.StateDelta, create_time: float, owner_id: Any
    ) -> Awaitable[records.SessionSnapshot]:
        return self._write(self._job(self._jobs.create_session, key, state, create_time, owner_id))

    def _read_session(
        self, key: Key, events: records.EventQuery | None, owner_id: Any
    ) -> Awaitable[records.SessionSnapshot | None]:
        return self._read(self._job(self._jobs.read_session, key, events, owner_id))

    def _list_sessions(self, listing: SessionsOf) -> Awaitable[records.SessionListing]:
        return self._read(self._job(self._jobs.list_sessions, listing))

    def _delete_session(self, key: Key, owner_id: Any) -> Awaitable[bool]:
        return self._write_long(self._job(self._jobs.delete_session, key, owner_id))

    def _append_event(self, append: Append) -> Awaitable[records.AppendResult]:
        return self._write(self._job(self._jobs.append_event, append))

    def _get_events(
        self, key: Key, query: records.EventQuery | None
    ) -> Awaitable[list[records.EventRecord]]:
        return self._read(self._job(self._jobs.read_events, key, query))

    def _read_state(self, sql: str, params: tuple[str, ...]) -> Awaitable[dict[str, Any]]:
        return self._read(bind(self._jobs.read_state, sql, params))

    def _read_compaction_index(
        self, key: Key, limit: int | None
    ) -> Awaitable[records.CompactionIndex]:
        return self._read(self._job(self._jobs.read_compaction_index, key, limit))

    # --- pages: jobs of their own, with statements of their own ------------------------

    _page_jobs: PageJobs
    _page_statements: object

    def _list_session_page(
        self, listing: SessionsOf, query: records.SessionPageQuery
    ) -> Awaitable[records.SessionPage]:
        list_page = self._page_jobs.list_session_page
        return self._read(bind(list_page, self._page_statements, listing, query))

    def _read_event_page(
        self, key: Key, query: records.EventPageQuery, owner_id: Any
    ) -> Awaitable[records.EventPage | None]:
        read_page = self._page_jobs.read_event_page
        return self._read(bind(read_page, self._page_statements, key, query, owner_id))

    # --- ArtifactStore: the operations both job-based stores run alike -----------------
    # (saves and loads stay each store's own: SQLite chooses where a large one runs).

    _artifact_jobs: ArtifactJobs
    # The artifacts table as the backend's jobs take it: its statements, or on
    # PostgreSQL the record that also remembers whether the table exists.
    _artifacts: object

    async def list_artifact_keys(
        self, *, app_name: str, user_id: str, session_id: str | None
    ) -> list[str]:
        list_keys = self._artifact_jobs.list_artifact_keys
        keys: list[str] = await self._read(
            bind(list_keys, self._artifacts, app_name, user_id, session_id)
        )
        return keys

    async def list_artifact_versions(self, key: ArtifactKey) -> list[ArtifactVersionRecord]:
        versions: list[ArtifactVersionRecord] = await self._read(
            bind(self._artifact_jobs.list_artifact_versions, self._artifacts, key)
        )
        return versions

    async def delete_artifact(self, key: ArtifactKey) -> int:
        deleted: int = await self._write_long(
            bind(self._artifact_jobs.delete_artifact, self._artifacts, key)
        )
        return deleted
