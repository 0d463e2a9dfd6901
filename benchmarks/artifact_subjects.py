"""The artifact services an artifact benchmark run compares.

Every subject is an ADK ``BaseArtifactService``, driven through ADK's API, so a
workload is written once. Ours is `adk_sqlite.ArtifactService` over a store; a new
store is one entry in `ARTIFACT_BACKENDS`: its name and an async context manager
that yields the store on a fresh database (and removes what it made, if anything).
A store that does not (yet) implement `adk_sqlite.ArtifactStore`, or whose server
cannot be reached, is skipped with the reason, never counted as a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from google.adk.artifacts.base_artifact_service import BaseArtifactService

APP = "bench"
USER = "u0"

POSTGRES_DSN_VARIABLE = "ADK_SQLITE_BENCH_POSTGRES_DSN"  # as benchmarks.export_postgres
DEFAULT_POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


class Unavailable(Exception):  # noqa: N818 - a reason to skip, not an error
    """The backend cannot run here (its store stores no artifacts yet, no server...)."""


@dataclass
class ArtifactSubject:
    """An artifact service, and how to make a session exist before its artifacts.

    ADK's Runner saves artifacts only for a session that exists. Our stores hold
    sessions and artifacts side by side, so the workloads create each session
    first (untimed) through `adk_sqlite.SessionService` on the same store; ADK's
    artifact services know nothing of sessions and need nothing.
    """

    service: BaseArtifactService
    session_service: Any = None

    async def ensure_session(self, user: str, session_id: str) -> None:
        if self.session_service is not None:
            await self.session_service.create_session(
                app_name=APP, user_id=user, session_id=session_id
            )


StoreFactory = Callable[[Path], AbstractAsyncContextManager[Any]]


@asynccontextmanager
async def _shared_file(folder: Path) -> AsyncIterator[Any]:
    from adk_sqlite import SqliteStore

    yield SqliteStore(folder / "artifacts.db")


@asynccontextmanager
async def _per_session_files(folder: Path) -> AsyncIterator[Any]:
    from adk_sqlite import SqliteStore

    yield SqliteStore.per_session_files(folder / "artifacts.sessions")


@asynccontextmanager
async def _postgres(folder: Path) -> AsyncIterator[Any]:
    """A `PostgresStore` in a fresh schema of the benchmark server, dropped afterwards."""
    del folder  # the database is the server's
    try:
        import asyncpg

        from adk_sqlite import PostgresStore
    except ImportError as exc:
        raise Unavailable(f"PostgreSQL needs asyncpg ({exc})") from exc
    base = os.environ.get(POSTGRES_DSN_VARIABLE) or DEFAULT_POSTGRES_DSN
    schema = f"adk_bench_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(base, timeout=5)
    except Exception as exc:
        raise Unavailable(
            f"no PostgreSQL server at {base} ({exc!r}); set {POSTGRES_DSN_VARIABLE}"
        ) from exc
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        parts = urlsplit(base)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
        dsn = urlunsplit(parts._replace(query=urlencode([*query, ("search_path", schema)])))
        yield PostgresStore(dsn)
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()


def _ours(store_factory: StoreFactory) -> Callable[[Path], AbstractAsyncContextManager[Any]]:
    """`adk_sqlite.ArtifactService` over the store ``store_factory`` makes."""

    @asynccontextmanager
    async def open_ours(folder: Path) -> AsyncIterator[ArtifactSubject]:
        from adk_sqlite import ArtifactService, ConfigurationError, SessionService

        async with store_factory(folder) as store:
            try:
                artifacts = ArtifactService(store)
            except ConfigurationError as exc:  # "<store> does not store artifacts"
                raise Unavailable(str(exc)) from exc
            # The session service creates the tables; closing it closes the store.
            async with SessionService(store) as sessions:
                yield ArtifactSubject(artifacts, sessions)

    return open_ours


@asynccontextmanager
async def _adk_file(folder: Path) -> AsyncIterator[ArtifactSubject]:
    from google.adk.artifacts.file_artifact_service import FileArtifactService

    yield ArtifactSubject(FileArtifactService(folder / "files"))


@asynccontextmanager
async def _adk_inmemory(folder: Path) -> AsyncIterator[ArtifactSubject]:
    from google.adk.artifacts import InMemoryArtifactService

    yield ArtifactSubject(InMemoryArtifactService())


ARTIFACT_BACKENDS: dict[str, Callable[[Path], AbstractAsyncContextManager[ArtifactSubject]]] = {
    "adk-sqlite": _ours(_shared_file),
    "adk-sqlite-per-session": _ours(_per_session_files),
    "adk-sqlite-postgres": _ours(_postgres),
    "adk-file": _adk_file,
    "adk-inmemory": _adk_inmemory,
}
"""Every artifact subject, by name: ``adk-sqlite`` is `ArtifactService` on one
`SqliteStore` file; ``-per-session`` on `SqliteStore.per_session_files`;
``-postgres`` on `PostgresStore` (``ADK_SQLITE_BENCH_POSTGRES_DSN``, default the
tests' server); ``adk-file`` and ``adk-inmemory`` are ADK's `FileArtifactService`
(on a folder) and `InMemoryArtifactService`."""

ARTIFACT_OURS = ("adk-sqlite", "adk-sqlite-per-session", "adk-sqlite-postgres")
ARTIFACT_REFERENCE = "adk-file"


def open_artifact_subject(name: str, folder: Path) -> AbstractAsyncContextManager[ArtifactSubject]:
    """Opens artifact backend ``name`` on fresh storage in ``folder``."""
    if name not in ARTIFACT_BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose from {', '.join(ARTIFACT_BACKENDS)}")
    return ARTIFACT_BACKENDS[name](folder)
