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

import sqlite3
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from adk_sqlite.errors import ConfigurationError
from adk_sqlite.sqlite import memory_jobs
from adk_sqlite.sqlite.per_session.folder import SessionFolder
from adk_sqlite.sqlite.schema.memory_sql import MemoryStatements, render_memory_statements
from adk_sqlite.storage.store_options import StoreNames

__all__ = [
    "add_memories",
    "catalog_memory_statements",
    "delete_memories",
    "memory_watermark",
    "search_memories",
]

P = ParamSpec("P")
R = TypeVar("R")


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


# --- the catalog jobs: job(folder, statements, ...), run by adk_sqlite.storage.memory_methods ---


def _on_catalog(
    job: Callable[Concatenate[sqlite3.Connection, P], R], *, write: bool
) -> Callable[Concatenate[SessionFolder, P], R]:
    """``job`` run on the catalog: in its write transaction (under its lock across
    processes) when ``write``, else in a read transaction of this thread's reader."""

    def on_catalog(folder: SessionFolder, /, *args: P.args, **kwargs: P.kwargs) -> R:
        catalog = folder.catalog
        with catalog.writing() if write else catalog.snapshot() as connection:
            return job(connection, *args, **kwargs)

    return on_catalog


add_memories = _on_catalog(memory_jobs.add_memories, write=True)
delete_memories = _on_catalog(memory_jobs.delete_memories, write=True)
memory_watermark = _on_catalog(memory_jobs.memory_watermark, write=False)
search_memories = _on_catalog(memory_jobs.search_in_transaction, write=False)
