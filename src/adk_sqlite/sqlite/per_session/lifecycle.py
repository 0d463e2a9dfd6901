"""Creating, deleting and archiving a session: the operations that add or remove files.

Each has one commit point, and the steps around it are ordered so that a
process killed at any moment leaves files and catalog in a state that readers
treat consistently and that ``adk-sqlite check --repair`` finishes:

* **create**: the file is built under a temporary name (``sessions/.creating-*``),
  renamed into place, and then its catalog row commits (the commit point). A
  crash before leaves a temporary file, or a complete file without a catalog
  row (an *orphan*), that no reader sees.
* **delete**: with the file's write lock held, its session row is deleted
  (uncommitted), the catalog row is deleted (the commit point), the file's
  transaction commits (a *tombstone*) and its name is removed. A crash leaves
  a file no catalog row names (an orphan, or a tombstone), which no reader sees.
* **archive**: while the file's write lock is held, a copy is written into
  ``archive/``, then the catalog row is deleted (the commit point), then the
  file is removed. A crash leaves either an archive copy of a live session or
  the file of an archived one, both told apart by the generation they share.

Catalog rows are only ever added and removed under the catalog lock, and a
file name in ``sessions/`` is only created or removed under it too, so no
create can reuse a name a delete is about to remove.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from adk_sqlite.codec.events import julian_day_from_unix
from adk_sqlite.codec.state import encode_state
from adk_sqlite.errors import DatabaseLockedError, SessionAlreadyExistsError
from adk_sqlite.records import SessionSnapshot, StateDelta
from adk_sqlite.sqlite.per_session.artifacts import move_artifacts
from adk_sqlite.sqlite.per_session.file_names import FILE_SUFFIX, session_file_name
from adk_sqlite.sqlite.per_session.folder import (
    SessionFile,
    SessionFolder,
    file_identity,
    transaction,
    unlink_database,
)
from adk_sqlite.sqlite.per_session.jobs import (
    Key,
    Slot,
    apply_pending,
    copy_states,
    encoded,
    merge_deltas,
    not_found,
    write_locked,
)
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.sqlite.schema.statements import Statements
from adk_sqlite.sqlite.shared_file import jobs as _jobs
from adk_sqlite.storage.store_rules import owner_params

__all__ = [
    "archive_session",
    "create_session",
    "delete_session",
    "free_name",
    "holds_session",
    "set_aside",
]

# Generations are random, like revisions, and fit SQLite's signed 64-bit integers.
_GENERATION_BITS = 62
_ARCHIVE_ATTEMPTS = 5


# --- creating -----------------------------------------------------------------------


def create_session(
    folder: SessionFolder, key: Key, state: StateDelta, create_time: float, owner_id: Any
) -> SessionSnapshot:
    final = folder.sessions_dir / session_file_name(*key)
    building = folder.sessions_dir / f"{_psql.BUILDING_PREFIX}{secrets.token_hex(8)}{FILE_SUFFIX}"
    connection = _start_file(folder, building)
    try:
        with folder.catalog.locked() as writer, transaction(writer):
            _make_room(folder, writer, key, final)
            snapshot, generation = _fill_file(
                folder, writer, connection, key, state, create_time, owner_id
            )
            connection.close()
            if folder.durable_renames:
                _sync_file(building)
            os.replace(building, final)
            try:
                _register(folder, writer, key, final.name, generation, snapshot, state, owner_id)
            except BaseException:
                unlink_database(final)  # ours and uncommitted: nobody else has seen it
                raise
        folder.sync_folder(folder.sessions_dir)
    except BaseException:
        connection.close()
        unlink_database(building)
        raise
    return snapshot


def _start_file(folder: SessionFolder, path: Path) -> sqlite3.Connection:
    """A new session file with the tables, built under a temporary name.

    Its bytes are the folder's template (an empty database made by the
    migrations once per store): writing them costs far less than migrating
    every new file.
    """
    descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        os.write(descriptor, folder.template())
    finally:
        os.close(descriptor)
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        # Until it is renamed into place nobody else opens it, and a crash makes
        # it garbage: no journal on disk and no syncs while it is built.
        connection.execute("PRAGMA journal_mode = MEMORY")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        connection.close()
        unlink_database(path)
        raise
    return connection


def _sync_file(path: Path) -> None:
    # Only after the file's own connection closed: closing another descriptor of
    # a file would drop that connection's POSIX locks.
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _make_room(folder: SessionFolder, writer: sqlite3.Connection, key: Key, final: Path) -> None:
    """Refuses a live duplicate; clears what an interrupted delete or create left behind."""
    entry = writer.execute(_psql.SELECT_ENTRY, key).fetchone()
    if entry is not None:
        if holds_session(folder.sessions_dir / entry[0], folder.statements, key):
            raise SessionAlreadyExistsError(f"Session with id {key[2]} already exists.")
        # The catalog names a file that no longer holds the session (emptied or
        # removed by hand): the row goes.
        writer.execute(_psql.DELETE_ENTRY, (*key, entry[1]))
        unlink_database(folder.sessions_dir / entry[0])
    if file_identity(final) is not None:
        set_aside(folder, final)


def _fill_file(
    folder: SessionFolder,
    writer: sqlite3.Connection,
    connection: sqlite3.Connection,
    key: Key,
    state: StateDelta,
    create_time: float,
    owner_id: Any,
) -> tuple[SessionSnapshot, int]:
    julian_day = julian_day_from_unix(create_time)
    generation = secrets.randbits(_GENERATION_BITS)
    with transaction(connection):
        copy_states(
            writer, connection, folder.statements, key, app=True, user=True, julian_day=julian_day
        )
        snapshot = _jobs.create_session(
            connection, folder.statements, key, state, create_time, owner_id
        )
        connection.execute(_psql.INSERT_GENERATION, (generation,))
        move_artifacts(writer, connection, folder.artifact_statements, key)
        if state.app or state.user:
            # Recorded like an append's, so that a catalog that never saw this
            # create (check --repair adopting the file) can still merge them.
            connection.execute(
                _psql.INSERT_PENDING_DELTAS,
                (snapshot.session.revision, encoded(state.app), encoded(state.user), julian_day),
            )
    connection.execute("PRAGMA journal_mode = WAL")
    return snapshot, generation


def _register(
    folder: SessionFolder,
    writer: sqlite3.Connection,
    key: Key,
    file_name: str,
    generation: int,
    snapshot: SessionSnapshot,
    state: StateDelta,
    owner_id: Any,
) -> None:
    session = snapshot.session
    julian_day = julian_day_from_unix(session.create_time)
    merge_deltas(
        writer, folder.statements, key, encoded(state.app), encoded(state.user), julian_day
    )
    writer.execute(
        _psql.INSERT_ENTRY,
        (
            *key,
            file_name,
            generation,
            owner_id,
            encode_state(state.session),
            julian_day,
            julian_day,
            session.create_time,
            session.create_time,
            session.revision,
            session.revision,
        ),
    )


def holds_session(path: Path, statements: Statements, key: Key) -> bool:
    """Whether the file at ``path`` exists and has the session's row."""
    if file_identity(path) is None:
        return False
    connection = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, isolation_level=None)
    try:
        row = connection.execute(statements.unconfined.select_session, key).fetchone()
    except sqlite3.DatabaseError:
        return False
    finally:
        connection.close()
    return row is not None


def set_aside(folder: SessionFolder, path: Path) -> Path:
    """Moves a file that no catalog row names into ``orphans/``, with its WAL."""
    folder.orphans_dir.mkdir(mode=0o700, exist_ok=True)
    target = free_name(folder.orphans_dir, path.name)
    os.rename(path, target)
    wal = path.with_name(path.name + "-wal")
    if file_identity(wal) is not None:
        os.rename(wal, target.with_name(target.name + "-wal"))
    with contextlib.suppress(FileNotFoundError):
        path.with_name(path.name + "-shm").unlink()
    return target


def free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name`` with ``.2``, ``.3`` ... before the suffix when taken."""
    stem = name[: -len(FILE_SUFFIX)]
    candidate, number = folder / name, 1
    while file_identity(candidate) is not None:
        number += 1
        candidate = folder / f"{stem}.{number}{FILE_SUFFIX}"
    return candidate


# --- deleting and archiving ---------------------------------------------------------


def delete_session(folder: SessionFolder, slot: Slot, key: Key, owner_id: Any) -> bool:
    file = write_locked(folder, slot, key)
    if file is None:
        _forget_missing(folder, key)
        return False
    connection = file.connection
    statements = folder.statements
    try:
        deleted = _jobs.delete_session(connection, statements, key, owner_id)
        if not deleted and connection.execute(statements.unconfined.select_session, key).fetchone():
            connection.execute(_sql.ROLLBACK)
            return False  # another owner's session: left alone
        # The file's write lock is held from here until its name is gone, so a
        # writer elsewhere that kept the file open waits, then finds it moved.
        with folder.catalog.locked() as writer:
            with transaction(writer):
                removed = writer.execute(_psql.DELETE_ENTRY, (*key, file.generation)).rowcount
                # ADK keeps a deleted session's artifacts (session_artifacts="keep"):
                # the catalog takes them; with "delete" they go with the file.
                if removed and not folder.delete_session_artifacts:
                    move_artifacts(connection, writer, folder.artifact_statements, key)
            # Committed: the delete's commit point. The file's own commit makes it
            # a tombstone (in case it outlives a crash), then its name goes, under
            # the catalog lock so that no create can put a new file there meanwhile.
            connection.execute(_sql.COMMIT)
            if removed:
                unlink_database(file.path)
    except BaseException:
        if connection.in_transaction:
            connection.execute(_sql.ROLLBACK)
        raise
    file.close()
    slot.file = None
    folder.sync_folder(folder.sessions_dir)
    return deleted


def _forget_missing(folder: SessionFolder, key: Key) -> None:
    """Drops a catalog row whose file is missing (a crash, or a file removed by hand)."""
    with folder.catalog.writing() as writer:
        entry = writer.execute(_psql.SELECT_ENTRY, key).fetchone()
        if entry is not None and file_identity(folder.sessions_dir / entry[0]) is None:
            writer.execute(_psql.DELETE_ENTRY, (*key, entry[1]))


def archive_session(folder: SessionFolder, slot: Slot, key: Key, owner_id: Any) -> Path:
    """Copies a session into ``archive/`` and takes it out of the store.

    The file first gets the catalog's current app and user state. Then, with
    its write lock held (so nothing changes meanwhile), a second, read-only
    connection writes a compact copy with ``VACUUM INTO``: a plain
    rollback-journal file that needs no ``-wal`` or ``-shm`` to be read, marked
    archived and renamed into ``archive/``. The catalog row is deleted (the
    commit point) and the session's file removed.
    """
    for _ in range(_ARCHIVE_ATTEMPTS):
        file = write_locked(folder, slot, key)
        if file is None:
            raise not_found(key)
        connection = file.connection
        try:
            revision = _refresh_for_archive(folder, file, key, owner_id)
            connection.execute(_sql.COMMIT)
        except BaseException:
            if connection.in_transaction:
                connection.execute(_sql.ROLLBACK)
            raise
        with transaction(connection):  # the write lock, held to the end; nothing is written
            select = folder.statements.unconfined.select_session
            current = connection.execute(select, key).fetchone()
            if current is None or current[5] != revision:
                continue  # another process appended meanwhile: refresh again
            target = _copy_into_archive(folder, file.path)
            with folder.catalog.locked() as writer:
                try:
                    with transaction(writer):
                        writer.execute(_psql.DELETE_ENTRY, (*key, file.generation))
                        move_artifacts(connection, writer, folder.artifact_statements, key)
                except BaseException:
                    unlink_database(target)
                    raise
                unlink_database(file.path)
        file.close()
        slot.file = None
        folder.sync_folder(folder.sessions_dir, folder.archive_dir)
        return target
    raise DatabaseLockedError(
        f"{folder.root}: could not archive session {key[2]!r}: other processes kept appending"
    )


def _refresh_for_archive(folder: SessionFolder, file: SessionFile, key: Key, owner_id: Any) -> int:
    connection = file.connection
    sql = folder.statements.sessions(confined=owner_id is not None)
    row = connection.execute(sql.select_session, (*key, *owner_params(owner_id))).fetchone()
    if row is None:
        raise not_found(key)
    with folder.catalog.writing() as writer:
        entry = writer.execute(_psql.SELECT_ENTRY, key).fetchone()
        if entry is None or entry[1] != file.generation:
            raise not_found(key)
        apply_pending(writer, connection, folder.statements, key, file.generation, entry[3])
        connection.execute(_psql.DELETE_PENDING_DELTAS)
        copy_states(
            writer,
            connection,
            folder.statements,
            key,
            app=True,
            user=True,
            julian_day=julian_day_from_unix(row[4]),
        )
    return int(row[5])


def _copy_into_archive(folder: SessionFolder, path: Path) -> Path:
    folder.archive_dir.mkdir(mode=0o700, exist_ok=True)
    target = free_name(folder.archive_dir, path.name)
    partial = folder.archive_dir / f".{target.name}{_psql.PARTIAL_MARK}{secrets.token_hex(4)}"
    # VACUUM INTO fills an empty file; made here so that it is owner-only.
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        reader = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, isolation_level=None)
        try:
            reader.execute(_psql.VACUUM_INTO, (str(partial),))
        finally:
            reader.close()
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            copy.execute(_psql.MARK_ARCHIVED, (julian_day_from_unix(time.time()),))
        finally:
            copy.close()
        if folder.durable_renames:
            _sync_file(partial)
        os.replace(partial, target)
    except BaseException:
        unlink_database(partial)
        raise
    return target
