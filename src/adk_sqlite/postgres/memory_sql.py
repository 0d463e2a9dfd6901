"""The SQL of the memory tables on PostgreSQL, rendered for one base name.

``{memories}`` holds one row per memory, ``{memories}_sessions`` records per session
how many of its events are indexed (as on SQLite), and ``{memories}_search`` is a GIN
index over ``search_vector``, a ``tsvector`` generated from ``search_text``.

The text is normalised before it is stored (`adk_sqlite.codec.memory_text`): its terms
are separated by single spaces. So the vector holds those terms exactly, one lexeme
each (``array_to_tsvector``), and is not parsed by a text-search configuration: even
'simple' would split ``my_function`` at its ``_`` and lower-case what ``casefold``
left upper-case (Cherokee), after which a query's quoted lexeme would not match.
Terms of 512 characters or more are left out of the vector (a lexeme holds at most
2047 bytes; PostgreSQL's own parsers drop longer words too). Being positionless, the
vector ranks by which terms a memory holds, and ``ts_rank``'s normalisation 1 prefers
shorter memories, as bm25 does on SQLite.

``{memories}_vectors``, made when the first embedding is stored, holds one unit-length
vector per memory that has one, as ``real[]`` (deleted with its memory by its foreign
key). With pgvector installed in the database, a search ranks them in the server
(``::vector <=>``); without it, the store reads the user's vectors and ranks them
exactly in Python, as SQLite does without sqlite-vec.

A search's tsquery is built from the terms (quoted lexemes joined with ``|``) and
passed as a parameter: no query text reaches SQL or PostgreSQL's query parser.
"""

from __future__ import annotations

from dataclasses import dataclass

from adk_sqlite.storage.memory_statements import (
    WATERMARKS_TABLE,
    MemoryStatementsBase,
    memories_table,
)
from adk_sqlite.storage.memory_statements import render_memory_statements as render_statements
from adk_sqlite.storage.store_statements import counted

__all__ = ["MAX_TERM_CHARACTERS", "MemoryStatements", "render_memory_statements"]

MAX_TERM_CHARACTERS = 511
"""The longest term the vector holds (a lexeme is at most 2047 bytes, 4 per character)."""

# The lexemes of search_text: its space-separated terms, those too long for a lexeme
# (512+ characters: up to 2044 bytes is always below the 2047-byte limit) removed.
# PostgreSQL's regular expressions repeat at most 255 times; the braces are doubled
# for str.format.
_SEARCH_VECTOR = (
    "array_to_tsvector(array_remove(string_to_array("
    r"regexp_replace(search_text, '\S{{255}}\S{{255}}\S{{2,}}', '', 'g'), ' '), ''))"
)

_CREATE = (
    memories_table(
        id_column="id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        timestamp_type="DOUBLE PRECISION",
        generated="\n    search_vector TSVECTOR GENERATED ALWAYS AS ("
        + _SEARCH_VECTOR
        + ") STORED,",
    ),
    "CREATE INDEX IF NOT EXISTS {search_index} ON {memories} USING GIN (search_vector)",
    "CREATE INDEX IF NOT EXISTS {recent_index} ON {memories} (app_name, user_id, id)",
    WATERMARKS_TABLE,
)
# Also run alone on a table made before the search window (see memory_jobs).
_CREATE_RECENT_INDEX = _CREATE[2]

# $3 the tsquery, $4 the candidates ts_rank picks, $5 the terms, $6 the limit (a
# hybrid search takes every candidate, to fuse them with the vector ranking), $7 where
# the search window starts (0: every memory) and $8 the tsquery of the query's rare
# words, which older memories are searched for (NULL: none; see
# adk_sqlite.postgres.memory_jobs.search_memories). The candidates are then ordered as
# on SQLite: most distinct terms held, rank, newest.
_SEARCH_CANDIDATES = """
WITH candidates AS (
    SELECT id, session_id, event_id, author, timestamp, content, search_text,
        custom_metadata, ts_rank(search_vector, $3::tsquery, 1) AS rank
    FROM {memories}
    WHERE app_name = $1 AND user_id = $2 AND search_vector @@ $3::tsquery
        AND (id >= $7 OR search_vector @@ $8::tsquery)
    ORDER BY rank DESC, timestamp DESC, id DESC
    LIMIT $4
)
SELECT id, session_id, event_id, author, timestamp, content, search_text, custom_metadata
FROM candidates
ORDER BY (
    SELECT count(DISTINCT term) FROM unnest($5::text[]) AS term
    WHERE term = ANY (string_to_array(candidates.search_text, ' '))
) DESC, rank DESC, timestamp DESC, id DESC"""
_SEARCH = _SEARCH_CANDIDATES + "\nLIMIT $6"
# The id where the user's newest $3 + 1 memories begin (ids only grow), read from the
# recent index; and how many memories older than $2 hold a word, counted up to $3.
_WINDOW_START = (
    "SELECT id FROM {memories} WHERE app_name = $1 AND user_id = $2"
    " ORDER BY id DESC OFFSET $3 LIMIT 1"
)
_OLDER_HOLDING = (
    "SELECT count(*) FROM (SELECT 1 FROM {memories}"
    " WHERE search_vector @@ $1::tsquery AND id < $2 LIMIT $3) AS older"
)

_CREATE_VECTORS = """
CREATE TABLE IF NOT EXISTS {vectors} (
    id BIGINT PRIMARY KEY REFERENCES {memories} (id) ON DELETE CASCADE,
    vector REAL[] NOT NULL
)"""
_KEY = "app_name = $1 AND user_id = $2 AND session_id = $3 AND event_id = $4"
_UPSERT_VECTOR = (
    "INSERT INTO {vectors} (id, vector) SELECT id, $5::real[] FROM {memories} WHERE "
    + _KEY
    + " ON CONFLICT (id) DO UPDATE SET vector = excluded.vector"
)
_DELETE_VECTOR = "DELETE FROM {vectors} WHERE id = (SELECT id FROM {memories} WHERE " + _KEY + ")"
_VECTOR_DIMENSIONS = "SELECT cardinality(vector) FROM {vectors} LIMIT 1"
_VECTORS_OF_USER = """
SELECT m.id, v.vector FROM {memories} AS m JOIN {vectors} AS v ON v.id = m.id
WHERE m.app_name = $1 AND m.user_id = $2"""
# pgvector's <=> is the cosine distance; the vectors are unit length.
_NEAREST_WITH_PGVECTOR = """
SELECT m.id, 1 - (v.vector::vector <=> $3::real[]::vector) AS similarity
FROM {memories} AS m JOIN {vectors} AS v ON v.id = m.id
WHERE m.app_name = $1 AND m.user_id = $2 AND cardinality(v.vector) = cardinality($3::real[])
ORDER BY v.vector::vector <=> $3::real[]::vector
LIMIT $4"""
_DELETE_ONE = counted("DELETE FROM {memories} WHERE app_name = $1 AND user_id = $2 AND id = $3")
_SELECT_BY_IDS = """
SELECT id, session_id, event_id, author, timestamp, content, search_text, custom_metadata
FROM {memories}
WHERE app_name = $1 AND user_id = $2 AND id = ANY ($3::bigint[])"""


@dataclass(frozen=True, slots=True)
class MemoryStatements(MemoryStatementsBase):
    """The memory tables' statements on PostgreSQL, their names filled in."""

    create_vectors: str
    vector_dimensions: str
    nearest_with_pgvector: str
    window_start: str
    older_holding: str
    create_recent_index: str
    recent_index: str


def render_memory_statements(table: str) -> MemoryStatements:
    """Renders the statements for the memory tables named after ``table`` (validated).

    Raises:
        ConfigurationError: A name derived from ``table`` is too long.
    """
    names = {
        "memories": table,
        "sessions": f"{table}_sessions",
        "search_index": f"{table}_search",
        "recent_index": f"{table}_recent",
        "vectors": f"{table}_vectors",
    }
    return render_statements(
        MemoryStatements,
        names,
        dialect="postgres",
        constants=globals(),
        table_fields={"recent_index": names["recent_index"]},
    )
