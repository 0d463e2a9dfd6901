"""The artifact jobs of `PerSessionSqliteStore`: where each version lives, and moving them.

The SQL is the shared layout's (`artifact_jobs`); this module decides which file it
runs in:

* **user-scoped** artifacts (``session_id`` is ``USER_SCOPE``) live in the catalog, so a
  user's ``user:`` names are found without opening any session file;
* a **session's** artifacts live in its file while the session exists (its catalog
  row names the file), and in the catalog otherwise: ADK saves artifacts for session
  ids that were never created, and keeps them when a session is deleted.

They change place only together with the catalog row, in its transaction: a create
moves the catalog's versions of its key into the new file (`move_artifacts`, inside
the create's commit), a delete or an archive moves the file's versions back into the
catalog (inside the transaction that deletes the row). So at every commit point a
key's versions are in exactly one place, rows keep their version numbers, and the
artifacts table's unique key plus the ``max(version) + 1`` of a save inside its
write transaction keep the numbers unique and consecutive across processes.

A save or delete first tries the session's file, under its write lock and with its
session row present (a deleted session's file keeps no row); without one it writes
in the catalog, after checking, inside the catalog's write transaction, that no
session of that key was created meanwhile. A read checks the catalog row and reads
the catalog's versions in one catalog snapshot, or reads the file the row names.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import TypeVar

from adk_sqlite import artifact_records
from adk_sqlite.errors import DatabaseLockedError
from adk_sqlite.sqlite import artifact_jobs
from adk_sqlite.sqlite.per_session.folder import SessionFile, SessionFolder
from adk_sqlite.sqlite.per_session.jobs import Key, Slot, open_file, write_locked
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.sqlite.schema.artifact_sql import ArtifactStatements
from adk_sqlite.storage.store_statements import quoted

__all__ = [
    "delete_artifact",
    "list_artifact_keys",
    "list_artifact_versions",
    "load_artifact",
    "move_artifacts",
    "save_artifact",
]

T = TypeVar("T")

# A session created or deleted between the two looks sends a job round again; after
# that many rounds the catalog, where a key without a usable file keeps its versions,
# is used.
# Looks for where a session's versions are before giving up (each look is cheap; only a
# session created and deleted over and over in the meantime makes one look again).
_ATTEMPTS = 1000

_SCOPE = "app_name = ? AND user_id = ? AND session_id = ?"
_COPIED = "app_name, user_id, session_id, filename, version, part, size, mime_type,"
_COPIED += " custom_metadata, create_time"
_SELECT_SCOPE = "SELECT row_id, " + _COPIED + ", length(data) FROM {table} WHERE " + _SCOPE
# The bytes follow through incremental blob I/O: no whole copy in memory.
_INSERT_COPY = (
    "INSERT OR IGNORE INTO {table} (" + _COPIED + ", data)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
    " CASE WHEN ?11 IS NULL THEN NULL ELSE zeroblob(?11) END) RETURNING row_id"
)
_DELETE_SCOPE = "DELETE FROM {table} WHERE " + _SCOPE


@functools.cache
def _move_statements(table: str) -> tuple[str, ...]:
    """The select, insert and delete of a move, rendered once per (validated) table name."""
    return tuple(
        sql.format(table=quoted(table)) for sql in (_SELECT_SCOPE, _INSERT_COPY, _DELETE_SCOPE)
    )


# --- moving a session's versions between its file and the catalog -------------------


def move_artifacts(
    source: sqlite3.Connection,
    target: sqlite3.Connection,
    statements: ArtifactStatements,
    key: Key,
) -> int:
    """Moves every version of a session's artifacts; returns how many rows moved.

    Both connections are inside write transactions, committed by the caller with the
    catalog row the move goes with. ``target`` holds no version of the key, except
    after ``check --repair`` adopted a file (an interrupted create's, whose copies the
    catalog still has, or an archived one moved back): a version it already holds is
    kept, the source's row of the same name and number is dropped.
    """
    if not artifact_jobs.has_artifact_table(source, statements):
        return 0
    select_scope, insert_copy, delete_scope = _move_statements(statements.table)
    rows = source.execute(select_scope, key).fetchall()
    if not rows:
        return 0
    artifact_jobs.create_artifact_table(target, statements)
    for row_id, *columns, length in rows:
        copied = target.execute(insert_copy, (*columns, length)).fetchone()
        if copied is not None and length:
            _copy_bytes(source, target, statements.table, row_id, copied[0])
    source.execute(delete_scope, key)
    return len(rows)


def _copy_bytes(
    source: sqlite3.Connection, target: sqlite3.Connection, table: str, row_id: int, copy_id: int
) -> None:
    with (
        source.blobopen(table, "data", row_id, readonly=True) as reading,
        target.blobopen(table, "data", copy_id) as writing,
    ):
        while piece := reading.read(artifact_jobs.CHUNK):
            writing.write(piece)


# --- choosing the place -------------------------------------------------------------


def _live_file(folder: SessionFolder, slot: Slot, session: Key) -> SessionFile | None:
    """The session's file inside its write transaction, or None (no session, or deleted)."""
    file = write_locked(folder, slot, session)
    if file is None:
        return None
    connection = file.connection
    try:
        row = connection.execute(folder.statements.unconfined.select_session, session).fetchone()
    except BaseException:
        connection.execute(_sql.ROLLBACK)
        raise
    if row is None:  # deleted: the catalog has its artifacts now
        connection.execute(_sql.ROLLBACK)
        return None
    return file


def _catalog_holds(catalog: sqlite3.Connection, slot: Slot | None, session: Key) -> bool:
    """Whether the catalog holds the versions: user-scoped, or no such session.

    Never assumed: a write to the catalog while the session's file holds the versions
    would number a version twice. A session created and deleted again and again makes
    the caller look again, up to `_ATTEMPTS` times.
    """
    if slot is None:
        return True
    return catalog.execute(_psql.SELECT_ENTRY, session).fetchone() is None


def _write(
    folder: SessionFolder, slot: Slot | None, session: Key, job: Callable[[sqlite3.Connection], T]
) -> T:
    """Runs ``job`` in the write transaction of the database holding ``session``'s versions."""
    for _ in range(_ATTEMPTS):
        file = None if slot is None else _live_file(folder, slot, session)
        if file is not None:
            connection = file.connection
            try:
                result = job(connection)
                connection.execute(_sql.COMMIT)
            except BaseException:
                if connection.in_transaction:
                    connection.execute(_sql.ROLLBACK)
                raise
            folder.checkpoint_soon(file)
            return result
        with folder.catalog.writing() as writer:
            if _catalog_holds(writer, slot, session):
                return job(writer)
        # A session of this key was created meanwhile: its file takes the write.
    raise DatabaseLockedError(
        f"artifacts of session {session[2]!r}: its session was created and deleted"
        f" {_ATTEMPTS} times while this write looked for its place; try again"
    )


def _read(
    folder: SessionFolder,
    slot: Slot | None,
    session: Key,
    in_catalog: Callable[[sqlite3.Connection], T],
    in_file: Callable[[sqlite3.Connection], T],
) -> T:
    """``in_catalog`` in a catalog snapshot without the session, else ``in_file`` on its file."""
    for _ in range(_ATTEMPTS):
        with folder.catalog.snapshot() as reader:
            if _catalog_holds(reader, slot, session):
                return in_catalog(reader)
        assert slot is not None  # a user-scoped read never gets here
        file = open_file(folder, slot, session)
        if file is not None:
            return in_file(file.connection)
        # Deleted between the two looks: its versions are in the catalog now.
    raise DatabaseLockedError(
        f"artifacts of session {session[2]!r}: its session was created and deleted"
        f" {_ATTEMPTS} times while this read looked for its place; try again"
    )


# --- the jobs: job(folder, slot, session key, ...), slot None for user-scoped ones -----


def save_artifact(
    folder: SessionFolder,
    slot: Slot | None,
    session: Key,
    key: artifact_records.ArtifactKey,
    payload: artifact_records.ArtifactPayload,
) -> int:
    job = functools.partial(
        artifact_jobs.save_artifact, statements=folder.artifact_statements, key=key, payload=payload
    )
    return _write(folder, slot, session, job)


def delete_artifact(
    folder: SessionFolder, slot: Slot | None, session: Key, key: artifact_records.ArtifactKey
) -> int:
    job = functools.partial(
        artifact_jobs.delete_artifact, statements=folder.artifact_statements, key=key
    )
    return _write(folder, slot, session, job)


def load_artifact(
    folder: SessionFolder,
    slot: Slot | None,
    session: Key,
    key: artifact_records.ArtifactKey,
    version: int | None,
) -> artifact_records.StoredArtifact | None:
    statements = folder.artifact_statements
    loaded = _read(
        folder,
        slot,
        session,
        functools.partial(
            artifact_jobs.read_artifact, statements=statements, key=key, version=version
        ),
        functools.partial(
            artifact_jobs.load_artifact, statements=statements, key=key, version=version
        ),
    )
    assert not isinstance(loaded, artifact_jobs.TooLargeHere)  # no limit was given
    return loaded


def list_artifact_versions(
    folder: SessionFolder, slot: Slot | None, session: Key, key: artifact_records.ArtifactKey
) -> list[artifact_records.ArtifactVersionRecord]:
    job = functools.partial(
        artifact_jobs.list_artifact_versions, statements=folder.artifact_statements, key=key
    )
    return _read(folder, slot, session, job, job)


def list_artifact_keys(folder: SessionFolder, slot: Slot | None, session: Key) -> list[str]:
    """The user's user-scoped names, and the session's when ``session`` names one."""
    app_name, user_id, session_id = session
    statements = folder.artifact_statements
    with folder.catalog.snapshot() as reader:
        names = set(artifact_jobs.list_artifact_keys(reader, statements, app_name, user_id, None))
    if session_id != artifact_records.USER_SCOPE:
        job = functools.partial(
            artifact_jobs.list_artifact_keys,
            statements=statements,
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
        )
        names.update(_read(folder, slot, session, job, job))
    return list(names)
