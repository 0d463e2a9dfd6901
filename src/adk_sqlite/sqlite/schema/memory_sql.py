"""The SQL of the memory tables on SQLite, rendered for one base name.

``{memories}`` holds one row per memory; ``{memories}_fts`` is an FTS5 index over its
``search_text`` (external content, kept in step by triggers), ranked with bm25;
``{memories}_sessions`` records per session how many of its events are indexed;
``{memories}_vectors``, made when the first embedding is stored, holds one unit-length
float32 vector per memory that has one (deleted with its memory by a trigger).
The text is normalised before it is stored (`adk_sqlite.codec.memory_text`), so the
tokenizer splits only between words (an underscore is part of a word, as in `\\w`).
"""

from __future__ import annotations

from dataclasses import dataclass

from adk_sqlite.storage.memory_statements import (
    WATERMARKS_TABLE,
    MemoryStatementsBase,
    memories_table,
)
from adk_sqlite.storage.memory_statements import render_memory_statements as render_statements

__all__ = ["MemoryStatements", "render_memory_statements"]

_CREATE = (
    memories_table(id_column="row_id INTEGER PRIMARY KEY", timestamp_type="REAL"),
    """
CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(
    search_text, content={memories_literal}, content_rowid='row_id',
    tokenize='unicode61 remove_diacritics 0 tokenchars ''_'''
)""",
    """
CREATE TRIGGER IF NOT EXISTS {trigger_insert} AFTER INSERT ON {memories} BEGIN
    INSERT INTO {fts} (rowid, search_text) VALUES (new.row_id, new.search_text);
END""",
    """
CREATE TRIGGER IF NOT EXISTS {trigger_delete} AFTER DELETE ON {memories} BEGIN
    INSERT INTO {fts} ({fts}, rowid, search_text) VALUES ('delete', old.row_id, old.search_text);
END""",
    """
CREATE TRIGGER IF NOT EXISTS {trigger_update} AFTER UPDATE OF search_text ON {memories} BEGIN
    INSERT INTO {fts} ({fts}, rowid, search_text) VALUES ('delete', old.row_id, old.search_text);
    INSERT INTO {fts} (rowid, search_text) VALUES (new.row_id, new.search_text);
END""",
    WATERMARKS_TABLE,
)

# The vectors are clustered by app and user (WITHOUT ROWID, keyed by scope first): a
# search reads one user's vectors as a contiguous range, not one lookup per memory.
_CREATE_VECTORS = (
    """
CREATE TABLE IF NOT EXISTS {vectors} (
    app_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (app_name, user_id, row_id)
) WITHOUT ROWID""",
    """
CREATE TABLE IF NOT EXISTS {vector_versions} (
    scope INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
)""",
    """
CREATE TRIGGER IF NOT EXISTS {trigger_vector_delete} AFTER DELETE ON {memories} BEGIN
    DELETE FROM {vectors}
    WHERE app_name = old.app_name AND user_id = old.user_id AND row_id = old.row_id;
END""",
)
# The vector statements take the memory's key first (?1 to ?4), as on PostgreSQL.
_KEY = "app_name = ?1 AND user_id = ?2 AND session_id = ?3 AND event_id = ?4"
_UPSERT_VECTOR = (
    "INSERT INTO {vectors} (app_name, user_id, row_id, vector)"
    " SELECT app_name, user_id, row_id, ?5 FROM {memories} WHERE "
    + _KEY
    + " ON CONFLICT (app_name, user_id, row_id) DO UPDATE SET vector = excluded.vector"
)
_DELETE_VECTOR = (
    "DELETE FROM {vectors} WHERE app_name = ?1 AND user_id = ?2"
    " AND row_id = (SELECT row_id FROM {memories} WHERE " + _KEY + ")"
)
# A scope's version (see adk_sqlite.sqlite.vector_cache): replaced by a random number
# whenever the scope's vectors change, deleted with the scope's last memory.
_BUMP_VECTOR_VERSION = (
    "INSERT INTO {vector_versions} (scope, version) VALUES (?, random())"
    " ON CONFLICT (scope) DO UPDATE SET version = random()"
)
_DROP_VECTOR_VERSION = "DELETE FROM {vector_versions} WHERE scope = ?"
_VECTOR_VERSION = "SELECT version FROM {vector_versions} WHERE scope = ?"
_VECTOR_SIZE = "SELECT length(vector) FROM {vectors} LIMIT 1"
# A user's vectors of one size, a window of row ids at a time, as one value each: the
# ids as text and the vectors joined in the same order (group_concat keeps a blob's
# bytes, NULs included). One value instead of a row per memory spares Python building
# a tuple and a bytes object per vector, which cost ten times the scan.
_VECTORS_OF_USER = """
SELECT count(*), max(row_id), group_concat(row_id), CAST(group_concat(vector, '') AS BLOB)
FROM (
    SELECT row_id, vector FROM {vectors}
    WHERE app_name = ? AND user_id = ? AND row_id > ? AND length(vector) = ?
    ORDER BY row_id
    LIMIT ?
)"""
# With sqlite-vec loaded: the same scan in C, best first (vectors are unit length, so
# 1 - cosine distance is the dot product the Python scan computes).
_NEAREST_WITH_SQLITE_VEC = """
SELECT row_id, 1.0 - vec_distance_cosine(vector, ?) AS similarity
FROM {vectors}
WHERE app_name = ? AND user_id = ? AND length(vector) = ?
ORDER BY similarity DESC
LIMIT ?"""
_SELECT_BY_IDS = """
SELECT row_id, session_id, event_id, author, timestamp, content, search_text, custom_metadata
FROM {memories}
WHERE app_name = ? AND user_id = ? AND row_id IN (SELECT value FROM json_each(?))"""


def _search(age: str = "") -> str:
    """The keyword search, best ``LIMIT`` first, among the memories ``age`` keeps."""
    return f"""
SELECT m.row_id, m.session_id, m.event_id, m.author, m.timestamp, m.content, m.search_text,
    m.custom_metadata, bm25({{fts}}) AS rank
FROM {{fts}} JOIN {{memories}} AS m ON m.row_id = {{fts}}.rowid
WHERE {{fts}} MATCH ? AND m.app_name = ? AND m.user_id = ?{age}
ORDER BY rank, m.timestamp DESC
LIMIT ?"""


# A search with a window (see adk_sqlite.sqlite.memory_jobs.search_in_transaction): the
# row id where the user's newest ``window`` memories begin (row ids only grow), read
# from the recent index in one walk; the search among those newest and among the older;
# and whether a word is rare among the older (at most the LIMIT of them hold it).
_SEARCH = _search()
_SEARCH_RECENT = _search(" AND {fts}.rowid >= ?")
_SEARCH_OLDER = _search(" AND {fts}.rowid < ?")
_WINDOW_START = (
    "SELECT row_id FROM {memories} WHERE app_name = ? AND user_id = ?"
    " ORDER BY row_id DESC LIMIT 1 OFFSET ?"
)
_OLDER_HOLDING = (
    "SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH ? AND rowid < ? LIMIT ?)"
)
_CREATE_RECENT_INDEX = (
    "CREATE INDEX IF NOT EXISTS {recent_index} ON {memories} (app_name, user_id, row_id)"
)
_DELETE_ONE = "DELETE FROM {memories} WHERE app_name = ? AND user_id = ? AND row_id = ?"
_OPTIMIZE = "INSERT INTO {fts} ({fts}) VALUES ('optimize')"


@dataclass(frozen=True, slots=True)
class MemoryStatements(MemoryStatementsBase):
    """The memory tables' statements on SQLite, their names filled in."""

    optimize: str
    create_vectors: tuple[str, ...]
    vector_size: str
    vector_versions_table: str
    bump_vector_version: str
    drop_vector_version: str
    vector_version: str
    nearest_with_sqlite_vec: str
    search_recent: str
    search_older: str
    window_start: str
    older_holding: str
    create_recent_index: str
    recent_index: str


def render_memory_statements(table: str) -> MemoryStatements:
    """Renders the statements for the memory tables named after ``table`` (validated)."""
    names = {
        "memories": table,
        "fts": f"{table}_fts",
        "sessions": f"{table}_sessions",
        "vectors": f"{table}_vectors",
        "vector_versions": f"{table}_vector_versions",
        "trigger_vector_delete": f"{table}_vd",
        "trigger_insert": f"{table}_ai",
        "trigger_delete": f"{table}_ad",
        "trigger_update": f"{table}_au",
        "recent_index": f"{table}_recent",
    }
    return render_statements(
        MemoryStatements,
        names,
        dialect="sqlite",
        constants=globals(),
        table_fields={
            "vector_versions_table": names["vector_versions"],
            "recent_index": names["recent_index"],
        },
    )
