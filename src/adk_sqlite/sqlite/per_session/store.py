"""`PerSessionSqliteStore`: sessions, artifacts and memories, one file per session."""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from adk_sqlite import records
from adk_sqlite.artifact_records import (
    USER_SCOPE,
    ArtifactKey,
    ArtifactPayload,
    ArtifactVersionRecord,
    StoredArtifact,
)
from adk_sqlite.closing import close_at_exit, forget_at_exit
from adk_sqlite.errors import ConfigurationError
from adk_sqlite.sqlite.engine.connection import Synchronous, connection_options, sqlite_errors
from adk_sqlite.sqlite.engine.worker_pool import WorkerPool
from adk_sqlite.sqlite.per_session import artifacts as _artifacts
from adk_sqlite.sqlite.per_session import forget as _forget
from adk_sqlite.sqlite.per_session import jobs as _jobs
from adk_sqlite.sqlite.per_session import lifecycle as _lifecycle
from adk_sqlite.sqlite.per_session import memory as _memory
from adk_sqlite.sqlite.per_session import pages as _pages
from adk_sqlite.sqlite.per_session.file_names import session_file_name
from adk_sqlite.sqlite.per_session.folder import SessionFile, SessionFolder, folder_path
from adk_sqlite.sqlite.per_session.listing_queue import ListingQueue
from adk_sqlite.sqlite.per_session.memory import catalog_memory_statements
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.sqlite.schema.artifact_sql import render_artifact_statements
from adk_sqlite.sqlite.schema.memory_sql import MemoryStatements
from adk_sqlite.sqlite.schema.statements import Statements, render_pages, render_statements
from adk_sqlite.storage.forget_report import ForgetReport
from adk_sqlite.storage.job_requests import Append, SessionsOf
from adk_sqlite.storage.memory_methods import MemoryMethods
from adk_sqlite.storage.store_base import StoreBase
from adk_sqlite.storage.store_options import StoreNames, deletes_session_artifacts
from adk_sqlite.storage.store_rules import event_session_key

__all__ = ["PerSessionSqliteStore"]

_logger = logging.getLogger("adk_sqlite.sqlite.per_session")

T = TypeVar("T")
Key = tuple[str, str, str]
# How long closing at exit waits for the operations already running.
_EXIT_TIMEOUT = 5.0


class _Slot(_jobs.Slot):
    """A session's open file, with the lock that gives it to one operation at a time."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        super().__init__()
        self.lock = asyncio.Lock()
        self.users = 0


class PerSessionSqliteStore(MemoryMethods, StoreBase):
    """Sessions in a folder, one SQLite file each, with a small catalog database.

    Build it with `adk_sqlite.SqliteStore.per_session_files`. The folder holds:

    * ``sessions/<app>+<user>+<session id>.db``: one file per session, with the
      shared layout's tables (the session row, its events, and a copy of the
      ``app:`` and ``user:`` state), readable on its own with ``sqlite3``;
    * ``catalog.db``: the list of sessions (with a copy of their listing data)
      and the authoritative ``app:`` and ``user:`` state;
    * ``archive/``: sessions moved out by `archive_session`.

    Appends to different sessions never wait for each other: each commits in
    its own file, and the catalog is written only when ``app:``/``user:``
    state changes (in the append) and, in batches after the appends returned,
    to copy listing data. See ``docs/per-session-files.md`` for the guarantees.

    Args:
        folder: The folder; created (mode 0700) if missing, its parent must exist.
        session_table, events_table, app_state_table, user_state_table: The names of
            the sessions, events, ``app:`` state and ``user:`` state tables.
        owner_id_column: Optional DDL of an owner column (no ``REFERENCES``:
            the table it would point to is not in a session file).
        busy_timeout: Seconds to wait for another process's lock on a file.
        synchronous: SQLite's ``synchronous`` level for every file. ``"FULL"``
            and ``"EXTRA"`` also sync the folder after renames and unlinks.
        max_open_sessions: Session files kept open between operations.
        threads: Worker threads running file operations in parallel.
        artifact_table: Name of the artifacts table (`adk_sqlite.ArtifactService`): in
            the catalog for user-scoped artifacts and those of sessions that do not
            exist, in a session's file for its own (see ``docs/per-session-files.md``).
        session_artifacts: What deleting a session does to its session-scoped
            artifacts: ``"keep"`` them, moved into the catalog (ADK's behaviour, the
            default), or ``"delete"`` them with the session's file. Archiving keeps
            them either way.
        memory_table: Name of the memories table (`adk_sqlite.MemoryService`), in the
            catalog with its index (``<name>_fts``, ``<name>_sessions``): a search
            opens no session file.

    Raises:
        ConfigurationError: An invalid folder, table name, owner column or option.
    """

    def __init__(
        self,
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
        artifact_table: str = "adk_artifacts",
        session_artifacts: Literal["keep", "delete"] = "keep",
        memory_table: str = "adk_memories",
    ) -> None:
        root = folder_path(folder)
        names = StoreNames.from_options(
            (session_table, events_table, app_state_table, user_state_table),
            owner_id_column=owner_id_column,
            artifact_table=artifact_table,
            memory_table=memory_table,
        )
        artifacts = names.artifacts
        reserved = {name.lower() for name in (*names.tables.as_tuple(), artifacts)} & set(
            _psql.RESERVED_TABLES
        )
        if reserved:
            raise ConfigurationError(f"table name {reserved.pop()!r} is used by this layout")
        self._memories: MemoryStatements = catalog_memory_statements(
            names, (*_psql.RESERVED_TABLES, artifacts)
        )
        busy_timeout_ms, synchronous = connection_options(
            busy_timeout=busy_timeout, synchronous=synchronous
        )
        if max_open_sessions < 1 or threads < 1:
            raise ConfigurationError("max_open_sessions and threads must be at least 1")
        owner = names.owner_column
        if owner is not None and "references" in owner.ddl.lower():
            raise ConfigurationError(
                "an owner column with REFERENCES cannot be used with one file per session:"
                " the table it refers to is not in the session's file"
            )
        self._folder = SessionFolder(
            root=root,
            statements=render_statements(names.tables, owner),
            busy_timeout_ms=busy_timeout_ms,
            synchronous=synchronous,
            artifact_statements=render_artifact_statements(artifacts),
            delete_session_artifacts=deletes_session_artifacts(session_artifacts),
        )
        self._catalog_pages = render_pages(names.tables, owner, catalog=True)
        self._file_pages = render_pages(names.tables, owner)
        self._max_open = max_open_sessions
        self._threads = threads
        self._pool: WorkerPool | None = None
        # Closing a file checkpoints it, as do background checkpoints: off the
        # threads that serve callers.
        self._background: concurrent.futures.ThreadPoolExecutor | None = None
        self._slots: OrderedDict[Key, _Slot] = OrderedDict()
        self._tasks: set[asyncio.Future[Any]] = set()
        self._listing = ListingQueue(self._write_listing, self._track)
        self._open_lock = asyncio.Lock()
        self._opened = False
        self._closed = False

    # --- lifecycle ------------------------------------------------------------------

    @property
    def folder(self) -> Path:
        """The folder holding ``catalog.db``, ``sessions/`` and ``archive/``."""
        return self._folder.root

    @property
    def _names(self) -> Statements:
        return self._folder.statements

    def session_file(self, *, app_name: str, user_id: str, session_id: str) -> Path:
        """Where a live session's file is (whether or not the session exists)."""
        return self._folder.sessions_dir / session_file_name(app_name, user_id, session_id)

    async def _shut_down(self) -> None:
        forget_at_exit(self)
        # Running operations finish and pending listing data is copied before
        # every file closes.
        self._listing.stop()
        if not self._opened:
            return
        pool, background = self._pool, self._background
        assert pool is not None
        assert background is not None
        while self._tasks or any(slot.users for slot in self._slots.values()):
            if self._tasks:
                await asyncio.wait(set(self._tasks))
            else:
                await pool.wait_idle()
                await asyncio.sleep(0)
        try:
            await self._listing.flush()
        finally:
            files = [slot.file for slot in self._slots.values() if slot.file is not None]
            self._slots.clear()
            await pool.submit(functools.partial(_close_all, self._folder, files))
            pool.stop()
            background.shutdown(wait=True)
            self._pool = self._background = None

    def close_sync(self) -> None:
        """Closes the store from synchronous code, when no event loop runs it.

        Called at interpreter exit for a store nobody closed: the operations already
        queued finish (up to a few seconds), the listing data still waiting is copied
        into the catalog, and every file closes, checkpointing its WAL. Prefer
        ``await close()`` wherever a loop runs.
        """
        if self._closed:
            return
        self._closed = True
        forget_at_exit(self)
        self._listing.stop()
        pool, background = self._pool, self._background
        if pool is None or background is None:
            return
        if not pool.stop(timeout=_EXIT_TIMEOUT):
            _logger.warning("%r: an operation was still running at exit; files left open", self)
            return
        try:
            with sqlite_errors(self._folder.target):
                if batch := self._listing.take_all():
                    _jobs.write_listing(self._folder, batch)
        finally:
            files = [slot.file for slot in self._slots.values() if slot.file is not None]
            self._slots.clear()
            _close_all(self._folder, files)
            background.shutdown(wait=True)
            self._pool = self._background = None

    def __del__(self) -> None:
        if getattr(self, "_opened", False) and not getattr(self, "_closed", True):
            self._warn_unclosed()
            if self._background is not None:
                self._background.shutdown(wait=False)

    async def _ensure_open(self) -> None:
        if self._opened and not self._closed:
            return
        async with self._open_lock:
            if self._closed:
                raise self._closed_error()
            if self._opened:
                return
            pool = WorkerPool(self._threads, "adk-sqlite-session")
            try:
                await pool.submit(functools.partial(_translated, _open_folder, self._folder))
            except BaseException:
                pool.stop()
                raise
            self._background = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="adk-sqlite-background"
            )
            self._folder.background = self._background
            self._pool, self._opened = pool, True
            close_at_exit(self)

    # --- running jobs ---------------------------------------------------------------

    def _submit(
        self,
        job: Callable[..., T],
        *args: Any,
        internal: bool = False,
        done: Callable[[], None] | None = None,
    ) -> asyncio.Future[T]:
        pool = self._pool
        # While closing, only the store's own work (listing data, closing files) runs.
        if pool is None or (self._closed and not internal):
            raise self._closed_error()
        return pool.submit(functools.partial(_translated, job, self._folder, *args), done=done)

    def _track(self, task: asyncio.Future[Any]) -> None:
        """Keeps a background task (a listing write, a file closing) for `close` to wait for."""
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Future[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            # A background failure is retried (the listing queue keeps its batch), not raised.
            _logger.debug("background task of %s failed: %r", self._folder.root, error)

    async def _write_listing(self, batch: list[_jobs.ListingUpdate]) -> None:
        await self._submit(_jobs.write_listing, batch, internal=True)

    async def _run(self, job: Callable[..., T], *args: Any) -> T:
        await self._ensure_open()
        return await self._submit(job, *args)

    async def _run_on_session(self, key: Key, job: Callable[..., T], *args: Any) -> T:
        """Runs ``job(folder, slot, key, ...)`` with the session's file to itself.

        The slot is given back when the job has run, not when the caller stops
        waiting: a cancelled caller must not free a file a worker still uses.
        """
        await self._ensure_open()
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
        self._slots.move_to_end(key)
        slot.users += 1
        try:
            await slot.lock.acquire()
        except BaseException:
            slot.users -= 1
            self._tidy(key, slot)
            raise
        try:
            future = self._submit(job, slot, key, *args, done=lambda: self._release(key, slot))
        except BaseException:
            self._release(key, slot)
            raise
        return await future

    def _release(self, key: Key, slot: _Slot) -> None:
        slot.users -= 1
        slot.lock.release()
        self._tidy(key, slot)

    def _tidy(self, key: Key, slot: _Slot) -> None:
        """Forgets an idle slot without a file; closes the least recently used files."""
        if not slot.users and slot.file is None and self._slots.get(key) is slot:
            del self._slots[key]
        if len(self._slots) <= self._max_open or self._background is None:
            return
        excess = len(self._slots) - self._max_open
        for old_key, old in list(self._slots.items()):
            if excess <= 0:
                break
            if old.users:
                continue
            del self._slots[old_key]
            excess -= 1
            if old.file is not None:
                self._track(
                    asyncio.get_running_loop().run_in_executor(self._background, old.file.close)
                )

    # --- the operation hooks of StoreBase ------------------------------------------

    def _create_session(
        self, key: Key, state: records.StateDelta, create_time: float, owner_id: Any
    ) -> Awaitable[records.SessionSnapshot]:
        return self._run(_lifecycle.create_session, key, state, create_time, owner_id)

    async def _read_session(
        self, key: Key, events: records.EventQuery | None, owner_id: Any
    ) -> records.SessionSnapshot | None:
        snapshot, update = await self._run_on_session(key, _jobs.read_session, events, owner_id)
        self._listing.add(update)
        return snapshot

    async def _list_sessions(self, listing: SessionsOf) -> records.SessionListing:
        await self._ensure_open()
        await self._listing.flush()
        return await self._run(_jobs.list_sessions, listing)

    async def _delete_session(self, key: Key, owner_id: Any) -> bool:
        deleted = await self._run_on_session(key, _lifecycle.delete_session, owner_id)
        self._listing.discard(key)
        return deleted

    async def _append_event(self, append: Append) -> records.AppendResult:
        result, update = await self._run_on_session(
            event_session_key(append.event), _jobs.append_event, append
        )
        self._listing.add(update)
        return result

    def _get_events(
        self, key: Key, query: records.EventQuery | None
    ) -> Awaitable[list[records.EventRecord]]:
        return self._run_on_session(key, _jobs.read_events, query)

    def _read_state(self, sql: str, params: tuple[str, ...]) -> Awaitable[dict[str, Any]]:
        return self._run(_jobs.read_state, sql, params)

    def _read_compaction_index(
        self, key: Key, limit: int | None
    ) -> Awaitable[records.CompactionIndex]:
        return self._run_on_session(key, _jobs.read_compaction_index, limit)

    async def _list_session_page(
        self, listing: SessionsOf, query: records.SessionPageQuery
    ) -> records.SessionPage:
        await self._ensure_open()
        await self._listing.flush()  # as _list_sessions: the states the page shows are current
        return await self._run(_pages.list_session_page, self._catalog_pages, listing, query)

    def _read_event_page(
        self, key: Key, query: records.EventPageQuery, owner_id: Any
    ) -> Awaitable[records.EventPage | None]:
        return self._run_on_session(key, _pages.read_event_page, self._file_pages, query, owner_id)

    # --- beyond BaseAsyncStore ------------------------------------------------------

    async def archive_session(
        self, *, app_name: str, user_id: str, session_id: str, owner_id: Any = None
    ) -> Path:
        """Moves a finished session's file into ``archive/`` and out of the store.

        The archived file holds the session, its events and the ``app:`` and
        ``user:`` state as they were, folded into one file that ``sqlite3`` and
        ``adk-sqlite show`` read. The store no longer sees the session; a new
        one may be created under the same id.

        Returns:
            The archived file.

        Raises:
            SessionNotFoundError: No such session (of this owner).
        """
        owner = self._checked_owner(owner_id)
        key = (app_name, user_id, session_id)
        await self._listing.flush()
        archived = await self._run_on_session(key, _lifecycle.archive_session, owner)
        self._listing.discard(key)
        return archived

    async def forget_user(self, *, app_name: str, user_id: str) -> ForgetReport:
        """Erases everything the folder holds about one user of one app.

        One catalog transaction (``secure_delete`` on) removes their sessions, ``user:``
        state, catalog artifacts and memories, and lists their files, which are then
        removed: live session files, archived copies and any set aside or left by a
        crash. The catalog's WAL is emptied after. Other users and ``app:`` state are
        untouched. A process killed after the commit leaves the files listed; the next
        store to open the folder, or ``check --repair``, removes them. See
        `adk_sqlite.sqlite.per_session.forget`.
        """
        await self._listing.flush()
        return await self._run(_forget.forget_user, self._memories, app_name, user_id)

    # --- ArtifactStore: where each version lives is decided in `artifacts` -----------

    @property
    def artifact_table(self) -> str:
        """The name of the artifacts table."""
        return self._folder.artifact_statements.table

    def _on_scope(self, key: ArtifactKey, job: Callable[..., T], *args: Any) -> Awaitable[T]:
        """Runs a job of `artifacts` on the session's slot, or on the catalog (user scope)."""
        session = (key.app_name, key.user_id, key.session_id)
        if key.session_id == USER_SCOPE:
            return self._run(job, None, session, *args)
        return self._run_on_session(session, job, *args)

    async def save_artifact(self, key: ArtifactKey, payload: ArtifactPayload) -> int:
        return await self._on_scope(key, _artifacts.save_artifact, key, payload)

    async def load_artifact(self, key: ArtifactKey, version: int | None) -> StoredArtifact | None:
        return await self._on_scope(key, _artifacts.load_artifact, key, version)

    async def list_artifact_keys(
        self, *, app_name: str, user_id: str, session_id: str | None
    ) -> list[str]:
        scope = USER_SCOPE if session_id is None else session_id
        return await self._on_scope(
            ArtifactKey(app_name, user_id, scope, ""), _artifacts.list_artifact_keys
        )

    async def list_artifact_versions(self, key: ArtifactKey) -> list[ArtifactVersionRecord]:
        return await self._on_scope(key, _artifacts.list_artifact_versions, key)

    async def delete_artifact(self, key: ArtifactKey) -> int:
        return await self._on_scope(key, _artifacts.delete_artifact, key)

    # --- MemoryStore: its jobs run on the folder, whose catalog holds the memories -----

    _memory_jobs = _memory

    @property
    def memory_table(self) -> str:
        """The name of the memories table in ``catalog.db`` (and its index's prefix)."""
        return self._memories.table

    def _read(self, job: Callable[..., Any]) -> Awaitable[Any]:
        # A memory job opens the catalog's read or write transaction itself.
        return self._run(job)

    _write = _read

    def __repr__(self) -> str:
        return f"PerSessionSqliteStore({str(self._folder.root)!r})"


def _translated(job: Callable[..., T], folder: SessionFolder, *args: Any) -> T:
    with sqlite_errors(folder.target):
        return job(folder, *args)


def _open_folder(folder: SessionFolder) -> None:
    folder.open()
    _forget.finish_erasures(folder)  # the files a killed forget_user left


def _close_all(folder: SessionFolder, files: list[SessionFile]) -> None:
    for file in files:
        file.close()
    folder.catalog.close()
