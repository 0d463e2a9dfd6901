"""The memories `adk_sqlite.MemoryService` stored: a user's, newest first, or a search.

Both functions take a database file, or a folder of one file per session
(`SqliteStore.per_session_files`), whose memories are all in ``catalog.db``. They open
the file read-only with a connection of their own, so they are safe while agents
write. They are synchronous; from async code, call them through `asyncio.to_thread`::

    from adk_sqlite.tools.memories import list_memories, search_memories

    for memory in search_memories("agent.db", app_name="support", user_id="ada",
                                  query="refund policy").memories:
        print(memory.time.iso, memory.author, memory.text)

A search ranks exactly as ``MemoryService.search_memory`` does (the store's own
keyword search: most query words held, then the full-text rank, then newest), because
it runs the store's search on the file. Texts and ids are data: returned exactly as
stored, never put into SQL.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import msgspec

from adk_sqlite.codec.memory_text import query_terms
from adk_sqlite.errors import ConfigurationError
from adk_sqlite.memory_records import DEFAULT_SEARCH_WINDOW, MemorySearch, StoredMemory
from adk_sqlite.sqlite import memory_jobs
from adk_sqlite.sqlite.database_file import SessionDatabase
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.sqlite.schema.memory_sql import render_memory_statements
from adk_sqlite.storage.store_statements import quoted
from adk_sqlite.timestamps import Instant, instant_from_unix
from adk_sqlite.tools.memory_rows import (
    choose_memory_table,
    count_memories,
    memory_records,
    refuse_bad_limit,
    vectors_table_of,
)
from adk_sqlite.tools.read_only_files import opened_read_only, read_only_snapshot
from adk_sqlite.tools.row_filter import RowFilter
from adk_sqlite.tools.session_folder import is_session_folder

__all__ = ["DEFAULT_LIMIT", "MemoryItem", "MemoryList", "list_memories", "search_memories"]

DEFAULT_LIMIT = 50
"""Memories a search returns at most by default (as `adk_sqlite.MemoryService`)."""

_VECTOR_SIZES = (
    "SELECT row_id, length(vector) FROM {vectors} WHERE row_id IN (SELECT value FROM json_each(?))"
)
_FLOAT32 = 4
_decode = msgspec.json.Decoder()


class MemoryItem(msgspec.Struct, kw_only=True):
    """One memory, as `list_memories` and `search_memories` return it.

    Attributes:
        id: The store's id for it (`MemoryEntry.id`; what ``delete_memory`` takes).
        session_id: The session it came from; None for an entry added with none.
        event_id: The event's id (or the entry's own id).
        author: Who wrote it, or None.
        time: The event's time.
        text: Its text parts (thoughts left out), joined by spaces.
        content: The stored ``types.Content`` as JSON (None when the stored text is
            not JSON).
        custom_metadata: The metadata stored with it (None when not JSON).
        vector_dimensions: The size of its embedding, or None without one.
    """

    id: str
    app_name: str
    user_id: str
    session_id: str | None
    event_id: str
    author: str | None
    time: Instant
    text: str
    content: Any
    custom_metadata: Any
    vector_dimensions: int | None = None


class MemoryList(msgspec.Struct, kw_only=True):
    """A user's memories, newest first, or a search's best first.

    Attributes:
        file: The database file read (a folder's ``catalog.db``).
        memory_table: The memories table read; None when the file holds none
            (`adk_sqlite.MemoryService` never stored a memory in it).
        session_id: The session the listing was limited to, or None.
        query: The search's query; None for a listing.
        total: The memories of the user (of the session, with ``session_id``).
        memories: Those listed or found, at most the limit.
    """

    file: str
    memory_table: str | None
    app_name: str
    user_id: str
    session_id: str | None
    query: str | None
    total: int
    memories: list[MemoryItem]


def list_memories(
    database: str | os.PathLike[str],
    *,
    app_name: str,
    user_id: str,
    session_id: str | None = None,
    limit: int | None = DEFAULT_LIMIT,
    memory_table: str | None = None,
    busy_timeout: float = 5.0,
) -> MemoryList:
    """Lists a user's memories (or one session's), newest first.

    Args:
        database: A database file (or ``sqlite:///`` URL), or a folder of one file per
            session (its memories are in ``catalog.db``).
        app_name: The app.
        user_id: The user.
        session_id: Only the memories of this session (``""``: those added with none).
        limit: At most this many (None: all); ``total`` counts them all.
        memory_table: For a file whose stores used several memories tables
            (``memory_table=``), the one to read; None for the only one.
        busy_timeout: Seconds to wait for a lock held by another connection.

    Raises:
        DatabaseUnavailableError: The file is missing or not a database.
        SchemaError: It is not an adk-sqlite database.
        ConfigurationError: Several memories tables and none chosen, or no such table.
    """
    refuse_bad_limit(limit)
    with read_only_snapshot(_memories_file(database), busy_timeout) as db:
        listing = _counted(db, memory_table, app_name, user_id, session_id)
        if listing.memory_table is not None:
            rows = memory_records(
                db.connection,
                listing.memory_table,
                app_name=app_name,
                user_id=user_id,
                session_id=session_id,
                limit=limit,
                newest_first=True,
            )
            listing.memories = [
                _item(row.app_name, row.user_id, row.memory, _dimensions(row.memory.record.vector))
                for row in rows
            ]
    return listing


def search_memories(
    database: str | os.PathLike[str],
    *,
    app_name: str,
    user_id: str,
    query: str,
    limit: int = DEFAULT_LIMIT,
    memory_table: str | None = None,
    busy_timeout: float = 5.0,
) -> MemoryList:
    """Searches a user's memories as ``MemoryService.search_memory`` does, best first.

    ``limit`` plays the part of the service's ``max_results``. A query with no words
    finds nothing, as in the service.

    Raises:
        The errors of `list_memories`.
    """
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ConfigurationError(f"limit={limit!r}: expected an integer >= 1")
    with read_only_snapshot(_memories_file(database), busy_timeout) as db:
        listing = _counted(db, memory_table, app_name, user_id, None)
    listing.query = query
    table, terms = listing.memory_table, query_terms(query)
    if table is not None and terms:
        # The store's own search (it opens its own read transaction).
        with opened_read_only(_memories_file(database), busy_timeout) as db:
            statements = render_memory_statements(table)
            search = MemorySearch(terms=terms, limit=limit, window=DEFAULT_SEARCH_WINDOW)
            found = memory_jobs.search_memories(
                db.connection, statements, app_name, user_id, search
            )
            sizes = _vector_sizes(db.connection, table, [stored.id for stored in found])
        listing.memories = [
            _item(app_name, user_id, stored, _from_size(sizes.get(stored.id))) for stored in found
        ]
    return listing


def _counted(
    db: SessionDatabase,
    memory_table: str | None,
    app_name: str,
    user_id: str,
    session_id: str | None,
) -> MemoryList:
    """The listing of a user's memories (of a session's, with ``session_id``): the file,
    its memories table and how many it holds there; no memories listed yet."""
    table = choose_memory_table(db.connection, memory_table, str(db.path))
    total = 0
    if table is not None:
        total = count_memories(db.connection, table, RowFilter(app_name, user_id, session_id))
    return MemoryList(
        file=str(db.path),
        memory_table=table,
        app_name=app_name,
        user_id=user_id,
        session_id=session_id,
        query=None,
        total=total,
        memories=[],
    )


def _vector_sizes(connection: sqlite3.Connection, table: str, ids: list[str]) -> dict[str, int]:
    vectors = vectors_table_of(connection, table)
    if vectors is None or not ids:
        return {}
    sql = _VECTOR_SIZES.format(vectors=quoted(vectors))
    wanted = msgspec.json.encode([int(memory_id) for memory_id in ids]).decode()
    return {str(row_id): size for row_id, size in connection.execute(sql, (wanted,))}


def _dimensions(vector: bytes | None) -> int | None:
    return None if vector is None else len(vector) // _FLOAT32


def _from_size(size: int | None) -> int | None:
    return None if size is None else size // _FLOAT32


def _item(app_name: str, user_id: str, stored: StoredMemory, dimensions: int | None) -> MemoryItem:
    record = stored.record
    content = _json_or_none(record.content)
    return MemoryItem(
        id=stored.id,
        app_name=app_name,
        user_id=user_id,
        session_id=record.session_id or None,
        event_id=record.event_id,
        author=record.author,
        time=instant_from_unix(record.timestamp),
        text=_text_of(content) or record.search_text,
        content=content,
        custom_metadata=_json_or_none(record.custom_metadata),
        vector_dimensions=dimensions,
    )


def _json_or_none(text: object) -> Any:
    if not isinstance(text, str | bytes):
        return None
    try:
        return _decode.decode(text)
    except msgspec.DecodeError:
        return None


def _text_of(content: Any) -> str:
    """The text parts of a stored content (thoughts left out), as the service reads them."""
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list):
        return ""
    texts = [
        part["text"]
        for part in parts
        if isinstance(part, dict)
        and isinstance(part.get("text"), str)
        and part["text"]
        and not part.get("thought")
    ]
    return " ".join(texts).strip()


def _memories_file(database: str | os.PathLike[str]) -> str | os.PathLike[str]:
    """The file that holds the memories: a folder's catalog, else the file itself."""
    return Path(database) / _psql.CATALOG_FILE if is_session_folder(database) else database
