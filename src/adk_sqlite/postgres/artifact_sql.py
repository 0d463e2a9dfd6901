"""The SQL of the artifacts table on PostgreSQL, rendered for one table name.

One row per version, as on SQLite: the part's JSON (``part``, text, its inline bytes
left out) and those bytes apart in ``data`` (``bytea``, NULL when the part holds none).

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

from adk_sqlite.artifact_statements import VERSION_COLUMNS, ArtifactStatementsBase
from adk_sqlite.artifact_statements import render_artifact_statements as render_statements

__all__ = ["TABLE_EXISTS", "ArtifactStatements", "render_artifact_statements"]

TABLE_EXISTS = "SELECT to_regclass(quote_ident($1)) IS NOT NULL"

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
    " RETURNING version"
)


@dataclass(frozen=True, slots=True)
class ArtifactStatements(ArtifactStatementsBase):
    """The artifacts table's statements on PostgreSQL, its name filled in."""

    lock_name: str


def render_artifact_statements(table: str) -> ArtifactStatements:
    """Renders the statements for ``table`` (a name already validated)."""
    return render_statements(
        ArtifactStatements,
        table,
        dialect="postgres",
        loaded_columns=VERSION_COLUMNS + ", part, data",
        constants=globals(),
    )
