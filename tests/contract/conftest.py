"""The backend registry the contract suite runs over.

Every test that takes the ``service`` fixture runs once per entry of `BACKENDS`,
each time against a fresh, empty service built in the test's own ``tmp_path`` and
closed after it. A new backend joins the suite by adding one entry here.

``postgres`` runs against a real server, in a schema of its own per test (see
`support.postgres`); it is skipped, with the reason, when no server is
reachable, and fails instead when ``ADK_SQLITE_REQUIRE_POSTGRES=1`` (CI).

``adk-inmemory`` is ADK's own ``InMemorySessionService``: the reference the
shared contract is checked against side by side. Tests marked ``ours_only``
pin behaviour specific to adk-sqlite's backends (revision markers, typed
errors, stale writers, JSON coercion, ...) and are not generated for the
reference backends at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from google.adk.sessions.base_session_service import BaseSessionService
from google.adk.sessions.in_memory_session_service import InMemorySessionService

from adk_sqlite import SessionService, SqliteStore
from support.postgres import fresh_schema

BackendFactory = Callable[[Path], AbstractAsyncContextManager[BaseSessionService]]


@asynccontextmanager
async def _sqlite_file(tmp_path: Path) -> AsyncIterator[BaseSessionService]:
    store = SqliteStore(tmp_path / "sessions.db")
    service = SessionService(store)
    try:
        yield service
    finally:
        await service.close()
        await store.close()


@asynccontextmanager
async def _sqlite_memory(tmp_path: Path) -> AsyncIterator[BaseSessionService]:
    store = SqliteStore(":memory:")
    service = SessionService(store)
    try:
        yield service
    finally:
        await service.close()
        await store.close()


@asynccontextmanager
async def _sqlite_per_session(tmp_path: Path) -> AsyncIterator[BaseSessionService]:
    store = SqliteStore.per_session_files(tmp_path / "agent-sessions")
    service = SessionService(store)
    try:
        yield service
    finally:
        await service.close()
        await store.close()


@asynccontextmanager
async def _postgres(tmp_path: Path) -> AsyncIterator[BaseSessionService]:
    async with fresh_schema() as dsn:
        from adk_sqlite.postgres import PostgresStore

        store = PostgresStore(dsn)
        service = SessionService(store)
        try:
            yield service
        finally:
            await service.close()
            await store.close()


@asynccontextmanager
async def _adk_inmemory(tmp_path: Path) -> AsyncIterator[BaseSessionService]:
    # ADK's in-memory service holds no resources and has no close().
    yield InMemorySessionService()


BACKENDS: dict[str, BackendFactory] = {
    "sqlite-file": _sqlite_file,
    "sqlite-memory": _sqlite_memory,
    "sqlite-per-session": _sqlite_per_session,
    "postgres": _postgres,
    "adk-inmemory": _adk_inmemory,
}

# Backends that only serve as the reference for the shared contract (§1-§10):
# tests marked ``ours_only`` are not generated for them.
REFERENCE_BACKENDS: frozenset[str] = frozenset({"adk-inmemory"})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend_name" not in metafunc.fixturenames:
        return
    ours_only = metafunc.definition.get_closest_marker("ours_only") is not None
    names = [name for name in BACKENDS if not (ours_only and name in REFERENCE_BACKENDS)]
    metafunc.parametrize("backend_name", names, ids=names)


@pytest.fixture
def backend_name(request: pytest.FixtureRequest) -> str:
    """The registry name of the backend this test runs against."""
    name: str = request.param
    return name


@pytest.fixture
def our_backend(backend_name: str) -> bool:
    """True on adk-sqlite's own backends, where our stricter guarantees are asserted too."""
    return backend_name not in REFERENCE_BACKENDS


@pytest.fixture
async def service(backend_name: str, tmp_path: Path) -> AsyncIterator[BaseSessionService]:
    """A fresh, empty session service of the backend under test."""
    async with BACKENDS[backend_name](tmp_path) as built:
        yield built
