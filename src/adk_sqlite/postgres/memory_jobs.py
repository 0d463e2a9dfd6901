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

Vectors (`adk_sqlite.codec.vectors`) are stored as ``real[]``. A hybrid search ranks
them with pgvector in the server when the database has the ``vector`` extension, and
otherwise reads the user's vectors and ranks them exactly here; either way the two
rankings are fused as on SQLite (`adk_sqlite.storage.memory_ranking`).
"""

from __future__ import annotations

import struct

import asyncpg

from adk_sqlite.codec.vectors import nearest, unpack_vector
from adk_sqlite.memory_records import MemoryRecord, MemorySearch, MemoryWatermark, StoredMemory
from adk_sqlite.postgres import sql
from adk_sqlite.postgres.artifact_sql import TABLE_EXISTS
from adk_sqlite.postgres.jobs import _refuse_nul
from adk_sqlite.postgres.memory_sql import MAX_TERM_CHARACTERS, MemoryStatements
from adk_sqlite.storage.memory_fusion import Fusion
from adk_sqlite.storage.memory_writes import MemoryWrite, watermark_row

__all__ = [
    "MemoryTables",
    "add_memories",
    "delete_memories",
    "memory_watermark",
    "search_memories",
]

# The ids a BIGINT identity column holds are at most 19 digits.
_MAX_ID_DIGITS = 18


class MemoryTables:
    """One store's memory tables: their statements, and whether the store has seen them.

    adk-sqlite never drops the tables, so once seen they are not looked for again.
    """

    __slots__ = ("pgvector", "recent_index", "seen", "statements", "vectors_seen")

    def __init__(self, statements: MemoryStatements) -> None:
        self.statements = statements
        self.seen = False
        self.vectors_seen = False
        # Whether the memories table has its recent index (tables made before the search
        # window lack it until a write adds it), once known.
        self.recent_index: bool | None = None
        self.pgvector: bool | None = None  # whether the database has pgvector, once known


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


async def _ensure_tables(
    connection: asyncpg.Connection, tables: MemoryTables, *, with_vectors: bool
) -> None:
    if with_vectors and not tables.vectors_seen:
        tables.vectors_seen = await _has_vectors(connection, tables)
    if await _has_tables(connection, tables) and (tables.vectors_seen or not with_vectors):
        if not await _has_recent_index(connection, tables):
            # A table of a release before the search window: add its index once.
            async with connection.transaction():
                await connection.execute(sql.LOCK_MIGRATIONS, sql.MIGRATION_LOCK_KEY)
                await connection.execute(tables.statements.create_recent_index)
            tables.recent_index = True
        return
    async with connection.transaction():
        await connection.execute(sql.LOCK_MIGRATIONS, sql.MIGRATION_LOCK_KEY)
        for statement in tables.statements.create:
            await connection.execute(statement)
        if with_vectors:
            await connection.execute(tables.statements.create_vectors)
    tables.seen = True
    tables.recent_index = True
    tables.vectors_seen = tables.vectors_seen or with_vectors


async def _has_recent_index(connection: asyncpg.Connection, tables: MemoryTables) -> bool:
    if tables.recent_index is None:
        found = await connection.fetchval(TABLE_EXISTS, tables.statements.recent_index)
        tables.recent_index = bool(found)
    return tables.recent_index


async def _has_vectors(connection: asyncpg.Connection, tables: MemoryTables) -> bool:
    if not tables.vectors_seen:
        found = await connection.fetchval(TABLE_EXISTS, tables.statements.vectors_table)
        tables.vectors_seen = bool(found)
    return tables.vectors_seen


# The memory record's text fields: its timestamp and vector are numbers.
_MEMORY_TEXT_FIELDS = (
    "session_id",
    "event_id",
    "author",
    "content",
    "search_text",
    "custom_metadata",
)


def _refuse_unstorable(
    app_name: str,
    user_id: str,
    memories: list[MemoryRecord],
    watermark: tuple[str, MemoryWatermark] | None,
) -> None:
    _refuse_nul("the memories", app_name=app_name, user_id=user_id)
    for memory in memories:
        fields = {name: getattr(memory, name) for name in _MEMORY_TEXT_FIELDS}
        _refuse_nul(f"memory {memory.event_id!r}", **fields)
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
    # sorted() is stable: of two memories with one key, the later one still wins.
    ordered = sorted(memories, key=lambda memory: (memory.session_id, memory.event_id))
    write = MemoryWrite(app_name, user_id, ordered)
    await _ensure_tables(connection, tables, with_vectors=bool(write.vectors))
    statements = tables.statements
    async with connection.transaction():
        if write.rows:
            await connection.executemany(statements.upsert, write.rows)
        if tables.vectors_seen:
            await _store_vectors(connection, statements, write)
        if watermark is not None:
            row = watermark_row(app_name, user_id, watermark)
            await connection.execute(statements.set_watermark, *row)


async def _store_vectors(
    connection: asyncpg.Connection, statements: MemoryStatements, write: MemoryWrite
) -> None:
    """Stores the memories' vectors after checking their dimension against the stored
    ones (inside the caller's transaction: a mismatch writes nothing); a memory stored
    again without a vector loses its old one."""
    stored = await connection.fetchval(statements.vector_dimensions)
    # Sizes are compared in bytes: a float32 is 4.
    write.vector_size(None if stored is None else int(stored) * 4, statements.table)
    if write.without_vector:
        await connection.executemany(statements.delete_vector, write.without_vector)
    if write.vectors:
        await connection.executemany(
            statements.upsert_vector,
            [(*key, unpack_vector(vector)) for key, vector in write.vectors],
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
    search: MemorySearch,
) -> list[StoredMemory]:
    """The best ``limit`` memories holding any of ``terms``, or (given ``vector``) the
    best of a hybrid search.

    ts_rank picks the candidates; they are then ordered by how many distinct terms
    they hold, ts_rank, and newest first. With ``vector``, the user's memories nearest
    to it are ranked too, in the same snapshot, and the two rankings fused.
    """
    limit = search.limit
    # A longer term is in no vector, and a tsquery refuses it.
    terms = [
        term for term in search.terms if 0 < len(term) <= MAX_TERM_CHARACTERS and _storable(term)
    ]
    if not terms or limit <= 0 or not _storable(app_name, user_id):
        return []
    if not await _has_tables(connection, tables):
        return []
    candidates = search.candidates
    statements = tables.statements
    hybrid = search.vector is not None and await _has_vectors(connection, tables)
    windowed = search.window is not None and await _has_recent_index(connection, tables)
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        start, rare = 0, None
        if windowed:
            start, rare = await _window(connection, statements, app_name, user_id, search, terms)
        rows = await connection.fetch(
            statements.search,
            app_name,
            user_id,
            tsquery_of(terms),
            candidates,
            terms,
            candidates if hybrid else limit,
            start,
            rare,
        )
        semantic = await _nearest(connection, tables, app_name, user_id, search) if hybrid else []
        fusion = Fusion(rows, semantic, limit)
        missing = fusion.missing
        found = []
        if missing:
            found = await connection.fetch(statements.select_by_ids, app_name, user_id, missing)
    return fusion.memories(found)


async def _window(
    connection: asyncpg.Connection,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    search: MemorySearch,
    terms: list[str],
) -> tuple[int, str | None]:
    """Where the user's newest ``search.window`` memories begin (0: there are no more),
    and the tsquery of the terms at most ``search.rare_word_limit`` older memories hold (None:
    no such term), as SQLite's search does."""
    assert search.window is not None
    start = await connection.fetchval(statements.window_start, app_name, user_id, search.window - 1)
    if start is None:
        return 0, None
    rare = [
        term
        for term in terms
        if await connection.fetchval(
            statements.older_holding, tsquery_of([term]), start, search.rare_word_limit + 1
        )
        <= search.rare_word_limit
    ]
    return int(start), tsquery_of(rare) if rare else None


async def _nearest(
    connection: asyncpg.Connection,
    tables: MemoryTables,
    app_name: str,
    user_id: str,
    search: MemorySearch,
) -> list[int]:
    """The ids of the user's ``search.candidates`` memories nearest to its vector, best
    first: ranked by pgvector in the server when the database has it, else here."""
    vector, count, min_similarity = search.vector, search.candidates, search.min_similarity
    assert vector is not None  # a hybrid search's
    statements = tables.statements
    if tables.pgvector is None:
        tables.pgvector = bool(await connection.fetchval(_PGVECTOR_INSTALLED))
    if tables.pgvector:
        rows = await connection.fetch(
            statements.nearest_with_pgvector, app_name, user_id, unpack_vector(vector), count
        )
        return [
            int(memory_id)
            for memory_id, similarity in rows
            if min_similarity is None or similarity >= min_similarity
        ]
    rows = await connection.fetch(statements.vectors_of_user, app_name, user_id)
    packed = ((int(memory_id), _packed(values)) for memory_id, values in rows)
    return [
        memory_id for memory_id, _ in nearest(vector, packed, count, min_similarity=min_similarity)
    ]


_PGVECTOR_INSTALLED = "SELECT 1 FROM pg_extension WHERE extname = 'vector'"


def _packed(values: list[float] | None) -> bytes | None:
    """A stored ``real[]`` as the float32 bytes `nearest` compares (None: unusable)."""
    if not values or any(value is None for value in values):
        return None
    return struct.pack(f"<{len(values)}f", *values)


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
