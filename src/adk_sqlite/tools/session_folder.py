"""Reading a one-file-per-session folder: its sessions, a timeline, SQL across every file.

A folder written by `SqliteStore.per_session_files` holds ``catalog.db``,
``sessions/*.db`` (one file per live session) and ``archive/*.db``. These
functions read it with connections of their own, read-only, like the rest of
the command line's library, so they are safe while agents are writing::

    from adk_sqlite import query_session_folder

    result = query_session_folder(
        "agent-sessions",
        "SELECT author, count(*) AS events FROM adk_events GROUP BY author",
        combine="SELECT author, sum(events) AS events FROM rows GROUP BY author",
    )

`query_session_folder` runs the statement once in every session file, with
all the guards of `run_readonly_query`, and puts the rows together, each
preceded by the file it came from; ``combine`` runs a second read-only
statement over all of them (a table named ``rows``), for totals across files.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from adk_sqlite.codec.state import decode_state, merged_state
from adk_sqlite.errors import (
    AmbiguousSessionError,
    DatabaseError,
    DatabaseUnavailableError,
    SessionNotFoundError,
)
from adk_sqlite.sqlite.database_file import TableSet, open_session_database, sqlite_errors
from adk_sqlite.sqlite.per_session.file_names import FILE_SUFFIX, parse_session_file_name
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.tools.inspection import SessionList, list_session_summaries
from adk_sqlite.tools.readonly_query import (
    QueryResult,
    _ReadOnlyAuthorizer,
    refuse_empty_statement,
    run_readonly_query,
)
from adk_sqlite.tools.timeline import Timeline, read_timeline

if TYPE_CHECKING:
    from adk_sqlite.tools.maintenance import ProgressCallback

__all__ = [
    "FolderEntry",
    "archived_session_keys",
    "catalog_entries",
    "is_session_folder",
    "list_folder_sessions",
    "query_session_folder",
    "read_folder_timeline",
    "session_files",
]

COMBINED_TABLE = "rows"
FILE_COLUMN = "session_file"
_SELECT_ENTRIES = (
    "SELECT app_name, user_id, id, file_name, generation, revision, update_time_unix, state,"
    f" scope_revision FROM {_psql.SESSION_FILES_TABLE}"
)
_FILTER = " WHERE (?1 IS NULL OR app_name = ?1) AND (?2 IS NULL OR user_id = ?2)"
SELECT_NEWEST_ENTRIES = (
    _SELECT_ENTRIES + _FILTER + " ORDER BY update_time_unix DESC, app_name, user_id, id LIMIT ?3"
)
COUNT_ENTRIES = f"SELECT count(*) FROM {_psql.SESSION_FILES_TABLE}" + _FILTER
SELECT_ENTRIES_BY_FILE = _SELECT_ENTRIES + " ORDER BY file_name"
SELECT_ENTRIES_OF_ID = (
    _SELECT_ENTRIES
    + " WHERE id = ?1 AND (?2 IS NULL OR app_name = ?2) AND (?3 IS NULL OR user_id = ?3)"
    + " ORDER BY app_name, user_id"
)
# Templates, filled in with the catalog's (or the file's) table names.
SELECT_SCOPE_STATES = (
    'SELECT (SELECT state FROM "{app_states}" WHERE app_name = ?1),'
    ' (SELECT state FROM "{user_states}" WHERE app_name = ?1 AND user_id = ?2)'
)
_SELECT_IDS = 'SELECT app_name, user_id, id FROM "{sessions}"'


@dataclass(frozen=True, slots=True)
class FolderEntry:
    """A catalog row: a live session and its file, with the catalog's copy of its listing."""

    app_name: str
    user_id: str
    id: str
    file: Path
    generation: int
    revision: int
    update_time: float
    state: str
    scope_revision: int


def is_session_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a folder of the one-file-per-session layout (it has a catalog)."""
    folder = Path(path)
    return folder.is_dir() and (folder / _psql.CATALOG_FILE).is_file()


def _catalog_of(folder: str | os.PathLike[str]) -> Path:
    root = Path(folder)
    if not is_session_folder(root):
        raise DatabaseUnavailableError(
            f"{root}: not a folder of sessions (no {_psql.CATALOG_FILE} in it)"
        )
    return root / _psql.CATALOG_FILE


def _entry(root: Path, row: tuple[Any, ...]) -> FolderEntry:
    return FolderEntry(
        app_name=row[0],
        user_id=row[1],
        id=row[2],
        file=root / _psql.SESSIONS_FOLDER / row[3],
        generation=row[4],
        revision=row[5],
        update_time=row[6],
        state=row[7],
        scope_revision=row[8],
    )


def catalog_entries(
    folder: str | os.PathLike[str], *, busy_timeout: float = 5.0
) -> list[FolderEntry]:
    """Every live session the catalog lists, by file name."""
    catalog = _catalog_of(folder)
    with open_session_database(catalog, busy_timeout=busy_timeout) as db, sqlite_errors(db.target):
        rows = db.connection.execute(SELECT_ENTRIES_BY_FILE).fetchall()
    return [_entry(Path(folder), row) for row in rows]


def session_files(
    folder: str | os.PathLike[str], *, include_archived: bool = False, busy_timeout: float = 5.0
) -> list[Path]:
    """The files of the live sessions (as the catalog lists them), then the archived ones."""
    files = [entry.file for entry in catalog_entries(folder, busy_timeout=busy_timeout)]
    archive = Path(folder) / _psql.ARCHIVE_FOLDER
    if include_archived and archive.is_dir():
        files += sorted(path for path in archive.glob("*" + FILE_SUFFIX) if path.is_file())
    return files


def list_folder_sessions(
    folder: str | os.PathLike[str],
    *,
    app_name: str | None = None,
    user_id: str | None = None,
    limit: int | None = None,
    busy_timeout: float = 5.0,
) -> SessionList:
    """`list_session_summaries` for a folder: the live sessions, most recently active first.

    The catalog picks and counts the sessions; each one shown is read from its
    own file (events, state, exact times).
    """
    catalog = _catalog_of(folder)
    params = (app_name, user_id, -1 if limit is None else max(limit, 0))
    with open_session_database(catalog, busy_timeout=busy_timeout) as db, sqlite_errors(db.target):
        rows = db.connection.execute(SELECT_NEWEST_ENTRIES, params).fetchall()
        (total,) = db.connection.execute(COUNT_ENTRIES, params[:2]).fetchone()
    summaries = []
    for row in rows:
        entry = _entry(Path(folder), row)
        if not entry.file.is_file():
            continue
        listing = list_session_summaries(
            entry.file, app_name=entry.app_name, user_id=entry.user_id, busy_timeout=busy_timeout
        )
        summaries += [summary for summary in listing.sessions if summary.id == entry.id]
    summaries.sort(key=lambda s: (-s.last_update.unix, s.app_name, s.user_id, s.id))
    return SessionList(sessions=summaries, total=total)


def read_folder_timeline(
    folder: str | os.PathLike[str],
    session_id: str,
    *,
    app_name: str | None = None,
    user_id: str | None = None,
    busy_timeout: float = 5.0,
) -> Timeline:
    """`read_timeline` for a folder: a live session, else an archived one.

    A live session's ``app:`` and ``user:`` state come from the catalog (the
    file holds a copy); an archived one's from its file, as they were when it
    was archived.

    Raises:
        SessionNotFoundError: No live or archived session has this id.
        AmbiguousSessionError: Several do; narrow with ``app_name``/``user_id``,
            or pass the archived file itself to `read_timeline`.
    """
    catalog = _catalog_of(folder)
    with open_session_database(catalog, busy_timeout=busy_timeout) as db, sqlite_errors(db.target):
        rows = db.connection.execute(SELECT_ENTRIES_OF_ID, (session_id, app_name, user_id))
        entries = [_entry(Path(folder), row) for row in rows.fetchall()]
        if len(entries) == 1:
            scopes = db.connection.execute(
                db.tables.render(SELECT_SCOPE_STATES), (entries[0].app_name, entries[0].user_id)
            ).fetchone()
    if len(entries) > 1:
        owners = ", ".join(f"--app {e.app_name!r} --user {e.user_id!r}" for e in entries)
        raise AmbiguousSessionError(
            f"{folder}: session id {session_id!r} exists more than once; choose one with {owners}"
        )
    if entries:
        entry = entries[0]
        timeline = read_timeline(
            entry.file,
            session_id,
            app_name=entry.app_name,
            user_id=entry.user_id,
            busy_timeout=busy_timeout,
        )
        own = {k: v for k, v in timeline.state.items() if not k.startswith(("app:", "user:"))}
        app_state = decode_state(scopes[0], what="app state") if scopes[0] else {}
        user_state = decode_state(scopes[1], what="user state") if scopes[1] else {}
        return msgspec.structs.replace(timeline, state=merged_state(own, app_state, user_state))
    return _archived_timeline(Path(folder), session_id, app_name, user_id, busy_timeout)


def _archived_timeline(
    folder: Path,
    session_id: str,
    app_name: str | None,
    user_id: str | None,
    busy_timeout: float,
) -> Timeline:
    matches = [
        path
        for path, key in archived_session_keys(folder, busy_timeout)
        if key[2] == session_id and app_name in (None, key[0]) and user_id in (None, key[1])
    ]
    if not matches:
        raise SessionNotFoundError(f"{folder}: no live or archived session {session_id!r}")
    if len(matches) > 1:
        names = ", ".join(str(path) for path in matches)
        raise AmbiguousSessionError(
            f"{folder}: session id {session_id!r} was archived more than once ({names});"
            " show one of those files"
        )
    return read_timeline(
        matches[0], session_id, app_name=app_name, user_id=user_id, busy_timeout=busy_timeout
    )


def archived_session_keys(
    folder: Path, busy_timeout: float
) -> list[tuple[Path, tuple[str, str, str]]]:
    """Every archived file with the (app, user, id) of the session it holds."""
    archive = folder / _psql.ARCHIVE_FOLDER
    if not archive.is_dir():
        return []
    found = []
    for path in sorted(archive.glob("*" + FILE_SUFFIX)):
        key = parse_session_file_name(path.name)
        if key is not None:
            found.append((path, key))
            continue
        # A hashed (long) name: the file's own session row says whose it is.
        with open_session_database(path, busy_timeout=busy_timeout) as db:
            ids = db.connection.execute(db.tables.render(_SELECT_IDS))
            found += [(path, (a, u, i)) for a, u, i in ids]
    return found


def query_session_folder(
    folder: str | os.PathLike[str],
    sql: str,
    parameters: Sequence[Any] = (),
    *,
    combine: str | None = None,
    include_archived: bool = False,
    max_rows: int | None = None,
    timeout: float | None = None,
    busy_timeout: float = 5.0,
    progress: ProgressCallback | None = None,
) -> QueryResult:
    """Runs one read-only statement in every session file and puts the rows together.

    Each file is opened on its own, read-only, with the three guards of
    `run_readonly_query` (so no attach limit applies, and a statement that
    would write is refused before it runs anywhere). Every row is preceded by
    the ``session_file`` it came from (relative to the folder), files in
    name order.

    Args:
        folder: The folder (it has a ``catalog.db``).
        sql: One statement, run in every live session's file.
        parameters: Values for its ``?`` placeholders.
        combine: A second read-only statement run over all the rows, as a
            table named ``rows`` (columns ``session_file`` and the statement's):
            the aggregation step, for totals across sessions.
        include_archived: Also the files in ``archive/``.
        max_rows: Return at most this many rows (``truncated`` tells).
        timeout: Stop after this many seconds in all.
        busy_timeout: Seconds to wait for a lock on a file.
        progress: Called with (files queried, files in all).

    Raises:
        QueryRefusedError: A statement would write, attach or change a setting.
        DatabaseError: Invalid SQL, or the timeout passed.
        ConfigurationError: A statement holds only comments and whitespace.
    """
    refuse_empty_statement(sql)
    if combine is not None:
        refuse_empty_statement(combine)
    root = Path(folder)
    files = session_files(root, include_archived=include_archived, busy_timeout=busy_timeout)
    columns = _statement_columns(sql, parameters, _catalog_tables(root, busy_timeout))
    deadline = None if timeout is None else time.monotonic() + timeout
    # With `combine`, max_rows limits the combined rows, not what goes into them.
    limit = max_rows if combine is None else None
    rows: list[list[Any]] = []
    truncated = False
    for done, path in enumerate(files, start=1):
        room = None if limit is None else limit - len(rows)
        result = run_readonly_query(
            path,
            sql,
            parameters,
            max_rows=room,
            timeout=_remaining(deadline, root),
            busy_timeout=busy_timeout,
        )
        name = str(path.relative_to(root))
        rows += [[name, *row] for row in result.rows]
        if progress is not None:
            progress(done, len(files))
        # Once the rows are full, the next files are asked for none (max_rows=0),
        # which still tells whether they have any: only then were rows cut.
        if result.truncated:
            truncated = True
            break
    if combine is None:
        return QueryResult(columns=[FILE_COLUMN, *columns], rows=rows, truncated=truncated)
    return _combine(combine, [FILE_COLUMN, *columns], rows, max_rows)


def _remaining(deadline: float | None, folder: Path) -> float | None:
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise DatabaseError(f"{folder}: the query was stopped after its timeout")
    return left


def _run_guarded(
    connection: sqlite3.Connection, sql: str, parameters: Sequence[Any]
) -> sqlite3.Cursor:
    authorizer = _ReadOnlyAuthorizer()
    connection.set_authorizer(authorizer)
    try:
        return connection.execute(sql, tuple(parameters))
    except sqlite3.Error as exc:
        authorizer.raise_if_refused(exc)
        raise DatabaseError(f"the query failed: {exc}") from exc
    finally:
        connection.set_authorizer(None)


def _catalog_tables(folder: Path, busy_timeout: float) -> TableSet:
    """The folder's table set, as its catalog records it (every session file has the same)."""
    with open_session_database(_catalog_of(folder), busy_timeout=busy_timeout) as db:
        return db.tables


def _statement_columns(sql: str, parameters: Sequence[Any], tables: TableSet) -> list[str]:
    """Checks the statement once on empty tables of the layout; returns its columns.

    So a statement that would write is refused, and invalid SQL reported,
    even in a folder without sessions, before any file is opened.
    """
    from adk_sqlite.sqlite.per_session.folder import migrate_table_set
    from adk_sqlite.sqlite.schema.migrations import migrate

    connection = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(connection, tables.statements())
        migrate_table_set(connection, _psql.SESSION_FILE_TABLE, _psql.SESSION_FILE_MIGRATIONS)
        cursor = _run_guarded(connection, sql, parameters)
        return [column[0] for column in cursor.description or ()]
    finally:
        connection.close()


def _combine(
    sql: str, columns: list[str], rows: list[list[Any]], max_rows: int | None
) -> QueryResult:
    connection = sqlite3.connect(":memory:", isolation_level=None)
    try:
        quoted = ", ".join('"' + name.replace('"', '""') + '"' for name in columns)
        connection.execute(f"CREATE TABLE {COMBINED_TABLE} ({quoted})")
        marks = ", ".join("?" for _ in columns)
        connection.executemany(f"INSERT INTO {COMBINED_TABLE} VALUES ({marks})", rows)
        cursor = _run_guarded(connection, sql, ())
        combined_columns = [column[0] for column in cursor.description or ()]
        found = cursor.fetchall() if max_rows is None else cursor.fetchmany(max_rows + 1)
    finally:
        connection.close()
    truncated = max_rows is not None and len(found) > max_rows
    return QueryResult(
        columns=combined_columns,
        rows=[list(row) for row in found[:max_rows]],
        truncated=truncated,
    )
