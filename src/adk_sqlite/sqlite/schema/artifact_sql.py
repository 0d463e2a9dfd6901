"""The SQL of the artifacts table on SQLite (both layouts), rendered for one table name.

One row per version. The content's bytes sit in ``data`` (NULL when the part holds
no inline bytes), apart from the part's JSON, so a large one is written and read
with SQLite's incremental blob I/O instead of being copied whole by the bindings.
The row id is an alias of ``rowid``, which that I/O needs, and ``data`` is the last
column: SQLite writes a trailing ``zeroblob`` without building it in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from adk_sqlite.store_statements import quoted

__all__ = ["ARTIFACT_COLUMNS", "ArtifactStatements", "render_artifact_statements"]

_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS {table} (
    row_id INTEGER PRIMARY KEY,
    app_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    filename TEXT NOT NULL,
    version INTEGER NOT NULL,
    part TEXT NOT NULL,
    size INTEGER NOT NULL,
    mime_type TEXT,
    custom_metadata TEXT NOT NULL,
    create_time REAL NOT NULL,
    data BLOB,
    UNIQUE (app_name, user_id, session_id, filename, version)
)"""

# The columns, in order: how the tools recognise an artifacts table whatever its name.
ARTIFACT_COLUMNS = (
    "row_id",
    "app_name",
    "user_id",
    "session_id",
    "filename",
    "version",
    "part",
    "size",
    "mime_type",
    "custom_metadata",
    "create_time",
    "data",
)

_KEY = "app_name = ? AND user_id = ? AND session_id = ? AND filename = ?"

_INSERT = (
    "INSERT INTO {table} (app_name, user_id, session_id, filename, version, part,"
    " size, mime_type, custom_metadata, create_time, data)"
    " SELECT ?1, ?2, ?3, ?4, coalesce(max(version) + 1, 0), ?5, ?7, ?8, ?9, ?10, ?6"
    " FROM {table} WHERE app_name = ?1 AND user_id = ?2 AND session_id = ?3 AND filename = ?4"
    " RETURNING version"
)
# The zeroblob form takes the version from _NEXT_VERSION, read in the same write
# transaction: INSERT ... SELECT would build the zeroblob in memory, VALUES does not.
_NEXT_VERSION = (
    "SELECT coalesce(max(version) + 1, 0) FROM {table}"
    " WHERE app_name = ? AND user_id = ? AND session_id = ? AND filename = ?"
)
_INSERT_ZEROBLOB = (
    "INSERT INTO {table} (app_name, user_id, session_id, filename, version, part,"
    " size, mime_type, custom_metadata, create_time, data)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, zeroblob(?)) RETURNING row_id"
)
_VERSION_COLUMNS = "version, mime_type, custom_metadata, create_time, size"
_SELECT_LATEST = (
    "SELECT row_id, " + _VERSION_COLUMNS + ", part, length(data) IS NOT NULL"
    " FROM {table} WHERE " + _KEY + " ORDER BY version DESC LIMIT 1"
)
_SELECT_VERSION = (
    "SELECT row_id, " + _VERSION_COLUMNS + ", part, length(data) IS NOT NULL"
    " FROM {table} WHERE " + _KEY + " AND version = ?"
)
_SELECT_VERSIONS = (
    "SELECT " + _VERSION_COLUMNS + " FROM {table} WHERE " + _KEY + " ORDER BY version"
)
_SELECT_KEYS = (
    "SELECT DISTINCT filename FROM {table}"
    " WHERE app_name = ? AND user_id = ? AND session_id IN (?, ?)"
)
_DELETE = "DELETE FROM {table} WHERE " + _KEY
_DELETE_OF_SESSION = "DELETE FROM {table} WHERE app_name = ? AND user_id = ? AND session_id = ?"


@dataclass(frozen=True, slots=True)
class ArtifactStatements:
    """The artifacts table's statements, its name filled in."""

    table: str
    create_table: str
    insert: str
    select_latest: str
    select_version: str
    next_version: str
    insert_zeroblob: str
    select_versions: str
    select_keys: str
    delete: str
    delete_of_session: str


def render_artifact_statements(table: str) -> ArtifactStatements:
    """Renders the statements for ``table`` (a name already validated)."""
    quoted_table = quoted(table)

    def render(template: str) -> str:
        return template.format(table=quoted_table)

    return ArtifactStatements(
        table=table,
        create_table=render(_CREATE_TABLE),
        insert=render(_INSERT),
        next_version=render(_NEXT_VERSION),
        insert_zeroblob=render(_INSERT_ZEROBLOB),
        select_latest=render(_SELECT_LATEST),
        select_version=render(_SELECT_VERSION),
        select_versions=render(_SELECT_VERSIONS),
        select_keys=render(_SELECT_KEYS),
        delete=render(_DELETE),
        delete_of_session=render(_DELETE_OF_SESSION),
    )
