"""The memory backends the contract suite runs over: one entry each in `BACKENDS`.

A backend is an async context manager factory, ``(tmp_path: Path) ->
AbstractAsyncContextManager[BaseMemoryService]``: given the test's ``tmp_path`` it
yields a ready, empty `BaseMemoryService` and releases everything it opened on
exit. Calling the factory a second time with the same ``tmp_path``, while the
first service is still open or after it closed, must give a second service
instance over the *same* storage (same SQLite file, same folder, same PostgreSQL
schema): the tests that take ``open_second_service`` use that for two instances
adding at once and for finding memories across instances and reopens. A backend
that cannot do this (ADK's in-memory service) is listed in
`SINGLE_INSTANCE_BACKENDS`, and those tests are skipped for it.

The references, ADK's own services, are listed in `REFERENCE_BACKENDS`: tests
marked ``ours_only`` are skipped for them, and a test that pins one of our
choices where a reference behaves otherwise carries ``@xfail_on(<reference>, ...)``
(see `_support.xfail_on`), a strict xfail on that reference only.

- ``adk-memory``: ADK's `InMemoryMemoryService` (google/adk/memory/in_memory_memory_service.py).
- ``adk-sqlite-memory``: ADK's `SqliteMemoryService`
  (google/adk/memory/_sqlite_memory_service.py), FTS5 on (this SQLite has it).
- ``sqlite``, ``sqlite-per-session``, ``postgres``: ``adk_sqlite.MemoryService``
  over `SqliteStore` (one file), `SqliteStore.per_session_files` (memories in the
  folder's catalog.db) and `PostgresStore` (a fresh schema; skipped without a server).

Adding one of our backends is one factory and one entry in `BACKENDS`; nothing
else in the suite changes. With ``adk_sqlite.MemoryService(store)``::

    from adk_sqlite import MemoryService, SqliteStore

    @asynccontextmanager
    async def _sqlite(tmp_path: Path) -> AsyncIterator[BaseMemoryService]:
        store = SqliteStore(tmp_path / "memory.db")
        try:
            yield MemoryService(store)
        finally:
            await store.close()

    BACKENDS["sqlite"] = _sqlite  # i.e. a "sqlite": _sqlite line in the dict below

(``sqlite-per-session``: ``SqliteStore.per_session_files(tmp_path / "agent-sessions")``;
``postgres``: the ``_postgres`` factory of tests/artifacts/_backends.py with
``MemoryService`` for ``ArtifactService``: a fresh schema whose URL the first call
leaves in ``tmp_path``, where a second call finds it.) If ``MemoryService`` gets a
``close()``, call it before closing the store. Do not add our backends to
`REFERENCE_BACKENDS` or `SINGLE_INSTANCE_BACKENDS`; list a backend whose service
cannot be used from several event loops in `LOOP_BOUND_BACKENDS`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from google.adk.memory import InMemoryMemoryService, SqliteMemoryService
from google.adk.memory.base_memory_service import BaseMemoryService

MemoryBackend = Callable[[Path], AbstractAsyncContextManager[BaseMemoryService]]


@asynccontextmanager
async def _adk_memory(tmp_path: Path) -> AsyncIterator[BaseMemoryService]:
    # Holds no resources and has no close(); a second call gives an unrelated,
    # empty service (hence SINGLE_INSTANCE_BACKENDS).
    yield InMemoryMemoryService()


@asynccontextmanager
async def _adk_sqlite_memory(tmp_path: Path) -> AsyncIterator[BaseMemoryService]:
    # One connection per call on a file database; a second call over the same
    # file is a second instance over the same storage.
    service = SqliteMemoryService(tmp_path / "adk-memory.db", fts="on")
    try:
        yield service
    finally:
        await service.close()


@asynccontextmanager
async def _postgres(tmp_path: Path) -> AsyncIterator[BaseMemoryService]:
    # As tests/artifacts/_backends.py: the first call makes a fresh schema (a skip
    # without a server) and leaves its URL in tmp_path for a second call; it drops it.
    from contextlib import AsyncExitStack

    from adk_sqlite import MemoryService
    from adk_sqlite.postgres import PostgresStore
    from support.postgres import fresh_schema

    url_file = tmp_path / "postgres-url"
    async with AsyncExitStack() as schema:
        if not url_file.exists():
            url_file.write_text(await schema.enter_async_context(fresh_schema()))
        store = PostgresStore(url_file.read_text())
        try:
            yield MemoryService(store)
        finally:
            await store.close()


@asynccontextmanager
async def _sqlite(tmp_path: Path) -> AsyncIterator[BaseMemoryService]:
    # One database file; a second call opens the same file.
    from adk_sqlite import MemoryService, SqliteStore

    store = SqliteStore(tmp_path / "memory.db")
    try:
        yield MemoryService(store)
    finally:
        await store.close()


@asynccontextmanager
async def _sqlite_per_session(tmp_path: Path) -> AsyncIterator[BaseMemoryService]:
    # The memories are in the folder's catalog.db; a second call opens the same folder.
    from adk_sqlite import MemoryService, SqliteStore

    store = SqliteStore.per_session_files(tmp_path / "agent-sessions")
    try:
        yield MemoryService(store)
    finally:
        await store.close()


BACKENDS: dict[str, MemoryBackend] = {
    "adk-memory": _adk_memory,
    "adk-sqlite-memory": _adk_sqlite_memory,
    "sqlite": _sqlite,
    "sqlite-per-session": _sqlite_per_session,
    "postgres": _postgres,
}

# Backends that only serve as the reference for the shared contract.
REFERENCE_BACKENDS: frozenset[str] = frozenset({"adk-memory", "adk-sqlite-memory"})

# Backends where a second factory call does not reach the first one's storage.
SINGLE_INSTANCE_BACKENDS: frozenset[str] = frozenset({"adk-memory"})

# Backends whose service must stay in the event loop it was first used in: the tests
# with threads, each running its own loop, give each thread an instance of its own
# over the shared storage instead of one shared instance. When tried with one shared
# instance: PostgresStore (asyncpg's connections belong to one loop) crashed the
# interpreter (a segmentation fault); SqliteStore (one file; reads and commits run
# inline on the loop's thread) raised "cannot start a transaction within a
# transaction", once hung and once crashed. The per-session layout passed. Both stores
# now refuse a second running loop with EventLoopError (tests/sqlite/test_event_loops.py).
LOOP_BOUND_BACKENDS: frozenset[str] = frozenset({"sqlite", "postgres"})


def is_reference(backend_name: str) -> bool:
    """True for ADK's own services, false for adk-sqlite's backends."""
    return backend_name in REFERENCE_BACKENDS
