"""The memory jobs of SQLite: plain functions of a ``sqlite3.Connection``.

Writes run inside the caller's write transaction (the tables are created there on the
first write); reads of a file without the tables find nothing.

Vector search scans the user's vectors exactly: in C with sqlite-vec's
``vec_distance_cosine`` when the ``vector`` extra is installed and this Python's
``sqlite3`` can load extensions (many builds cannot), otherwise in Python
(`adk_sqlite.codec.vectors.nearest`, with numpy when installed). Both give the same
order; the vectors are plain blobs in an ordinary table either way, so a file written
with sqlite-vec reads without it.
"""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import Iterator
from typing import Any

import msgspec

from adk_sqlite.codec.vectors import dot, nearest_in_matrix, pack_vector
from adk_sqlite.memory_records import MemoryRecord, MemorySearch, MemoryWatermark, StoredMemory
from adk_sqlite.sqlite.read_transaction import in_read_transaction
from adk_sqlite.sqlite.schema.memory_sql import MemoryStatements
from adk_sqlite.sqlite.vector_cache import CachedVectors, scope_key, vector_cache
from adk_sqlite.storage.memory_fusion import Fusion
from adk_sqlite.storage.memory_writes import MemoryWrite, watermark_row

__all__ = [
    "add_memories",
    "delete_memories",
    "memory_watermark",
    "optimize_index",
    "search_in_transaction",
    "search_memories",
]

_TABLE_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
_INDEX_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?"
# Vectors scanned per window (bounds the memory of a scan: 32 MiB at 1024 dimensions).
_SCAN_WINDOW = 8192


def _exists(connection: sqlite3.Connection, table: str) -> bool:
    return connection.execute(_TABLE_EXISTS, (table,)).fetchone() is not None


def _has_tables(connection: sqlite3.Connection, statements: MemoryStatements) -> bool:
    return _exists(connection, statements.table)


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
    # Also on tables of releases before the search window: made by the first write.
    connection.execute(statements.create_recent_index)
    write = MemoryWrite(app_name, user_id, memories)
    vector_size = write.vector_size(_stored_vector_size(connection, statements), statements.table)
    connection.executemany(statements.upsert, write.rows)
    if vector_size is not None:
        _store_vectors(connection, statements, write, scope_key(app_name, user_id))
    if watermark is not None:
        connection.execute(statements.set_watermark, watermark_row(app_name, user_id, watermark))


def _stored_vector_size(connection: sqlite3.Connection, statements: MemoryStatements) -> int | None:
    """The byte size of the stored vectors, None when there are none."""
    if not _exists(connection, statements.vectors_table):
        return None
    row = connection.execute(statements.vector_size).fetchone()
    return None if row is None else int(row[0])


def _store_vectors(
    connection: sqlite3.Connection, statements: MemoryStatements, write: MemoryWrite, scope: int
) -> None:
    """Stores the memories' vectors; a memory stored again without one loses its old
    one (its text may have changed)."""
    if not _exists(connection, statements.vector_versions_table):
        for statement in statements.create_vectors:
            connection.execute(statement)
    connection.execute(statements.bump_vector_version, (scope,))
    connection.executemany(statements.delete_vector, write.without_vector)
    connection.executemany(
        statements.upsert_vector, [(*key, vector) for key, vector in write.vectors]
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


def search_in_transaction(
    connection: sqlite3.Connection,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    search: MemorySearch,
) -> list[StoredMemory]:
    """The best ``limit`` memories holding any of ``terms``, or (given ``vector``) the
    best of a hybrid search, read inside the caller's transaction.

    Terms are words of `adk_sqlite.codec.memory_text` (letters, digits, ``_``), each
    quoted as an FTS5 string, so no query reaches FTS5's syntax. bm25 picks the
    candidates; they are then ordered by how many distinct terms they hold, bm25, and
    newest first. With ``vector``, the user's memories nearest to it (cosine, at least
    ``min_similarity``) are ranked too and the two rankings are fused
    (`adk_sqlite.storage.memory_fusion`).
    """
    terms, limit = search.terms, search.limit
    if not terms or limit <= 0 or not _has_tables(connection, statements):
        return []
    rows = _keyword_candidates(connection, statements, app_name, user_id, search)
    semantic: list[int] = []
    if search.vector is not None and _exists(connection, statements.vectors_table):
        semantic = _nearest(connection, statements, app_name, user_id, search)
    wanted = set(terms)

    def order(row: tuple[Any, ...]) -> tuple[int, float, float]:
        held = wanted.intersection(str(row[6]).split())
        return (-len(held), float(row[8]), -float(row[4]))

    rows.sort(key=order)
    fusion = Fusion((row[:8] for row in rows), semantic, limit)
    missing = fusion.missing
    found = []
    if missing:
        found = connection.execute(
            statements.select_by_ids, (app_name, user_id, msgspec.json.encode(missing))
        ).fetchall()
    return fusion.memories(found)


def _keyword_candidates(
    connection: sqlite3.Connection,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    search: MemorySearch,
) -> list[tuple[Any, ...]]:
    """The bm25 candidates of a search: among all the user's memories, or, with a window
    and more memories than it, among the newest ``window`` and the older ones that hold a
    rare query word.

    bm25 costs a step per memory that holds a query word, so a common word ("flight"
    in a third of 100,000 memories) costs as much as the user has memories; the window
    bounds that. A word held by at most ``search.rare_word_limit`` older memories is looked up in
    all of them, so a memory that holds a rare word is found at any age.
    """
    match = _match_any(search.terms)
    start = _window_start(connection, statements, app_name, user_id, search.window)
    if start is None:
        return connection.execute(
            statements.search, (match, app_name, user_id, search.candidates)
        ).fetchall()
    rows = connection.execute(
        statements.search_recent, (match, app_name, user_id, start, search.candidates)
    ).fetchall()
    rare = [
        term
        for term in search.terms
        if connection.execute(
            statements.older_holding, (_match_any([term]), start, search.rare_word_limit + 1)
        ).fetchone()[0]
        <= search.rare_word_limit
    ]
    if rare:
        rows += connection.execute(
            statements.search_older, (_match_any(rare), app_name, user_id, start, search.candidates)
        ).fetchall()
    return rows


def _match_any(terms: list[str]) -> str:
    """An FTS5 query for memories holding any of ``terms``, each quoted as a string."""
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _window_start(
    connection: sqlite3.Connection,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    window: int | None,
) -> int | None:
    """The row id where the user's newest ``window`` memories begin; None when there are
    no more than that, or no window, or a table from before the recent index (not
    written to since): then a search ranks every memory."""
    if window is None or not _index_exists(connection, statements.recent_index):
        return None
    row = connection.execute(statements.window_start, (app_name, user_id, window - 1)).fetchone()
    return None if row is None else int(row[0])


def _index_exists(connection: sqlite3.Connection, index: str) -> bool:
    return connection.execute(_INDEX_EXISTS, (index,)).fetchone() is not None


search_memories = in_read_transaction(search_in_transaction)
"""`search_in_transaction` in a read transaction of its own: one snapshot for both
rankings and the memories read by id."""


def _nearest(
    connection: sqlite3.Connection,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    search: MemorySearch,
) -> list[int]:
    """The ids of the user's ``search.candidates`` memories nearest to its vector, best
    first: ranked by sqlite-vec when it loads, else scanned here (from the vector cache
    when it holds the scope's current vectors)."""
    vector, count, min_similarity = search.vector, search.candidates, search.min_similarity
    assert vector is not None  # a hybrid search's
    if _sqlite_vec_ready(connection):
        in_c = [
            (int(row_id), float(similarity))
            for row_id, similarity in connection.execute(
                statements.nearest_with_sqlite_vec,
                (vector, app_name, user_id, len(vector), count),
            )
            if similarity is not None
        ]
        return [
            row_id
            for row_id, similarity in in_c
            if min_similarity is None or similarity >= min_similarity
        ]
    scope = scope_key(app_name, user_id)
    version = None
    if _exists(connection, statements.vector_versions_table):
        row = connection.execute(statements.vector_version, (scope,)).fetchone()
        version = None if row is None else int(row[0])
    database = connection.execute(_MAIN_FILE).fetchone()[2]
    cache_key = (str(database), statements.table, scope, len(vector))
    cacheable = version is not None and bool(database)
    if cacheable and version is not None:
        cached = vector_cache.get(cache_key, version)
        if cached is not None:
            found = nearest_in_matrix(
                vector, cached.keys, cached.matrix, count, min_similarity=min_similarity
            )
            return [row_id for row_id, _ in found]
    ranked: list[tuple[int, float]] = []
    windows: list[tuple[list[int], bytes]] = []
    held = 0
    for keys, matrix in _scan(connection, statements, app_name, user_id, len(vector)):
        if cacheable:
            windows.append((keys, matrix))
            held += len(matrix)
            if held <= vector_cache.capacity_bytes:
                continue
            cacheable = False  # too large to keep: rank window by window from here
            pending, windows = windows, []
        else:
            pending = [(keys, matrix)]
        for window_keys, window in pending:
            ranked += nearest_in_matrix(
                vector, window_keys, window, count, min_similarity=min_similarity
            )
    if cacheable and version is not None:
        all_keys = [key for keys, _ in windows for key in keys]
        joined = b"".join(matrix for _, matrix in windows)
        vector_cache.put(cache_key, CachedVectors(version, all_keys, joined))
        ranked = nearest_in_matrix(vector, all_keys, joined, count, min_similarity=min_similarity)
    ranked.sort(key=lambda pair: -pair[1])
    return [row_id for row_id, _ in ranked[:count]]


_MAIN_FILE = "PRAGMA database_list"


def _scan(
    connection: sqlite3.Connection,
    statements: MemoryStatements,
    app_name: str,
    user_id: str,
    size: int,
) -> Iterator[tuple[list[int], bytes]]:
    """The user's vectors of ``size`` bytes, a window at a time: (row ids, joined vectors)."""
    after = -(2**63)
    while True:
        rows, last, ids, matrix = connection.execute(
            statements.vectors_of_user, (app_name, user_id, after, size, _SCAN_WINDOW)
        ).fetchone()
        if not rows:
            return
        yield [int(row_id) for row_id in str(ids).split(",")], bytes(matrix)
        if rows < _SCAN_WINDOW:
            return
        after = int(last)


# sqlite-vec is loaded into each connection the first time it searches by vector. When
# it cannot be loaded (not installed, or this Python's sqlite3 cannot load extensions),
# that is remembered, and the Python scan is used.
_sqlite_vec_unavailable = False
_FUNCTION_LOADED = "SELECT 1 FROM pragma_function_list WHERE name = 'vec_distance_cosine'"


def _sqlite_vec_ready(connection: sqlite3.Connection) -> bool:
    global _sqlite_vec_unavailable
    if _sqlite_vec_unavailable:
        return False
    if connection.execute(_FUNCTION_LOADED).fetchone() is not None:
        return True
    if _load_sqlite_vec(connection):
        return True
    _sqlite_vec_unavailable = True
    return False


def _load_sqlite_vec(connection: sqlite3.Connection) -> bool:
    """Loads sqlite-vec and checks it agrees with the Python scan on a known pair."""
    if not hasattr(connection, "enable_load_extension"):
        return False
    try:
        sqlite_vec = importlib.import_module("sqlite_vec")
        connection.enable_load_extension(True)
        try:
            sqlite_vec.load(connection)
        finally:
            connection.enable_load_extension(False)
        left, right = _AGREEMENT_CHECK
        (similarity,) = connection.execute(
            "SELECT 1.0 - vec_distance_cosine(?, ?)", (left, right)
        ).fetchone()
    except (ImportError, AttributeError, sqlite3.Error):
        return False
    expected = dot(left, right)
    return expected is not None and abs(float(similarity) - expected) < 1e-5


# Two unit vectors whose similarity is 0.6.
_AGREEMENT_CHECK = (pack_vector([0.6, 0.8]), pack_vector([1.0, 0.0]))


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
    versioned = _exists(connection, statements.vector_versions_table)
    if memory_id is None and session_id is None:
        connection.execute(statements.delete_watermarks_of_user, scope)
        if versioned:  # nothing of the scope is left: neither is its version
            connection.execute(statements.drop_vector_version, (scope_key(*scope),))
        return connection.execute(statements.delete_of_user, scope).rowcount
    if versioned:
        connection.execute(statements.bump_vector_version, (scope_key(*scope),))
    if memory_id is not None:
        if not (memory_id.isdecimal() and len(memory_id) < 19):
            return 0
        return connection.execute(statements.delete_one, (*scope, int(memory_id))).rowcount
    connection.execute(statements.delete_watermark, (*scope, session_id))
    return connection.execute(statements.delete_of_session, (*scope, session_id)).rowcount


def optimize_index(connection: sqlite3.Connection, statements: MemoryStatements) -> None:
    """Merges the full-text index's segments, which keep deleted words until merged."""
    connection.execute(statements.optimize)
