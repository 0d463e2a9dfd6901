"""The work of each `PerSessionSqliteStore` operation, run whole on a worker thread.

The SQL inside a session file is the shared layout's (`jobs`): the same stale
check, the same merges, the same event insert, in the file's own
``BEGIN IMMEDIATE`` transaction. What this module adds is the second file:

* **Commit points.** An append commits in the session file and nowhere else,
  except that an append carrying ``app:``/``user:`` deltas also merges them
  into the catalog, inside the catalog transaction it holds open across the
  session file's commit; a writer killed between the two commits leaves the
  deltas in ``adk_pending_scope_deltas`` and the next reader merges them. A
  create commits when its catalog row does (the file is complete and in place
  before), a delete when its catalog row is deleted (the file's write lock is
  held across, and the file is removed after), an archive when its catalog row
  is deleted (the file is already linked into the archive). So the catalog
  never names a file that is not there, and a file the catalog does not name
  is an unfinished create, delete or archive that ``adk-sqlite check --repair``
  can tell apart.
* **Listing data** (a session's own state, update time, revision) is copied
  into the catalog after the append returns, in batches (`write_listing`), so
  that appends to different sessions never queue for the catalog.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adk_sqlite import records
from adk_sqlite.codec.events import julian_day_from_unix
from adk_sqlite.codec.state import decode_state, encode_state
from adk_sqlite.errors import SessionNotFoundError
from adk_sqlite.sqlite.per_session.folder import SessionFile, SessionFolder, transaction
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.sqlite.schema.statements import Statements
from adk_sqlite.sqlite.shared_file import jobs as _jobs
from adk_sqlite.storage.job_requests import Append, SessionsOf
from adk_sqlite.storage.store_rules import owner_params, session_not_found

__all__ = [
    "Key",
    "ListingUpdate",
    "Slot",
    "append_event",
    "apply_pending",
    "copy_states",
    "encoded",
    "list_sessions",
    "merge_deltas",
    "not_found",
    "open_file",
    "read_events",
    "read_session",
    "read_state",
    "write_listing",
    "write_locked",
]

_logger = logging.getLogger("adk_sqlite.sqlite.per_session")

Key = tuple[str, str, str]


class Slot:
    """A session's place in the store's cache of open files (one thread at a time)."""

    __slots__ = ("file",)

    def __init__(self) -> None:
        self.file: SessionFile | None = None


@dataclass(frozen=True, slots=True)
class ListingUpdate:
    """A session's listing data as one append (or read) left it, for the catalog."""

    key: Key
    generation: int
    revision: int
    state: str
    update_time: float


def not_found(key: Key) -> SessionNotFoundError:
    return session_not_found(key[2])


def _listing(key: Key, file: SessionFile, row: tuple[Any, ...]) -> ListingUpdate:
    # row: _sql.SESSION_COLUMNS = id, user_id, state, create_time_unix, update_time_unix, revision
    return ListingUpdate(
        key=key, generation=file.generation, revision=row[5], state=row[2], update_time=row[4]
    )


# --- opening ------------------------------------------------------------------------


def open_file(folder: SessionFolder, slot: Slot, key: Key) -> SessionFile | None:
    """The session's file, opened once the catalog confirms the session exists."""
    current = slot.file
    if current is not None:
        if current.in_place():
            return current
        current.close()
        slot.file = None
    with folder.catalog.snapshot() as reader:
        entry = reader.execute(_psql.SELECT_ENTRY, key).fetchone()
    if entry is None:
        return None
    opened = folder.open_session_file(folder.sessions_dir / entry[0])
    if opened is None:
        return None
    if opened.generation != entry[1]:
        opened.close()  # drift only `check --repair` resolves
        return None
    slot.file = opened
    return opened


def write_locked(folder: SessionFolder, slot: Slot, key: Key) -> SessionFile | None:
    """The session's file inside ``BEGIN IMMEDIATE``, checked to be still in place."""
    for _ in range(3):
        file = open_file(folder, slot, key)
        if file is None:
            return None
        file.connection.execute(_sql.BEGIN_WRITE)
        if file.in_place():
            return file
        file.connection.execute(_sql.ROLLBACK)
        file.close()
        slot.file = None
    return None


# --- state in the catalog -----------------------------------------------------------


def apply_pending(
    writer: sqlite3.Connection,
    connection: sqlite3.Connection,
    statements: Statements,
    key: Key,
    generation: int,
    after: int,
) -> None:
    """Merges the scope deltas the catalog has not seen yet (a writer died in between)."""
    rows = connection.execute(_psql.SELECT_PENDING_DELTAS_AFTER, (after,)).fetchall()
    for _, app_delta, user_delta, julian_day in rows:
        merge_deltas(writer, statements, key, app_delta, user_delta, julian_day)
    if rows:
        writer.execute(_psql.UPDATE_SCOPE_REVISION, (rows[-1][0], *key, generation))


def merge_deltas(
    writer: sqlite3.Connection,
    statements: Statements,
    key: Key,
    app_delta: str | None,
    user_delta: str | None,
    julian_day: float,
) -> None:
    app_name, user_id, _ = key
    if app_delta:
        _jobs.merge_scope(
            writer,
            statements.select_app_state,
            statements.upsert_app_state,
            (app_name,),
            decode_state(app_delta, what="pending app: delta"),
            julian_day,
        )
    if user_delta:
        _jobs.merge_scope(
            writer,
            statements.select_user_state,
            statements.upsert_user_state,
            (app_name, user_id),
            decode_state(user_delta, what="pending user: delta"),
            julian_day,
        )


def copy_states(
    writer: sqlite3.Connection,
    connection: sqlite3.Connection,
    statements: Statements,
    key: Key,
    *,
    app: bool,
    user: bool,
    julian_day: float,
) -> None:
    """Copies the catalog's app/user state into the session file (which keeps a copy)."""
    app_name, user_id, _ = key
    scopes = (
        (app, statements.select_app_state, statements.upsert_app_state, (app_name,)),
        (user, statements.select_user_state, statements.upsert_user_state, (app_name, user_id)),
    )
    for wanted, select_sql, upsert_sql, scope_key in scopes:
        if not wanted:
            continue
        row = writer.execute(select_sql, scope_key).fetchone()
        if row is not None:
            connection.execute(upsert_sql, (*scope_key, row[0], julian_day))


def encoded(delta: Mapping[str, Any]) -> str | None:
    return encode_state(delta) if delta else None


def _merge_pending(folder: SessionFolder, file: SessionFile, key: Key) -> None:
    with folder.catalog.writing() as writer:
        entry = writer.execute(_psql.SELECT_ENTRY, key).fetchone()
        if entry is not None and entry[1] == file.generation:
            apply_pending(writer, file.connection, folder.statements, key, entry[1], entry[3])


# --- reads --------------------------------------------------------------------------


def read_session(
    folder: SessionFolder, slot: Slot, key: Key, query: records.EventQuery | None, owner_id: Any
) -> tuple[records.SessionSnapshot | None, ListingUpdate | None]:
    statements = folder.statements
    app_name, user_id, _ = key
    with folder.catalog.snapshot() as reader:
        entry = reader.execute(_psql.SELECT_ENTRY, key).fetchone()
        app_state = _jobs.read_state(reader, statements.select_app_state, (app_name,))
        user_state = _jobs.read_state(reader, statements.select_user_state, (app_name, user_id))
    if entry is None:
        return None, None
    file = open_file(folder, slot, key)
    if file is None:
        return None, None
    connection = file.connection
    sql = statements.sessions(confined=owner_id is not None)
    with transaction(connection, _sql.BEGIN_READ):
        row = connection.execute(sql.select_session, (*key, *owner_params(owner_id))).fetchone()
        if row is None:
            return None, None
        events = _jobs.select_events(connection, statements, key, query)
        (pending,) = connection.execute(_psql.SELECT_NEWEST_PENDING_REVISION).fetchone()
    file.known = (row[5], row[2])
    if pending is not None and pending > entry[3]:
        _merge_pending(folder, file, key)
        with folder.catalog.snapshot() as reader:
            app_state = _jobs.read_state(reader, statements.select_app_state, (app_name,))
            user_state = _jobs.read_state(reader, statements.select_user_state, (app_name, user_id))
    snapshot = records.SessionSnapshot(
        session=_jobs.session_record(row, app_name),
        app_state=app_state,
        user_state=user_state,
        events=events,
    )
    # A catalog behind the file (a writer died before its listing reached it) catches up.
    return snapshot, (_listing(key, file, row) if entry[2] < row[5] else None)


def read_events(
    folder: SessionFolder, slot: Slot, key: Key, query: records.EventQuery | None
) -> list[records.EventRecord]:
    file = open_file(folder, slot, key)
    if file is None:
        return []
    return _jobs.read_events(file.connection, folder.statements, key, query)


def read_compaction_index(
    folder: SessionFolder, slot: Slot, key: Key, limit: int | None
) -> records.CompactionIndex:
    file = open_file(folder, slot, key)
    if file is None:
        return records.CompactionIndex()
    return _jobs.read_compaction_index(file.connection, folder.statements, key, limit)


# --- appends ------------------------------------------------------------------------


def append_event(
    folder: SessionFolder, slot: Slot, key: Key, append: Append
) -> tuple[records.AppendResult, ListingUpdate]:
    file = write_locked(folder, slot, key)
    if file is None:
        raise not_found(key)
    connection = file.connection
    statements = folder.statements
    delta = append.delta
    try:
        if delta.app or delta.user:
            result, row = _append_with_scopes(folder, file, key, append)
            state = row[2]
        else:
            known = file.known
            result = _jobs.append_event(connection, statements, append)
            if known is not None and known[0] == result.revision - 1 and not delta.session:
                state = known[1]  # this process wrote the revision before: state unchanged
            else:
                row = connection.execute(statements.unconfined.select_session, key).fetchone()
                state = row[2]
            connection.execute(_sql.COMMIT)
    except BaseException:
        file.known = None
        if connection.in_transaction:
            connection.execute(_sql.ROLLBACK)
        raise
    file.known = (result.revision, state)
    folder.checkpoint_soon(file)
    return result, ListingUpdate(
        key=key,
        generation=file.generation,
        revision=result.revision,
        state=state,
        update_time=append.event.timestamp,
    )


def _append_with_scopes(
    folder: SessionFolder, file: SessionFile, key: Key, append: Append
) -> tuple[records.AppendResult, tuple[Any, ...]]:
    """The append, its deltas merged in the file's copy and in the catalog, in that order.

    Runs inside the session file's transaction; the catalog's stays open across
    the session file's COMMIT (the append's commit point) and commits after it.
    """
    connection = file.connection
    statements = folder.statements
    delta = append.delta
    julian_day = julian_day_from_unix(append.event.timestamp)
    committed = False
    try:
        with folder.catalog.writing() as writer:
            entry = writer.execute(_psql.SELECT_ENTRY, key).fetchone()
            if entry is None or entry[1] != file.generation:
                raise not_found(key)
            apply_pending(writer, connection, statements, key, file.generation, entry[3])
            # The file's copy starts from the catalog's state, so merging the delta
            # into it gives exactly what merging it into the catalog gives.
            copy_states(
                writer,
                connection,
                statements,
                key,
                app=bool(delta.app),
                user=bool(delta.user),
                julian_day=julian_day,
            )
            result = _jobs.append_event(connection, statements, append)
            connection.execute(
                _psql.INSERT_PENDING_DELTAS,
                (result.revision, encoded(delta.app), encoded(delta.user), julian_day),
            )
            connection.execute(_psql.DELETE_OLDER_PENDING_DELTAS, (result.revision,))
            merge_deltas(
                writer, statements, key, encoded(delta.app), encoded(delta.user), julian_day
            )
            writer.execute(_psql.UPDATE_SCOPE_REVISION, (result.revision, *key, file.generation))
            row = connection.execute(statements.unconfined.select_session, key).fetchone()
            connection.execute(_sql.COMMIT)
            committed = True
    except Exception:
        if not committed:
            raise
        # The append is stored with its deltas; the catalog merges them on the
        # next read of this session (or `check --repair`).
        _logger.warning(
            "event %s of session %r is stored, but merging its app:/user: state into the"
            " catalog failed; the next read of the session merges it",
            append.event.id,
            key[2],
            exc_info=True,
        )
    return result, row


# --- the catalog's listing data -----------------------------------------------------


def write_listing(folder: SessionFolder, updates: list[ListingUpdate]) -> None:
    """Copies listing data into the catalog, one transaction for the batch."""
    with folder.catalog.writing() as writer:
        writer.executemany(
            _psql.UPDATE_LISTING,
            [
                (
                    update.state,
                    julian_day_from_unix(update.update_time),
                    update.update_time,
                    update.revision,
                    *update.key,
                    update.generation,
                    update.revision,
                )
                for update in updates
            ],
        )


def list_sessions(folder: SessionFolder, listing: SessionsOf) -> records.SessionListing:
    app_name, user_id, owner_id = listing
    statements = folder.statements
    sql = _psql.LIST_ENTRIES[(user_id is not None, owner_id is not None)]
    params = (app_name,) if user_id is None else (app_name, user_id)
    with folder.catalog.snapshot() as reader:
        rows = reader.execute(sql, (*params, *owner_params(owner_id))).fetchall()
        if user_id is None:
            user_states = {
                row[0]: decode_state(row[1], what=f"user {row[0]!r} state")
                for row in reader.execute(statements.select_user_states_of_app, (app_name,))
            }
        else:
            user_states = {user_id: _jobs.read_state(reader, statements.select_user_state, params)}
        app_state = _jobs.read_state(reader, statements.select_app_state, (app_name,))
    return records.SessionListing(
        sessions=[_jobs.session_record(row, app_name) for row in rows],
        app_state=app_state,
        user_states=user_states,
    )


def read_state(folder: SessionFolder, sql: str, params: tuple[Any, ...]) -> dict[str, Any]:
    with folder.catalog.snapshot() as reader:
        return _jobs.read_state(reader, sql, params)
