"""The SQL of the artifacts table on PostgreSQL, rendered for one table name.

One row per version, as on SQLite: the part's JSON (``part``, text, its inline bytes
left out) and those bytes apart in ``data`` (``bytea``, NULL when the part holds none).
Bytes longer than `PIECE_SIZE` are kept instead in ``{table}_pieces``, one row per
piece of `PIECE_SIZE` bytes in order (``seq``), deleted with their version by the
foreign key; the version's ``data`` is then NULL. A save sends them, and a load reads
them, a few at a time: one parameter of hundreds of MB would be encoded on the event
loop's thread in one go and held by asyncpg beside the caller's copy.

``filename`` is ``bytea`` (the name in UTF-8), not ``text``: PostgreSQL's text cannot
hold a NUL character, and ADK accepts any string as a name, so a name is stored
exactly only as bytes. The scope's ids stay ``text``: ADK refuses a NUL in them.
``convert_from(filename, 'UTF8')`` shows a name in SQL.

The unique key (scope, name, version) is also the index that finds a name's newest
version. A save numbers its version under a transaction-scoped advisory lock on the
name (`LOCK_NAME`): see `adk_sqlite.postgres.artifact_jobs`.
"""

from __future__ import annotations

from dataclasses import dataclass

from adk_sqlite.storage.artifact_statements import (
    VERSION_COLUMNS,
    ArtifactStatementsBase,
    shared_artifact_templates,
)
from adk_sqlite.storage.store_statements import quoted

__all__ = [
    "PIECES_PER_READ",
    "PIECE_SIZE",
    "TABLE_EXISTS",
    "ArtifactStatements",
    "pieces_table",
    "render_artifact_statements",
]

TABLE_EXISTS = "SELECT to_regclass(quote_ident($1)) IS NOT NULL"
# Of the tables $1 and $2, those whose ``data`` column compresses as the server's
# default does, when the server has lz4 (PostgreSQL 14 and later, built with it; the
# column ``attcompression`` is 14's too). A column set otherwise, by an administrator
# or by adk-sqlite, is left as it is.
SELECT_DEFAULT_COMPRESSION = (
    "SELECT c.relname FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid"
    " WHERE a.attrelid IN (to_regclass(quote_ident($1)), to_regclass(quote_ident($2)))"
    " AND a.attname = 'data' AND a.attcompression = ''"
    " AND EXISTS (SELECT 1 FROM pg_settings"
    " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals))"
)
# The first server version whose columns take a compression method.
COMPRESSION_SINCE_VERSION = 14

# Bytes up to this size stay in the version's row; longer ones go in pieces of it.
PIECE_SIZE = 1 << 20
# How many pieces one read of a large version fetches (what a load holds beside them).
PIECES_PER_READ = 8

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS {table} (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    app_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    filename BYTEA NOT NULL,
    version INTEGER NOT NULL,
    part TEXT NOT NULL,
    data BYTEA,
    size BIGINT NOT NULL,
    mime_type TEXT,
    custom_metadata TEXT NOT NULL,
    create_time DOUBLE PRECISION NOT NULL,
    UNIQUE (app_name, user_id, session_id, filename, version)
)"""
_CREATE_PIECES = """
CREATE TABLE IF NOT EXISTS {pieces} (
    artifact_id BIGINT NOT NULL REFERENCES {table} (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (artifact_id, seq)
)"""

# $1 is the table's name: the same name in another table (another store) is another
# lock. The key is a JSON array of the five, so no two keys render alike.
_LOCK_NAME = (
    "SELECT pg_advisory_xact_lock(hashtextextended(json_build_array("
    "$1::text, $2::text, $3::text, $4::text, encode($5::bytea, 'hex'))::text, 0))"
)

# The casts: in INSERT ... SELECT, PostgreSQL would take an untyped parameter for text.
_INSERT = (
    "INSERT INTO {table} (app_name, user_id, session_id, filename, version, part, data,"
    " size, mime_type, custom_metadata, create_time)"
    " SELECT $1, $2, $3, $4, coalesce(max(version) + 1, 0), $5::text, $6::bytea,"
    " $7::bigint, $8::text, $9::text, $10::double precision"
    " FROM {table} WHERE app_name = $1 AND user_id = $2 AND session_id = $3 AND filename = $4"
    " RETURNING version, id"
)
_INSERT_PIECE = "INSERT INTO {pieces} (artifact_id, seq, data) VALUES ($1, $2, $3)"
# lz4 for the bytes: PostgreSQL's default, pglz, gives up on incompressible bytes only
# when their first KiB does not compress, so an image or an archive whose header
# repeats a few bytes costs a full pglz pass (10 ms a MiB here) for nothing; lz4
# passes over them in a fraction of that and compresses text as well.
_USE_LZ4 = "ALTER TABLE {table} ALTER COLUMN data SET COMPRESSION lz4"
_USE_LZ4_IN_PIECES = "ALTER TABLE {pieces} ALTER COLUMN data SET COMPRESSION lz4"
_SELECT_PIECES = (
    "SELECT data FROM {pieces} WHERE artifact_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3"
)
# What a load reads beyond the version's columns: its id, and whether it has pieces.
_LOADED_COLUMNS = (
    VERSION_COLUMNS
    + ", part, data, id, EXISTS (SELECT 1 FROM {pieces} AS p WHERE p.artifact_id = {table}.id)"
)


@dataclass(frozen=True, slots=True)
class ArtifactStatements(ArtifactStatementsBase):
    """The artifacts table's statements on PostgreSQL, its name filled in."""

    lock_name: str
    create_pieces: str
    insert_piece: str
    select_pieces: str
    use_lz4: str
    use_lz4_in_pieces: str


def pieces_table(table: str) -> str:
    """The name of the table that holds the pieces of ``table``'s large versions."""
    return f"{table}_pieces"


def render_artifact_statements(table: str) -> ArtifactStatements:
    """Renders the statements for ``table`` (a name already validated)."""
    names = {"table": quoted(table), "pieces": quoted(pieces_table(table))}
    return shared_artifact_templates(_LOADED_COLUMNS).render(
        ArtifactStatements, names, dialect="postgres", constants=globals(), table=table
    )
