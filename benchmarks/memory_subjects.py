"""The memory services a memory benchmark run compares.

Every subject is an ADK ``BaseMemoryService``, driven through ADK's API
(``add_session_to_memory``, ``search_memory``), so a workload is written once. Ours is
`adk_sqlite.MemoryService` over a store, with keyword search, or with hybrid search
(keyword and vector rankings fused) when given an embedder; the peers are ADK's
``SqliteMemoryService`` (FTS5, on a file) and ``InMemoryMemoryService``. A new subject is
one entry in `MEMORY_BACKENDS`: its name and an async context manager that yields the
service on fresh storage in a folder. A subject that cannot run here (no PostgreSQL
server, a library without the ``embedder`` option) is skipped with the reason.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from google.adk.memory.base_memory_service import BaseMemoryService

from benchmarks.artifact_subjects import Unavailable, _postgres

__all__ = [
    "EMBEDDING_DIMENSIONS",
    "MEMORY_BACKENDS",
    "MEMORY_DEFAULT",
    "MEMORY_OURS",
    "MEMORY_REFERENCE",
    "Unavailable",
    "open_memory_subject",
]

EMBEDDING_DIMENSIONS = 64

MemoryFactory = Callable[[Path], AbstractAsyncContextManager[BaseMemoryService]]


@asynccontextmanager
async def _sqlite_file(folder: Path) -> AsyncIterator[Any]:
    from adk_sqlite import SqliteStore

    yield SqliteStore(folder / "memory.db")


@asynccontextmanager
async def _per_session_files(folder: Path) -> AsyncIterator[Any]:
    from adk_sqlite import SqliteStore

    yield SqliteStore.per_session_files(folder / "memory.sessions")


def _ours(
    store_factory: Callable[[Path], AbstractAsyncContextManager[Any]], *, hybrid: bool = False
) -> MemoryFactory:
    """`adk_sqlite.MemoryService` over the store ``store_factory`` makes.

    ``hybrid``: with ``embedder=HashingEmbedder(EMBEDDING_DIMENSIONS)`` (every memory
    embedded as it is added; searches fuse the keyword and the vector rankings).
    """

    @asynccontextmanager
    async def open_ours(folder: Path) -> AsyncIterator[BaseMemoryService]:
        from adk_sqlite import ConfigurationError, MemoryService

        options: dict[str, Any] = {}
        if hybrid:
            if "embedder" not in inspect.signature(MemoryService).parameters:
                raise Unavailable("this adk-sqlite's MemoryService has no embedder option")
            from adk_sqlite.testing import HashingEmbedder

            options["embedder"] = HashingEmbedder(EMBEDDING_DIMENSIONS)
        async with store_factory(folder) as store:
            try:
                service = MemoryService(store, **options)
            except ConfigurationError as exc:  # "<store> does not keep memories"
                raise Unavailable(str(exc)) from exc
            async with service:
                yield service

    return open_ours


@asynccontextmanager
async def _adk_sqlite_service(folder: Path) -> AsyncIterator[BaseMemoryService]:
    from google.adk.memory import SqliteMemoryService

    service = SqliteMemoryService(folder / "adk_memory.db")
    try:
        yield service
    finally:
        await service.close()


@asynccontextmanager
async def _adk_inmemory(folder: Path) -> AsyncIterator[BaseMemoryService]:
    from google.adk.memory import InMemoryMemoryService

    del folder  # nothing is stored
    yield InMemoryMemoryService()


MEMORY_BACKENDS: dict[str, MemoryFactory] = {
    "adk-sqlite": _ours(_sqlite_file),
    "adk-sqlite-hybrid": _ours(_sqlite_file, hybrid=True),
    "adk-sqlite-postgres": _ours(_postgres),
    "adk-sqlite-postgres-hybrid": _ours(_postgres, hybrid=True),
    "adk-sqlite-per-session": _ours(_per_session_files),
    "adk-sqlite-service": _adk_sqlite_service,
    "adk-inmemory": _adk_inmemory,
}
"""Every memory subject, by name: ``adk-sqlite`` is `MemoryService` on one `SqliteStore`
file (keyword search); ``-hybrid`` the same with ``embedder=HashingEmbedder(64)``;
``-postgres`` on `PostgresStore` in a fresh schema (``ADK_SQLITE_BENCH_POSTGRES_DSN``,
default the tests' server); ``-per-session`` on `SqliteStore.per_session_files` (not in
the default run); ``adk-sqlite-service`` is ADK's ``SqliteMemoryService`` on a file and
``adk-inmemory`` ADK's ``InMemoryMemoryService``."""

MEMORY_DEFAULT = (
    "adk-sqlite",
    "adk-sqlite-hybrid",
    "adk-sqlite-postgres",
    "adk-sqlite-postgres-hybrid",
    "adk-sqlite-service",
    "adk-inmemory",
)
MEMORY_OURS = (
    "adk-sqlite",
    "adk-sqlite-hybrid",
    "adk-sqlite-postgres",
    "adk-sqlite-postgres-hybrid",
    "adk-sqlite-per-session",
)
MEMORY_REFERENCE = "adk-sqlite-service"


def open_memory_subject(name: str, folder: Path) -> AbstractAsyncContextManager[BaseMemoryService]:
    """Opens memory backend ``name`` on fresh storage in ``folder``."""
    if name not in MEMORY_BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose from {', '.join(MEMORY_BACKENDS)}")
    return MEMORY_BACKENDS[name](folder)
