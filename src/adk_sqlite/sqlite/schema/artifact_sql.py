"""The SQL of the artifacts table on SQLite (both layouts), rendered for one table name.

One row per version. The content's bytes sit in ``data`` (NULL when the part holds
no inline bytes), apart from the part's JSON, so a large one is written and read
with SQLite's incremental blob I/O instead of being copied whole by the bindings.
The row id is an alias of ``rowid``, which that I/O needs, and ``data`` is the last
column: SQLite writes a trailing ``zeroblob`` without building it in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

from adk_sqlite.storage.artifact_statements import (
    VERSION_COLUMNS,
    ArtifactStatementsBase,
    shared_artifact_templates,
)
from adk_sqlite.storage.store_statements import quoted

__all__ = ["ARTIFACT_COLUMNS", "ArtifactStatements", "render_artifact_statements"]

# The columns, in order: the DDL's, and how the tools recognise an artifacts table
# whatever its name.
_COLUMNS = {
    "row_id": "INTEGER PRIMARY KEY",
    "app_name": "TEXT NOT NULL",
    "user_id": "TEXT NOT NULL",
    "session_id": "TEXT NOT NULL",
    "filename": "TEXT NOT NULL",
    "version": "INTEGER NOT NULL",
    "part": "TEXT NOT NULL",
    "size": "INTEGER NOT NULL",
    "mime_type": "TEXT",
    "custom_metadata": "TEXT NOT NULL",
    "create_time": "REAL NOT NULL",
    "data": "BLOB",
}
ARTIFACT_COLUMNS = tuple(_COLUMNS)
_CREATE_TABLE = (
    "\nCREATE TABLE IF NOT EXISTS {table} (\n"
    + "".join(f"    {column} {definition},\n" for column, definition in _COLUMNS.items())
    + "    UNIQUE (app_name, user_id, session_id, filename, version)\n)"
)

# A save reads the next version with _NEXT_VERSION, then inserts the row with it, in one
# write transaction. Not one INSERT ... SELECT: reading the table it inserts into, it
# first copies its rows into a temporary table, the bytes included (0.3-0.45 ms of a
# 1 MiB save here; the two statements are faster at every size down to 256 bytes), and
# it would build a zeroblob in memory.
_NEXT_VERSION = (
    "SELECT coalesce(max(version) + 1, 0) FROM {table}"
    " WHERE app_name = ? AND user_id = ? AND session_id = ? AND filename = ?"
)
_INSERT = (
    "INSERT INTO {table} (app_name, user_id, session_id, filename, version, part,"
    " size, mime_type, custom_metadata, create_time, data)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_ZEROBLOB = (
    "INSERT INTO {table} (app_name, user_id, session_id, filename, version, part,"
    " size, mime_type, custom_metadata, create_time, data)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, zeroblob(?)) RETURNING row_id"
)

# What a load reads beyond the version's columns: its row id, and whether it has bytes.
_LOADED_COLUMNS = "row_id, " + VERSION_COLUMNS + ", part, length(data) IS NOT NULL"


@dataclass(frozen=True, slots=True)
class ArtifactStatements(ArtifactStatementsBase):
    """The artifacts table's statements on SQLite, its name filled in."""

    next_version: str
    insert_zeroblob: str


def render_artifact_statements(table: str) -> ArtifactStatements:
    """Renders the statements for ``table`` (a name already validated)."""
    return shared_artifact_templates(_LOADED_COLUMNS).render(
        ArtifactStatements,
        {"table": quoted(table)},
        dialect="sqlite",
        constants=globals(),
        table=table,
    )
