"""Forgetting a user of an app in a folder of session files (`PerSessionSqliteStore.forget_user`).

What the folder holds about a user is in two kinds of place: the catalog (their
session rows, ``user:`` state, user-scoped artifacts and those of sessions that do
not exist, memories with their index and watermarks, set-aside events) and files
(each live session's file, with its events and artifacts; archived copies in
``archive/``; files a crash or ``check --repair`` left in ``sessions/`` or
``orphans/``). The job runs under the catalog's lock, so no create, delete or archive
interleaves, in this order:

1. find the user's files: those the catalog names, and every other file of the
   folder whose name (or, for a hashed name, whose session row) is theirs;
2. one catalog write transaction, with ``secure_delete`` on: every catalog row of
   the user goes (the shared layout's `shared_file.forget.forget_user` over the
   catalog's tables, plus the session rows), and the files to remove are listed in
   ``adk_pending_erasures``. This is the commit point: from here no reader sees
   anything of the user;
3. the files go (with their ``-wal``, ``-shm`` and ``-journal``), then the list is
   emptied (``secure_delete`` again: it named the files), and the catalog's WAL is
   checkpointed and truncated, so no byte of the user is left in any file.

A process killed after step 2 leaves files that no catalog row names. They are
listed in ``adk_pending_erasures``, so the next store that opens the folder, and
``check --repair``, remove them (`finish_erasures`) before anything could adopt
them as orphans. A file is removed only if it is still the one listed: a file in
``sessions/`` that a catalog row names (a session created since, under the same
name) or whose generation differs is left alone.

An append racing the forget either lands before the commit (its file goes) or
finds the session gone. Files whose contents cannot be read and whose name is not
the user's (hashed names, foreign files in ``orphans/``) cannot be attributed and
are left.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from adk_sqlite.sqlite.per_session.file_names import FILE_SUFFIX, parse_session_file_name
from adk_sqlite.sqlite.per_session.folder import (
    SessionFolder,
    file_identity,
    transaction,
    unlink_database,
)
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.sqlite.schema.memory_sql import MemoryStatements
from adk_sqlite.sqlite.schema.statements import Statements
from adk_sqlite.sqlite.shared_file import forget as _shared
from adk_sqlite.sqlite.table_sets import damaged_events_table
from adk_sqlite.storage.forget_report import ForgetReport
from adk_sqlite.storage.store_statements import quoted

__all__ = ["finish_erasures", "forget_user"]

_logger = logging.getLogger("adk_sqlite.sqlite.per_session")

_SIDECARS = ("-wal", "-shm", "-journal", "-lock")
_SELECT_USER_ENTRIES = (
    f"SELECT file_name, generation FROM {_psql.SESSION_FILES_TABLE}"
    " WHERE app_name = ? AND user_id = ?"
)
_DELETE_USER_ENTRIES = f"DELETE FROM {_psql.SESSION_FILES_TABLE} WHERE app_name = ? AND user_id = ?"
_SELECT_ALL_FILE_NAMES = f"SELECT file_name FROM {_psql.SESSION_FILES_TABLE}"
_INSERT_ERASURE = f"INSERT OR REPLACE INTO {_psql.ERASURES_TABLE} (file, generation) VALUES (?, ?)"
_SELECT_ERASURES = f"SELECT file, generation FROM {_psql.ERASURES_TABLE} ORDER BY file"
_DELETE_ERASURES = f"DELETE FROM {_psql.ERASURES_TABLE}"
_COUNT_OF_USER = "SELECT count(*) FROM {table} WHERE app_name = ? AND user_id = ?"
_USERS_IN_FILE = "SELECT DISTINCT app_name, user_id FROM {table}"


@dataclass(frozen=True, slots=True)
class _Doomed:
    """A file to remove, where it is relative to the folder, and what it holds of the user."""

    relative: str
    generation: int | None
    counts: tuple[int, int, int, int]  # sessions, events, artifact versions, set-aside events
    named: bool  # a catalog row of the user names it


def forget_user(
    folder: SessionFolder, memory_statements: MemoryStatements, app_name: str, user_id: str
) -> ForgetReport:
    """Erases the user's catalog rows and files; see the module's docstring for the order."""
    scope = (app_name, user_id)
    with folder.catalog.locked() as writer:
        _finish_locked(folder.root, writer)  # whatever a killed forget left first
        named: dict[str, int] = dict(writer.execute(_SELECT_USER_ENTRIES, scope))
        taken = {name for (name,) in writer.execute(_SELECT_ALL_FILE_NAMES)}
        doomed = [
            _doomed(folder, folder.sessions_dir / name, scope, generation, named=True)
            for name, generation in sorted(named.items())
        ]
        doomed += _unnamed_files_of(folder, scope, taken)
        writer.execute("PRAGMA secure_delete = ON")
        try:
            with transaction(writer):
                sessions = writer.execute(_DELETE_USER_ENTRIES, scope).rowcount
                rows = _shared.forget_user(
                    writer,
                    folder.statements,
                    folder.artifact_statements,
                    memory_statements,
                    damaged_events_table(folder.statements.tables),
                    app_name,
                    user_id,
                )
                writer.executemany(
                    _INSERT_ERASURE, [(file.relative, file.generation) for file in doomed]
                )
        finally:
            writer.execute("PRAGMA secure_delete = OFF")
        _finish_locked(folder.root, writer)
        places = (folder.sessions_dir, folder.archive_dir, folder.orphans_dir)
        folder.sync_folder(*(place for place in places if place.is_dir()))
    return ForgetReport(
        sessions=sessions + rows.sessions + sum(f.counts[0] for f in doomed if not f.named),
        events=rows.events + sum(f.counts[1] for f in doomed),
        user_state=rows.user_state,
        artifact_versions=rows.artifact_versions + sum(f.counts[2] for f in doomed),
        memories=rows.memories,
        damaged_events=rows.damaged_events + sum(f.counts[3] for f in doomed),
        files=len(doomed),
    )


def finish_erasures(folder: SessionFolder) -> list[str]:
    """Removes the files a killed `forget_user` left listed; returns them (relative paths).

    Run by a store when it opens the folder (``check --repair`` runs `finish_pending`).
    """
    with folder.catalog.locked() as writer:
        return _finish_locked(folder.root, writer)


def pending_erasures(catalog: sqlite3.Connection) -> list[str]:
    """The files a forget still has to remove (relative paths); [] for an older catalog."""
    if catalog.execute(_sql.SELECT_TABLE_EXISTS, (_psql.ERASURES_TABLE,)).fetchone() is None:
        return []
    return [file for file, _ in catalog.execute(_SELECT_ERASURES)]


def finish_pending(root: Path, writer: sqlite3.Connection) -> list[str]:
    """`finish_erasures` on a catalog connection whose lock the caller holds, outside a
    transaction: removes each listed file still the one listed, then empties the list."""
    return _finish_locked(root, writer)


def _finish_locked(root: Path, writer: sqlite3.Connection) -> list[str]:
    pending = writer.execute(_SELECT_ERASURES).fetchall()
    if not pending:
        return []
    taken = {name for (name,) in writer.execute(_SELECT_ALL_FILE_NAMES)}
    for relative, generation in pending:
        path = root / relative
        if path.parent.name == _psql.SESSIONS_FOLDER and path.name in taken:
            continue  # a session created since under the same name
        if generation is not None and _generation_of(path) not in (generation, None):
            continue  # another file took the name since
        unlink_database(path)
    writer.execute("PRAGMA secure_delete = ON")
    try:
        with transaction(writer):
            writer.execute(_DELETE_ERASURES)
    finally:
        writer.execute("PRAGMA secure_delete = OFF")
    (busy, _, _) = writer.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        _logger.warning(
            "%s: a reader kept the catalog's WAL from being emptied after forgetting a user;"
            " it is emptied by the next checkpoint that finds no reader",
            root,
        )
    return [relative for relative, _ in pending]


def _unnamed_files_of(
    folder: SessionFolder, scope: tuple[str, str], taken: set[str]
) -> list[_Doomed]:
    """The user's files that no catalog row names: archived, set aside, or left by a crash."""
    found = []
    for directory in (folder.sessions_dir, folder.archive_dir, folder.orphans_dir):
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            name = path.name
            if name.endswith(_SIDECARS) or not path.is_file():
                continue
            if directory == folder.sessions_dir and name in taken:
                continue  # another user's live session (the user's own are listed already)
            if name == _psql.CATALOG_FILE or not _is_users(folder.statements, path, scope):
                continue
            found.append(_doomed(folder, path, scope, _generation_of(path), named=False))
    return found


def _is_users(statements: Statements, path: Path, scope: tuple[str, str]) -> bool:
    """Whether the file is the user's: by its name, or else by the sessions it holds."""
    key = parse_session_file_name(_plain_name(path.name))
    if key is not None:
        return key[:2] == scope
    connection = _read_only(path)
    if connection is None:
        return False
    try:
        table = quoted(statements.tables.sessions)
        users = connection.execute(_USERS_IN_FILE.format(table=table)).fetchall()
    except sqlite3.DatabaseError:
        return False
    finally:
        connection.close()
    return scope in {tuple(row) for row in users}


def _plain_name(name: str) -> str:
    """A session file's name from an archive copy being written (``.<name>.partial-*``)."""
    if name.startswith(".") and _psql.PARTIAL_MARK in name:
        return name[1 : name.index(_psql.PARTIAL_MARK)]
    return name if name.endswith(FILE_SUFFIX) else ""


def _doomed(
    folder: SessionFolder,
    path: Path,
    scope: tuple[str, str],
    generation: int | None,
    *,
    named: bool,
) -> _Doomed:
    tables = folder.statements.tables
    counted = (
        tables.sessions,
        tables.events,
        folder.artifact_statements.table,
        damaged_events_table(tables),
    )
    counts = [0, 0, 0, 0]
    connection = _read_only(path)
    if connection is not None:
        try:
            for index, table in enumerate(counted):
                if connection.execute(_sql.SELECT_TABLE_EXISTS, (table,)).fetchone() is not None:
                    sql = _COUNT_OF_USER.format(table=quoted(table))
                    counts[index] = connection.execute(sql, scope).fetchone()[0]
        except sqlite3.DatabaseError:
            pass  # removed all the same: the count is what could be read
        finally:
            connection.close()
    return _Doomed(
        relative=path.relative_to(folder.root).as_posix(),
        generation=generation,
        counts=(counts[0], counts[1], counts[2], counts[3]),
        named=named,
    )


def _generation_of(path: Path) -> int | None:
    """The file's generation, or None when it is missing or not a readable session file."""
    connection = _read_only(path)
    if connection is None:
        return None
    try:
        row = connection.execute(_psql.SELECT_GENERATION).fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        connection.close()
    return None if row is None else int(row[0])


def _read_only(path: Path) -> sqlite3.Connection | None:
    if file_identity(path) is None:
        return None
    try:
        return sqlite3.connect(
            f"file:{quote(str(path))}?mode=ro", uri=True, isolation_level=None, timeout=5.0
        )
    except sqlite3.Error:
        return None
