"""`PerSessionSqliteStore`'s memories: the whole index in ``catalog.db``.

Memory is searched across sessions, so it does not follow them into their files: every
memory, its full-text index and the per-session watermarks are tables of the catalog
(named after the store's ``memory_table``), written by the shared jobs of
`adk_sqlite.sqlite.memory_jobs`. A search reads the catalog only, however many session
files there are, and deleting or archiving a session leaves its memories.

Writes run in the catalog's write transaction, under its lock across processes, so two
processes adding the same session meet at the table's unique key: one memory per event.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

from adk_sqlite.errors import ConfigurationError
from adk_sqlite.memory_records import MemoryRecord, MemorySearch, MemoryWatermark, StoredMemory
from adk_sqlite.sqlite import memory_jobs
from adk_sqlite.sqlite.per_session.folder import SessionFolder
from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.sqlite.schema.memory_sql import MemoryStatements, render_memory_statements
from adk_sqlite.store_options import StoreNames

__all__ = [
    "add_memories",
    "catalog_memory_statements",
    "delete_memories",
    "memory_watermark",
    "search_memories",
]


def catalog_memory_statements(names: StoreNames, taken: tuple[str, ...]) -> MemoryStatements:
    """The memory statements for ``names.memories``, checked against the catalog's tables.

    Raises:
        ConfigurationError: One of the memory tables (``<name>``, ``<name>_fts``,
            ``<name>_sessions``) would be another table of the catalog (``taken``:
            the layout's and the artifacts table).
    """
    table = names.memories
    statements = render_memory_statements(table)
    others = {name.lower() for name in (*names.tables.as_tuple(), *taken)}
    for name in (table, f"{table}_fts", f"{table}_sessions"):
        if name.lower() in others:
            raise ConfigurationError(f"memory_table={table!r}: {name!r} is already used")
    return statements


# --- the catalog jobs: job(folder, statements, ...), run by adk_sqlite.memory_methods ---


def add_memories(
    folder: SessionFolder,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    memories: list[MemoryRecord],
    watermark: tuple[str, MemoryWatermark] | None,
) -> None:
    with folder.catalog.writing() as writer:
        memory_jobs.add_memories(writer, statements, app_name, user_id, memories, watermark)


def delete_memories(
    folder: SessionFolder,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    memory_id: str | None,
    session_id: str | None,
) -> int:
    with folder.catalog.writing() as writer:
        return memory_jobs.delete_memories(
            writer, statements, app_name, user_id, memory_id, session_id
        )


def memory_watermark(
    folder: SessionFolder,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    session_id: str,
) -> MemoryWatermark | None:
    with folder.catalog.snapshot() as reader:
        return memory_jobs.memory_watermark(reader, statements, app_name, user_id, session_id)


def search_memories(
    folder: SessionFolder,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    search: MemorySearch,
) -> list[StoredMemory]:
    with folder.catalog.snapshot() as reader, _own_transaction(reader):
        return memory_jobs.search_memories(reader, statements, app_name, user_id, search)


@contextlib.contextmanager
def _own_transaction(reader: sqlite3.Connection) -> Iterator[None]:
    """Ends the snapshot's (still empty) read transaction around a job that opens its own.

    `memory_jobs.search_memories` begins and commits its read itself; a deferred
    ``BEGIN`` that has read nothing holds no snapshot, so ending it loses nothing.
    """
    reader.execute(_sql.COMMIT)
    try:
        yield
    finally:
        if reader.in_transaction:  # the job raised inside its read
            reader.execute(_sql.ROLLBACK)
        reader.execute(_sql.BEGIN_READ)  # for the snapshot's own COMMIT
