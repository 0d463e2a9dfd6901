"""The memory jobs of `PostgresStore`: coroutines of one pooled asyncpg connection.

The tables are created on a store's first write (``CREATE ... IF NOT EXISTS``, under
the migrations' advisory lock because concurrent creations can fail on the catalog),
in a short transaction of their own, as the artifacts table is; until a store has seen
them, each read checks with ``to_regclass`` and missing tables read as empty.

PostgreSQL's text cannot hold a NUL character. The content, the search text and the
metadata never hold one (JSON escapes it; the normaliser drops it), so only the ids
and the author can: a write holding one is refused with `UnencodableValueError`
before any SQL, and a read or delete by such an id finds nothing, as no row holds it.

A write upserts its memories in key order: two writers of overlapping memories take
their row locks in one order and never deadlock.
"""

from __future__ import annotations

import asyncpg

from adk_sqlite.memory_records import MemoryRecord, MemoryWatermark, StoredMemory
from adk_sqlite.postgres import sql
from adk_sqlite.postgres.artifact_sql import TABLE_EXISTS
from adk_sqlite.postgres.jobs import _refuse_nul
from adk_sqlite.postgres.memory_sql import MAX_TERM_CHARACTERS, MemoryStatements

__all__ = [
    "MemoryTables",
    "add_memories",
    "delete_memories",
    "memory_watermark",
    "search_memories",
]

# Candidates read by ts_rank before the final order (most terms matched first), as
# many as SQLite reads by bm25.
_CANDIDATES_PER_RESULT = 4
_MIN_CANDIDATES = 200
# The ids a BIGINT identity column holds are at most 19 digits.
_MAX_ID_DIGITS = 18


class MemoryTables:
    """One store's memory tables: their statements, and whether the store has seen them.

    adk-sqlite never drops the tables, so once seen they are not looked for again.
    """

    __slots__ = ("seen", "statements")

    def __init__(self, statements: MemoryStatements) -> None:
        self.statements = statements
        self.seen = False


def _storable(*values: str) -> bool:
    """False when a value holds a NUL, which no stored row can."""
    return not any("\x00" in value for value in values)


def tsquery_of(terms: list[str]) -> str:
    """The tsquery text matching any of ``terms``: each a quoted lexeme, joined by ``|``.

    Terms are words of `adk_sqlite.codec.memory_text` (no quote, backslash or space),
    but any string is quoted exactly, so no term reaches the tsquery syntax.
    """
    return " | ".join("'" + term.replace("\\", "\\\\").replace("'", "''") + "'" for term in terms)


async def _has_tables(connection: asyncpg.Connection, tables: MemoryTables) -> bool:
    if not tables.seen:
        tables.seen = bool(await connection.fetchval(TABLE_EXISTS, tables.statements.table))
    return tables.seen


async def _ensure_tables(connection: asyncpg.Connection, tables: MemoryTables) -> None:
    if await _has_tables(connection, tables):
        return
    async with connection.transaction():
        await connection.execute(sql.LOCK_MIGRATIONS, sql.MIGRATION_LOCK_KEY)
        for statement in tables.statements.create:
            await connection.execute(statement)
    tables.seen = True


def _refuse_unstorable(
    app_name: str,
    user_id: str,
    memories: list[MemoryRecord],
    watermark: tuple[str, MemoryWatermark] | None,
) -> None:
    _refuse_nul("the memories", app_name=app_name, user_id=user_id)
    for memory in memories:
        _refuse_nul(
            f"memory {memory.event_id!r}",
            session_id=memory.session_id,
            event_id=memory.event_id,
            author=memory.author,
            content=memory.content,
            search_text=memory.search_text,
            custom_metadata=memory.custom_metadata,
        )
    if watermark is not None:
        session_id, mark = watermark
        _refuse_nul("the watermark", session_id=session_id, last_event_id=mark.last_event_id)


async def add_memories(
    connection: asyncpg.Connection,
    tables: MemoryTables,
    app_name: str,
    user_id: str,
    memories: list[MemoryRecord],
    watermark: tuple[str, MemoryWatermark] | None,
) -> None:
    """Upserts ``memories`` and records ``watermark``, in one transaction.

    Raises:
        UnencodableValueError: An id or the author holds a NUL character.
    """
    _refuse_unstorable(app_name, user_id, memories, watermark)
    await _ensure_tables(connection, tables)
    statements = tables.statements
    # sorted() is stable: of two memories with one key, the later one still wins.
    ordered = sorted(memories, key=lambda memory: (memory.session_id, memory.event_id))
    async with connection.transaction():
        if ordered:
            await connection.executemany(
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
                    for memory in ordered
                ],
            )
        if watermark is not None:
            session_id, mark = watermark
            await connection.execute(
                statements.set_watermark,
                app_name,
                user_id,
                session_id,
                mark.events,
                mark.last_event_id,
            )


async def memory_watermark(
    connection: asyncpg.Connection,
    tables: MemoryTables,
    app_name: str,
    user_id: str,
    session_id: str,
) -> MemoryWatermark | None:
    """How much of the session is indexed, or None."""
    if not _storable(app_name, user_id, session_id) or not await _has_tables(connection, tables):
        return None
    row = await connection.fetchrow(
        tables.statements.select_watermark, app_name, user_id, session_id
    )
    return None if row is None else MemoryWatermark(row[0], row[1])


async def search_memories(
    connection: asyncpg.Connection,
    tables: MemoryTables,
    app_name: str,
    user_id: str,
    terms: list[str],
    limit: int,
) -> list[StoredMemory]:
    """The best ``limit`` memories holding any of ``terms``, in one statement.

    ts_rank picks the candidates; they are then ordered by how many distinct terms
    they hold, ts_rank, and newest first.
    """
    # A longer term is in no vector, and a tsquery refuses it.
    terms = [term for term in terms if 0 < len(term) <= MAX_TERM_CHARACTERS and _storable(term)]
    if not terms or limit <= 0 or not _storable(app_name, user_id):
        return []
    if not await _has_tables(connection, tables):
        return []
    candidates = max(limit * _CANDIDATES_PER_RESULT, _MIN_CANDIDATES)
    rows = await connection.fetch(
        tables.statements.search,
        app_name,
        user_id,
        tsquery_of(terms),
        candidates,
        terms,
        limit,
    )
    return [
        StoredMemory(
            id=str(memory_id),
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
            memory_id,
            session_id,
            event_id,
            author,
            timestamp,
            content,
            search_text,
            custom_metadata,
        ) in rows
    ]


async def delete_memories(
    connection: asyncpg.Connection,
    tables: MemoryTables,
    app_name: str,
    user_id: str,
    memory_id: str | None,
    session_id: str | None,
) -> int:
    """Removes one memory, a session's, or all of the user's; returns how many."""
    ids = [value for value in (memory_id, session_id) if value is not None]
    if not _storable(app_name, user_id, *ids) or not await _has_tables(connection, tables):
        return 0
    statements = tables.statements
    scope = (app_name, user_id)
    if memory_id is not None:
        if not (memory_id.isdecimal() and memory_id.isascii() and len(memory_id) <= _MAX_ID_DIGITS):
            return 0
        return int(await connection.fetchval(statements.delete_one, *scope, int(memory_id)))
    async with connection.transaction():
        if session_id is not None:
            await connection.execute(statements.delete_watermark, *scope, session_id)
            deleted = await connection.fetchval(statements.delete_of_session, *scope, session_id)
        else:
            await connection.execute(statements.delete_watermarks_of_user, *scope)
            deleted = await connection.fetchval(statements.delete_of_user, *scope)
    return int(deleted)
