"""The three layouts the page tests run over: one entry each in `LAYOUTS`.

A layout is ``(tmp_path, owner_id_column) -> AbstractAsyncContextManager[store]``:
an empty store in the test's ``tmp_path`` (a fresh schema for PostgreSQL, skipped
without a server), closed on exit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from adk_sqlite import SqliteStore
from adk_sqlite.storage.store_base import StoreBase

Layout = Callable[[Path, str | None], AbstractAsyncContextManager[StoreBase]]


@asynccontextmanager
async def _shared_file(tmp_path: Path, owner_column: str | None) -> AsyncIterator[StoreBase]:
    async with SqliteStore(tmp_path / "sessions.db", owner_id_column=owner_column) as store:
        yield store


@asynccontextmanager
async def _per_session(tmp_path: Path, owner_column: str | None) -> AsyncIterator[StoreBase]:
    folder = tmp_path / "agent-sessions"
    async with SqliteStore.per_session_files(folder, owner_id_column=owner_column) as store:
        yield store


@asynccontextmanager
async def _postgres(tmp_path: Path, owner_column: str | None) -> AsyncIterator[StoreBase]:
    # Imported here, so that the SQLite layouts run without asyncpg.
    from adk_sqlite.postgres import PostgresStore
    from support.postgres import fresh_schema

    async with fresh_schema() as url, PostgresStore(url, owner_id_column=owner_column) as store:
        yield store


LAYOUTS: dict[str, Layout] = {
    "sqlite": _shared_file,
    "sqlite-per-session": _per_session,
    "postgres": _postgres,
}
