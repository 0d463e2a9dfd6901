"""The artifact backends the contract suite runs over: one entry each in `BACKENDS`.

A backend is an async context manager factory: given the test's ``tmp_path`` it
yields a ready, empty `BaseArtifactService` and releases everything it opened on
exit. Calling the factory a second time with the same ``tmp_path`` while the
first service is still open must give a second service instance over the *same*
storage (same SQLite file, same PostgreSQL schema): the ``ours_only`` tests use
that for concurrency across instances and for persistence across a reopen.

``adk-memory`` is ADK's own `InMemoryArtifactService`, the reference the shared
contract is checked against. It is listed in `REFERENCE_BACKENDS`: tests marked
``ours_only`` are skipped for it, and the ``is_reference`` fixture lets a test
assert each side's documented behaviour where ADK and we differ.

Adding one of our backends is one factory and one entry, for example::

    @asynccontextmanager
    async def _sqlite(tmp_path: Path) -> AsyncIterator[BaseArtifactService]:
        store = SqliteStore(tmp_path / "artifacts.db")
        service = ArtifactService(store)
        try:
            yield service
        finally:
            await service.close()
            await store.close()

    BACKENDS["sqlite"] = _sqlite  # i.e. a "sqlite": _sqlite line in the dict below

(``sqlite-per-session``: ``SqliteStore.per_session_files(tmp_path / "agent-sessions")``;
``postgres``: a schema whose name is derived from ``tmp_path``, so that a second
call reaches the same schema, dropped when the test ends.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from google.adk.artifacts.base_artifact_service import BaseArtifactService
from google.adk.artifacts.in_memory_artifact_service import InMemoryArtifactService

from adk_sqlite import ArtifactService, SqliteStore

ArtifactBackend = Callable[[Path], AbstractAsyncContextManager[BaseArtifactService]]


@asynccontextmanager
async def _adk_memory(tmp_path: Path) -> AsyncIterator[BaseArtifactService]:
    # ADK's in-memory service holds no resources and has no close(); a second
    # call gives an unrelated, empty service, which is why the tests that need
    # one storage seen by two instances are ours_only.
    yield InMemoryArtifactService()


@asynccontextmanager
async def _sqlite(tmp_path: Path) -> AsyncIterator[BaseArtifactService]:
    store = SqliteStore(tmp_path / "artifacts.db")
    try:
        yield ArtifactService(store)
    finally:
        await store.close()


@asynccontextmanager
async def _postgres(tmp_path: Path) -> AsyncIterator[BaseArtifactService]:
    # Imported here, so that the other backends run without asyncpg. The first call
    # makes a fresh schema (a skip without a server, a failure in CI) and leaves its
    # URL in tmp_path, where a second call finds it; the first call drops it at the end.
    from contextlib import AsyncExitStack

    from support.postgres import fresh_schema

    url_file = tmp_path / "postgres-url"
    async with AsyncExitStack() as schema:
        if not url_file.exists():
            url_file.write_text(await schema.enter_async_context(fresh_schema()))
        from adk_sqlite.postgres import PostgresStore

        store = PostgresStore(url_file.read_text())
        try:
            yield ArtifactService(store)
        finally:
            await store.close()


@asynccontextmanager
async def _sqlite_per_session(tmp_path: Path) -> AsyncIterator[BaseArtifactService]:
    store = SqliteStore.per_session_files(tmp_path / "agent-sessions")
    try:
        yield ArtifactService(store)
    finally:
        await store.close()


BACKENDS: dict[str, ArtifactBackend] = {
    "adk-memory": _adk_memory,
    "sqlite": _sqlite,
    "sqlite-per-session": _sqlite_per_session,
    "postgres": _postgres,
}

# Backends that only serve as the reference for the shared contract.
REFERENCE_BACKENDS: frozenset[str] = frozenset({"adk-memory"})


def is_reference(backend_name: str) -> bool:
    """True for ADK's own services, false for adk-sqlite's backends."""
    return backend_name in REFERENCE_BACKENDS
