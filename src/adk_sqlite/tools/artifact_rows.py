"""The artifacts tables of one open database file: summaries, totals and checks.

`adk_sqlite.ArtifactService` keeps one row per version (see
`adk_sqlite.sqlite.schema.artifact_sql`); a file may hold several such tables, under
the names its stores were given (``artifact_table=``), and
`adk_sqlite.sqlite.table_sets.artifact_tables_in` finds them by their columns. These
are plain functions of a `sqlite3.Connection` the caller opened (read-only, inside
one read transaction when several statements must agree), used by
`adk_sqlite.tools.artifacts`, ``database_stats`` and ``check_database``.

Table names are the validated ones `artifact_tables_in` returns; every value read
from a file (app, user, session id, file name) is bound as a parameter, never put
into SQL.
"""

from __future__ import annotations

import sqlite3
from typing import Literal, NamedTuple, TypedDict

import msgspec

from adk_sqlite.artifact_records import USER_SCOPE, ArtifactKey
from adk_sqlite.sqlite.table_sets import artifact_tables_in
from adk_sqlite.storage.store_statements import quoted
from adk_sqlite.tools.row_filter import RowFilter

__all__ = [
    "ArtifactIdentity",
    "ArtifactNameRow",
    "ArtifactProblem",
    "ArtifactTotals",
    "Scope",
    "artifact_problems_in",
    "artifact_summary_rows",
    "artifact_totals_in",
    "identity_of",
    "scope_of",
    "session_or_none",
]

_FILTER = (
    "(?1 IS NULL OR app_name = ?1) AND (?2 IS NULL OR user_id = ?2)"
    " AND (?3 IS NULL OR session_id = ?3)"
)
# Templates: {table} is a quoted, validated artifacts table name.
# Per name: its versions, their bytes, and the newest version's row (`ArtifactNameRow`).
SELECT_SUMMARIES = f"""
SELECT k.app_name, k.user_id, k.session_id, k.filename, k.versions, k.total_bytes,
       l.version, l.size, l.mime_type, l.create_time
FROM (
    SELECT app_name, user_id, session_id, filename, count(*) AS versions,
           sum(size) AS total_bytes, max(version) AS latest
    FROM {{table}} WHERE {_FILTER}
    GROUP BY app_name, user_id, session_id, filename
) AS k
JOIN {{table}} AS l
  ON l.app_name = k.app_name AND l.user_id = k.user_id AND l.session_id = k.session_id
 AND l.filename = k.filename AND l.version = k.latest
ORDER BY k.app_name, k.user_id, k.session_id, k.filename"""
SELECT_TOTALS = """
SELECT count(*), coalesce(sum(versions), 0), coalesce(sum(total_bytes), 0) FROM (
    SELECT count(*) AS versions, sum(size) AS total_bytes FROM {table}
    GROUP BY app_name, user_id, session_id, filename
)"""
_KEY_COLUMNS = "app_name, user_id, session_id, filename, version"
# Each check yields (app, user, session, name, version, detail). CASE evaluates its
# branches in order, so json_type only ever sees valid JSON.
SELECT_SIZE_MISMATCHES = (
    f"SELECT {_KEY_COLUMNS}, 'size says ' || size || ' bytes, data holds '"
    " || length(data) FROM {table}"
    " WHERE typeof(data) = 'blob' AND size IS NOT length(data)"
)
SELECT_DATA_NOT_BLOB = (
    f"SELECT {_KEY_COLUMNS}, 'data holds a ' || typeof(data) || ' value, not bytes'"
    " FROM {table} WHERE typeof(data) NOT IN ('blob', 'null')"
)
SELECT_BAD_JSON = f"""
SELECT {_KEY_COLUMNS}, problem FROM (
    SELECT {_KEY_COLUMNS}, CASE
        WHEN typeof(part) != 'text' THEN 'part is a ' || typeof(part) || ' value, not JSON text'
        WHEN NOT json_valid(part) THEN 'part is not valid JSON'
        WHEN json_type(part) != 'object' THEN 'part is JSON but not an object'
        WHEN typeof(custom_metadata) != 'text' OR NOT json_valid(custom_metadata)
            THEN 'custom_metadata is not valid JSON'
    END AS problem
    FROM {{table}}
) WHERE problem IS NOT NULL"""
# NOT INDEXED: a damaged unique index must not hide the duplicates it should refuse.
SELECT_DUPLICATE_VERSIONS = f"""
SELECT {_KEY_COLUMNS}, count(*) || ' rows hold this version'
FROM {{table}} NOT INDEXED
GROUP BY app_name, user_id, session_id, filename, version HAVING count(*) > 1"""
COUNT_VERSIONS = "SELECT count(*) FROM {table}"

# (kind, template), in the order the problems are reported.
_CHECKS = (
    ("size_mismatch", SELECT_SIZE_MISMATCHES),
    ("data_not_bytes", SELECT_DATA_NOT_BLOB),
    ("invalid_json", SELECT_BAD_JSON),
    ("duplicate_version", SELECT_DUPLICATE_VERSIONS),
)


Scope = Literal["session", "user"]


def session_or_none(session_id: str) -> str | None:
    """A stored session id as the tools report it: None for a user-scoped artifact."""
    return None if session_id == USER_SCOPE else session_id


def scope_of(session_id: str) -> Scope:
    """``"user"`` for a stored session id of the user scope, else ``"session"``."""
    return "user" if session_id == USER_SCOPE else "session"


class ArtifactIdentity(TypedDict):
    """Which artifact, as the tools' structs (`ArtifactSummary`, `ArtifactVersionInfo`) state it.

    Both structs declare these fields first, in this order; they take them with
    ``**identity_of(key)``.
    """

    app_name: str
    user_id: str
    session_id: str | None  # None for a user-scoped artifact
    scope: Scope
    filename: str


def identity_of(key: ArtifactKey) -> ArtifactIdentity:
    """The `ArtifactIdentity` of a stored key (whose user scope is `USER_SCOPE`)."""
    return ArtifactIdentity(
        app_name=key.app_name,
        user_id=key.user_id,
        session_id=session_or_none(key.session_id),
        scope=scope_of(key.session_id),
        filename=key.filename,
    )


class ArtifactNameRow(NamedTuple):
    """One artifact name of a table, as `artifact_summary_rows` reads it."""

    app_name: str
    user_id: str
    session_id: str  # as stored: USER_SCOPE for a user-scoped artifact
    filename: str
    versions: int
    total_bytes: int
    # The newest version's:
    latest_version: int
    latest_size: int
    mime_type: str | None
    create_time: float

    @property
    def key(self) -> ArtifactKey:
        """The artifact's stored key."""
        return ArtifactKey(self.app_name, self.user_id, self.session_id, self.filename)


def artifact_summary_rows(
    connection: sqlite3.Connection, table: str, rows: RowFilter
) -> list[ArtifactNameRow]:
    """The artifact names of ``table`` in ``rows``, sorted by app, user, session and name."""
    sql = SELECT_SUMMARIES.format(table=quoted(table))
    return [ArtifactNameRow._make(row) for row in connection.execute(sql, rows)]


class ArtifactTotals(msgspec.Struct, kw_only=True):
    """Artifact names, versions and their bytes in every artifacts table of a file."""

    names: int = 0
    versions: int = 0
    bytes: int = 0


def artifact_totals_in(connection: sqlite3.Connection) -> ArtifactTotals:
    """Counts the artifacts of every artifacts table of the file (none: zeros)."""
    totals = ArtifactTotals()
    for table in artifact_tables_in(connection):
        names, versions, size = connection.execute(
            SELECT_TOTALS.format(table=quoted(table))
        ).fetchone()
        totals.names += names
        totals.versions += versions
        totals.bytes += size
    return totals


class ArtifactProblem(msgspec.Struct, kw_only=True):
    """A stored artifact version that is not what `adk_sqlite.ArtifactService` writes.

    Attributes:
        table: The artifacts table holding it.
        session_id: None for a user-scoped (``user:``) artifact.
        kind: ``"size_mismatch"`` (``size`` is not the length of the stored bytes),
            ``"data_not_bytes"`` (the bytes column holds another type),
            ``"invalid_json"`` (the part is not a JSON object, or the custom
            metadata not JSON) or ``"duplicate_version"`` (two rows hold one version).
        detail: What is wrong, in words.
    """

    table: str
    app_name: str
    user_id: str
    session_id: str | None
    filename: str
    version: int
    kind: str
    detail: str


def artifact_problems_in(connection: sqlite3.Connection) -> tuple[list[ArtifactProblem], int]:
    """Checks every artifacts table of the file; returns the problems and the versions checked."""
    problems: list[ArtifactProblem] = []
    checked = 0
    for table in artifact_tables_in(connection):
        name = quoted(table)
        (count,) = connection.execute(COUNT_VERSIONS.format(table=name)).fetchone()
        checked += count
        for kind, template in _CHECKS:
            for app, user, session, filename, version, detail in connection.execute(
                template.format(table=name)
            ):
                problems.append(
                    ArtifactProblem(
                        table=table,
                        app_name=app,
                        user_id=user,
                        session_id=session_or_none(session),
                        filename=filename,
                        version=version,
                        kind=kind,
                        detail=detail,
                    )
                )
    return problems, checked
