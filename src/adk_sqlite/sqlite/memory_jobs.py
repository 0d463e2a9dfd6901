"""The memory jobs of SQLite: plain functions of a ``sqlite3.Connection``.

Writes run inside the caller's write transaction (the tables are created there on the
first write); reads of a file without the tables find nothing.
"""

from __future__ import annotations

import sqlite3

from adk_sqlite.memory_records import MemoryRecord, MemoryWatermark, StoredMemory
from adk_sqlite.sqlite.schema.memory_sql import MemoryStatements

__all__ = [
    "add_memories",
    "delete_memories",
    "memory_watermark",
    "optimize_index",
    "search_memories",
]

_TABLE_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
# Candidates read by bm25 before the final order (most terms matched first).
_CANDIDATES_PER_RESULT = 4
_MIN_CANDIDATES = 200


def _has_tables(connection: sqlite3.Connection, statements: MemoryStatements) -> bool:
    return connection.execute(_TABLE_EXISTS, (statements.table,)).fetchone() is not None


def add_memories(
    connection: sqlite3.Connection,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    memories: list[MemoryRecord],
    watermark: tuple[str, MemoryWatermark] | None,
) -> None:
    """Upserts ``memories`` and records ``watermark``, in the caller's transaction."""
    if not _has_tables(connection, statements):
        for statement in statements.create:
            connection.execute(statement)
    connection.executemany(
        statements.upsert,
        [
            (
                app_name,
                user_id,
                memory.session_id,
                memory.event_id,
                memory.author,
                memory.timestamp,
                memory.content,
                memory.search_text,
                memory.custom_metadata,
            )
            for memory in memories
        ],
    )
    if watermark is not None:
        session_id, mark = watermark
        connection.execute(
            statements.set_watermark,
            (app_name, user_id, session_id, mark.events, mark.last_event_id),
        )


def memory_watermark(
    connection: sqlite3.Connection,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    session_id: str,
) -> MemoryWatermark | None:
    if not _has_tables(connection, statements):
        return None
    row = connection.execute(
        statements.select_watermark, (app_name, user_id, session_id)
    ).fetchone()
    return None if row is None else MemoryWatermark(row[0], row[1])


def search_memories(
    connection: sqlite3.Connection,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    terms: list[str],
    limit: int,
) -> list[StoredMemory]:
    """The best ``limit`` memories holding any of ``terms``.

    Terms are words of `adk_sqlite.codec.memory_text` (letters, digits, ``_``), each
    quoted as an FTS5 string, so no query reaches FTS5's syntax. bm25 picks the
    candidates; they are then ordered by how many distinct terms they hold, bm25, and
    newest first.
    """
    if not terms or limit <= 0 or not _has_tables(connection, statements):
        return []
    match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
    candidates = max(limit * _CANDIDATES_PER_RESULT, _MIN_CANDIDATES)
    connection.execute("BEGIN")
    try:
        rows = connection.execute(
            statements.search, (match, app_name, user_id, candidates)
        ).fetchall()
    finally:
        connection.execute("COMMIT")
    wanted = set(terms)

    def order(row: tuple[object, ...]) -> tuple[int, float, float]:
        held = wanted.intersection(str(row[6]).split())
        return (-len(held), float(row[8]), -float(row[4]))  # type: ignore[arg-type]

    rows.sort(key=order)
    return [
        StoredMemory(
            id=str(row_id),
            record=MemoryRecord(
                session_id=session_id,
                event_id=event_id,
                author=author,
                timestamp=timestamp,
                content=content,
                search_text=search_text,
                custom_metadata=custom_metadata,
            ),
        )
        for (
            row_id,
            session_id,
            event_id,
            author,
            timestamp,
            content,
            search_text,
            custom_metadata,
            _,
        ) in rows[:limit]
    ]


def delete_memories(
    connection: sqlite3.Connection,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    memory_id: str | None,
    session_id: str | None,
) -> int:
    """Removes one memory, a session's, or all of the user's; returns how many."""
    if not _has_tables(connection, statements):
        return 0
    scope = (app_name, user_id)
    if memory_id is not None:
        if not (memory_id.isdecimal() and len(memory_id) < 19):
            return 0
        return connection.execute(statements.delete_one, (*scope, int(memory_id))).rowcount
    if session_id is not None:
        connection.execute(statements.delete_watermark, (*scope, session_id))
        return connection.execute(statements.delete_of_session, (*scope, session_id)).rowcount
    connection.execute(statements.delete_watermarks_of_user, scope)
    return connection.execute(statements.delete_of_user, scope).rowcount


def optimize_index(connection: sqlite3.Connection, statements: MemoryStatements) -> None:
    """Merges the full-text index's segments, which keep deleted words until merged."""
    connection.execute(statements.optimize)
