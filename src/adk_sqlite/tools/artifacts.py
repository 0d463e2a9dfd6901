"""The artifacts `adk_sqlite.ArtifactService` stored: listing them, and reading one version.

Both functions take a database file, or a folder of one file per session
(`SqliteStore.per_session_files`), where a session's artifacts are in its file and
the ``user:`` ones (and those of sessions that do not exist) in ``catalog.db``. They
open each file read-only with a connection of their own, so they are safe while
agents write. They are synchronous; from async code, call them through
`asyncio.to_thread`::

    from adk_sqlite.tools.artifacts import list_artifacts, read_artifact

    for artifact in list_artifacts("agent.db", app_name="reports").artifacts:
        print(artifact.filename, artifact.versions, artifact.total_bytes)
    report = read_artifact(
        "agent.db", app_name="reports", user_id="ada", session_id="s1", filename="report.md"
    )
    if report is not None:
        print(report.info.mime_type, report.data or report.text)

Names are data: a file name is returned exactly as stored (newlines, escape
sequences, ``../`` included) and never becomes a path or SQL.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

import msgspec

from adk_sqlite.artifact_records import USER_SCOPE, ArtifactKey, StoredArtifact
from adk_sqlite.errors import DatabaseUnavailableError, SchemaError
from adk_sqlite.sqlite import artifact_jobs
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.sqlite.schema.artifact_sql import render_artifact_statements
from adk_sqlite.sqlite.table_sets import artifact_tables_in
from adk_sqlite.timestamps import Instant, instant_from_unix
from adk_sqlite.tools.artifact_rows import Scope, artifact_summary_rows, identity_of
from adk_sqlite.tools.artifact_versions import (
    ArtifactContent,
    ArtifactVersionInfo,
    version_content,
    write_artifact_content,
)
from adk_sqlite.tools.read_only_files import opened_read_only, read_only_snapshot
from adk_sqlite.tools.row_filter import RowFilter
from adk_sqlite.tools.session_folder import _SELECT_ENTRIES, _entry, is_session_folder

__all__ = [
    "ArtifactContent",
    "ArtifactList",
    "ArtifactSummary",
    "ArtifactVersionInfo",
    "list_artifacts",
    "read_artifact",
    "write_artifact_content",
]

_USER_PREFIX = "user:"
# A session created or deleted between looking at the catalog and reading the file
# moves its versions: the read looks again, at most this many times.
_ATTEMPTS = 3
# The catalog rows of the live sessions whose files may hold matching artifacts.
SELECT_FOLDER_ENTRIES = (
    _SELECT_ENTRIES
    + " WHERE (?1 IS NULL OR app_name = ?1) AND (?2 IS NULL OR user_id = ?2)"
    + " AND (?3 IS NULL OR id = ?3) ORDER BY file_name"
)
SELECT_FOLDER_ENTRY = _SELECT_ENTRIES + " WHERE app_name = ? AND user_id = ? AND id = ?"


class ArtifactSummary(msgspec.Struct, kw_only=True):
    """One artifact name and its versions, as `list_artifacts` lists it.

    Attributes:
        session_id: The session it belongs to; None for a user-scoped (``user:``) one.
        scope: ``"session"`` or ``"user"``.
        versions: How many versions are stored.
        latest_version: The newest version's number.
        latest_size: The newest version's size in bytes (inline bytes, or text in
            UTF-8; 0 for a ``file_data`` reference).
        total_bytes: The sizes of all its versions added up.
        mime_type: The newest version's mime type.
        last_saved: When the newest version was saved.
        file: The database file that holds it (in a folder, relative to the folder).
        table: Its artifacts table.
    """

    app_name: str
    user_id: str
    session_id: str | None
    scope: Scope
    filename: str
    versions: int
    latest_version: int
    latest_size: int
    total_bytes: int
    mime_type: str | None
    last_saved: Instant
    file: str
    table: str


class ArtifactList(msgspec.Struct, kw_only=True):
    """Artifacts sorted by app, user, session (user-scoped first) and name."""

    artifacts: list[ArtifactSummary]


# --- listing ------------------------------------------------------------------------


def list_artifacts(
    database: str | os.PathLike[str],
    *,
    app_name: str | None = None,
    user_id: str | None = None,
    session_id: str | None = None,
    artifact_table: str | None = None,
    busy_timeout: float = 5.0,
) -> ArtifactList:
    """Lists the artifact names of a database file or a folder of session files.

    Args:
        database: A database file (or ``sqlite:///`` URL), or a folder of one file
            per session (it has a ``catalog.db``).
        app_name: Only this app's artifacts.
        user_id: Only this user's artifacts.
        session_id: Only this session's own artifacts (user-scoped ones have none).
        artifact_table: Only this artifacts table, for a file whose stores used
            several (``artifact_table=``); None for all of them.
        busy_timeout: Seconds to wait for a lock held by another connection.

    Raises:
        DatabaseUnavailableError: The file is missing or not a database.
        SchemaError: It is not an adk-sqlite database.
        DatabaseLockedError: It stayed locked beyond the busy timeout.
    """
    filters = RowFilter(app_name, user_id, session_id)
    if not is_session_folder(database):
        with read_only_snapshot(database, busy_timeout) as db:
            found = _summaries(db.connection, str(db.path), artifact_table, filters)
        return ArtifactList(artifacts=found)
    root = Path(database)
    catalog = root / _psql.CATALOG_FILE
    with read_only_snapshot(catalog, busy_timeout) as db:
        found = _summaries(db.connection, _psql.CATALOG_FILE, artifact_table, filters)
        rows = db.connection.execute(SELECT_FOLDER_ENTRIES, filters).fetchall()
    for entry in (_entry(root, row) for row in rows):
        own = RowFilter(entry.app_name, entry.user_id, entry.id)
        relative = str(entry.file.relative_to(root))
        # A file deleted meanwhile gave its versions to the catalog (read before it).
        with (
            contextlib.suppress(DatabaseUnavailableError),
            read_only_snapshot(entry.file, busy_timeout) as db,
        ):
            found += _summaries(db.connection, relative, artifact_table, own)
    found.sort(key=lambda a: (a.app_name, a.user_id, a.session_id or "", a.filename, a.file))
    return ArtifactList(artifacts=found)


def _summaries(
    connection: sqlite3.Connection,
    file: str,
    artifact_table: str | None,
    filters: RowFilter,
) -> list[ArtifactSummary]:
    found = []
    for table in _tables(connection, artifact_table):
        for row in artifact_summary_rows(connection, table, filters):
            found.append(
                ArtifactSummary(
                    **identity_of(row.key),
                    versions=row.versions,
                    latest_version=row.latest_version,
                    latest_size=row.latest_size,
                    total_bytes=row.total_bytes,
                    mime_type=row.mime_type,
                    last_saved=instant_from_unix(row.create_time),
                    file=file,
                    table=table,
                )
            )
    return found


# --- reading one version --------------------------------------------------------------


def read_artifact(
    database: str | os.PathLike[str],
    *,
    app_name: str,
    user_id: str,
    session_id: str | None,
    filename: str,
    version: int | None = None,
    artifact_table: str | None = None,
    busy_timeout: float = 5.0,
) -> ArtifactContent | None:
    """Reads one version of an artifact (the newest when ``version`` is None), or None.

    As in ADK, a ``user:`` name belongs to the user whatever ``session_id`` says;
    ``session_id=None`` also reads a user-scoped artifact. A ``file_data`` reference
    (``artifact://`` included) is returned as it is stored, not followed.

    Args:
        database: A database file (or ``sqlite:///`` URL), or a folder of session files.
        app_name: The artifact's app.
        user_id: Its user.
        session_id: Its session; None for a user-scoped artifact.
        filename: Its name, exactly as saved.
        version: The version; None for the newest.
        artifact_table: For a file whose stores used several artifacts tables, the
            one to read; None to look in all of them.
        busy_timeout: Seconds to wait for a lock held by another connection.

    Raises:
        SchemaError: Not an adk-sqlite database, or several artifacts tables hold
            this version and ``artifact_table`` chooses none.
        CorruptRecordError: The stored version holds no content the tools understand.
        DatabaseUnavailableError: The file is missing or not a database.
    """
    scope = USER_SCOPE if session_id is None or filename.startswith(_USER_PREFIX) else session_id
    key = ArtifactKey(app_name=app_name, user_id=user_id, session_id=scope, filename=filename)
    if not is_session_folder(database):
        return _read_in_file(database, None, key, version, artifact_table, busy_timeout)
    root = Path(database)
    catalog = root / _psql.CATALOG_FILE
    for _ in range(_ATTEMPTS):
        entry = None
        if scope != USER_SCOPE:
            with read_only_snapshot(catalog, busy_timeout) as db:
                row = db.connection.execute(
                    SELECT_FOLDER_ENTRY, (app_name, user_id, scope)
                ).fetchone()
            entry = None if row is None else _entry(root, row)
        if entry is None:
            # User-scoped, or no such session: the catalog holds the versions.
            return _read_in_file(
                catalog, _psql.CATALOG_FILE, key, version, artifact_table, busy_timeout
            )
        relative = str(entry.file.relative_to(root))
        with contextlib.suppress(DatabaseUnavailableError):  # the file went meanwhile
            found = _read_in_file(entry.file, relative, key, version, artifact_table, busy_timeout)
            if found is not None:
                return found
        # Not in the file: the session may have been deleted meanwhile; look again.
    return None


def _read_in_file(
    database: str | os.PathLike[str],
    file: str | None,
    key: ArtifactKey,
    version: int | None,
    artifact_table: str | None,
    busy_timeout: float,
) -> ArtifactContent | None:
    found: list[tuple[str, StoredArtifact]] = []
    with opened_read_only(database, busy_timeout) as db:
        for table in _tables(db.connection, artifact_table):
            stored = artifact_jobs.load_artifact(
                db.connection, render_artifact_statements(table), key, version
            )
            if isinstance(stored, StoredArtifact):
                found.append((table, stored))
        where = str(db.path) if file is None else file
    if len(found) > 1:
        tables = ", ".join(table for table, _ in found)
        raise SchemaError(
            f"{where}: several artifacts tables ({tables}) hold {key.filename!r}; choose one"
            " with --artifact-table NAME (artifact_table= in Python)"
        )
    if not found:
        return None
    table, stored = found[0]
    return version_content(key, stored, where, table)


def _tables(connection: sqlite3.Connection, artifact_table: str | None) -> list[str]:
    tables = artifact_tables_in(connection)
    if artifact_table is None:
        return tables
    return [table for table in tables if table.lower() == artifact_table.lower()]
