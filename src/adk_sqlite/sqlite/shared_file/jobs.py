"""The work of each store operation, run whole on a connection's worker thread.

Each function here takes a plain ``sqlite3.Connection`` and is called on the
connection's own thread, so an operation crosses from the event loop once.
Writes run inside the transaction `GroupCommitter` opened (``BEGIN IMMEDIATE``,
so the write lock is held from the first statement); reads open their own
``BEGIN`` so that everything they return comes from one snapshot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

import msgspec

from adk_sqlite import records
from adk_sqlite.codec.events import julian_day_from_unix
from adk_sqlite.codec.fast import paused_gc
from adk_sqlite.codec.state import decode_state, encode_state
from adk_sqlite.errors import CorruptRecordError, DuplicateEventError, SessionAlreadyExistsError
from adk_sqlite.sqlite import artifact_jobs
from adk_sqlite.sqlite.chunked_fetch import fetch_converted
from adk_sqlite.sqlite.engine.connection import is_interrupted_error
from adk_sqlite.sqlite.read_transaction import in_read_transaction, read_transaction
from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.sqlite.schema.artifact_sql import ArtifactStatements
from adk_sqlite.sqlite.schema.statements import Statements
from adk_sqlite.storage import session_jobs
from adk_sqlite.storage.job_requests import Append, SessionsOf
from adk_sqlite.storage.store_rules import (
    check_not_stale,
    created_session,
    event_session_key,
    new_revision,
    session_not_found,
)

# --- reads --------------------------------------------------------------------------


def session_record(row: tuple[Any, ...], app_name: str) -> records.SessionRecord:
    """The record of a row of `_sql.SESSION_COLUMNS`, the owner's after them if read."""
    return session_jobs.session_record(row, app_name, has_owner=len(row) > 6)


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


def event_records(
    rows: Iterable[tuple[Any, ...]], key: tuple[str, str, str]
) -> list[records.EventRecord]:
    """Rebuilds the records from rows of `_sql.READ_EVENT_COLUMNS`."""
    app_name, user_id, session_id = key
    events = []
    make_record = records.EventRecord  # once, not per row
    for event_id, invocation_id, author, timestamp, actions, content, rarely_set in rows:
        record = make_record(
            event_id,
            app_name,
            user_id,
            session_id,
            invocation_id,
            author,
            timestamp,
            actions,
            None,
            None,
            content,
        )
        if rarely_set is not None:
            record = _with_rarely_set_fields(record, rarely_set)
        events.append(record)
    return events


def _with_rarely_set_fields(record: records.EventRecord, rarely_set: str) -> records.EventRecord:
    values = _rarely_set_decoder.decode(rarely_set)
    fields = dict(zip(_RARELY_SET_FIELDS, values, strict=True))
    for name in ("partial", "turn_complete", "interrupted"):  # stored as 0/1
        fields[name] = _flag(fields[name])
    return msgspec.structs.replace(record, **fields)


# The columns folded into the array are EventRecord fields of the same names.
_RARELY_SET_FIELDS = tuple(name.strip() for name in _sql.RARELY_SET_EVENT_COLUMNS.split(","))
# Our own SQL builds the array, so its length is fixed; the values are
# checked where they are decoded, as for any column (see _codec).
_rarely_set_decoder = msgspec.json.Decoder(tuple[Any, ...])


def _state_of(connection: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> dict[str, Any]:
    row = connection.execute(sql, params).fetchone()
    return {} if row is None else decode_state(row[0], what=f"state {params!r}")


def select_events(
    connection: sqlite3.Connection,
    statements: Statements,
    key: tuple[str, str, str],
    query: records.EventQuery | None,
) -> list[records.EventRecord]:
    """Reads a session's events (all, after a time, or the newest n) in order.

    Raises:
        CorruptRecordError: A text column of an event holds a BLOB (a damaged
            or hand-edited file); nothing of the session is returned.
    """
    read = statements.events_read(key, query)
    if read is None:
        return []
    try:
        with paused_gc():
            cursor = connection.execute(read.sql, read.params)
            if read.newest_first:  # the newest n: few, and reversed whole
                return event_records(reversed(cursor.fetchall()), key)
            return fetch_converted(cursor, lambda rows: event_records(rows, key))
    except sqlite3.OperationalError as exc:
        if is_interrupted_error(exc):  # out of time on the loop's thread: the store reruns it
            raise
        (holds_blob,) = connection.execute(statements.select_event_with_blob_text, key).fetchone()
        if not holds_blob:
            raise
        raise CorruptRecordError(
            f"an event of session {key[2]!r} is corrupt: a text column holds a BLOB"
        ) from exc


def select_compaction_index(
    connection: sqlite3.Connection,
    statements: Statements,
    key: tuple[str, str, str],
    limit: int | None,
) -> records.CompactionIndex:
    """A session's compactions as their views recorded them (`records.CompactionIndex`)."""
    (unsure,) = connection.execute(statements.select_view_unsure, key).fetchone()
    if unsure:
        return session_jobs.compaction_index(True, (None, None), (), limit)
    bounds = connection.execute(statements.select_compaction_bounds, key).fetchone()
    rows = connection.execute(
        statements.select_newest_compactions, (*key, -1 if limit is None else limit)
    ).fetchall()
    return session_jobs.compaction_index(False, bounds, rows, limit)


read_compaction_index = in_read_transaction(select_compaction_index)


def read_session(
    connection: sqlite3.Connection,
    statements: Statements,
    key: tuple[str, str, str],
    query: records.EventQuery | None,
    owner_id: Any,
) -> records.SessionSnapshot | None:
    app_name, user_id, _ = key
    sql, owner = statements.for_owner(owner_id)
    with read_transaction(connection):
        row = connection.execute(sql.select_session, (*key, *owner)).fetchone()
        if row is None:
            return None
        return records.SessionSnapshot(
            session=session_record(row, app_name),
            app_state=_state_of(connection, statements.select_app_state, (app_name,)),
            user_state=_state_of(connection, statements.select_user_state, (app_name, user_id)),
            events=select_events(connection, statements, key, query),
        )


def list_sessions(
    connection: sqlite3.Connection, statements: Statements, listing: SessionsOf
) -> records.SessionListing:
    app_name, user_id, owner_id = listing
    sql, owner = statements.for_owner(owner_id)

    # paused: thousands of live records, no garbage (see _gc)
    def session_records(rows: list[tuple[Any, ...]]) -> list[records.SessionRecord]:
        return [session_record(row, app_name) for row in rows]

    with read_transaction(connection), paused_gc():
        if user_id is None:
            cursor = connection.execute(sql.list_sessions_of_app, (app_name, *owner))
            sessions = fetch_converted(cursor, session_records)
            states = session_jobs.user_states(
                connection.execute(statements.select_user_states_of_app, (app_name,))
            )
        else:
            cursor = connection.execute(sql.list_sessions_of_user, (app_name, user_id, *owner))
            sessions = fetch_converted(cursor, session_records)
            states = {
                user_id: _state_of(connection, statements.select_user_state, (app_name, user_id))
            }
        return records.SessionListing(
            sessions=sessions,
            app_state=_state_of(connection, statements.select_app_state, (app_name,)),
            user_states=states,
        )


def read_state(connection: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> dict[str, Any]:
    return _state_of(connection, sql, params)


read_events = in_read_transaction(select_events)


# --- writes (inside the GroupCommitter's transaction) ------------------------------------


def merge_scope(
    connection: sqlite3.Connection,
    select_sql: str,
    upsert_sql: str,
    key: tuple[str, ...],
    delta: Mapping[str, Any],
    julian_day: float,
) -> dict[str, Any]:
    # Read-modify-write is safe here: BEGIN IMMEDIATE holds the database's write
    # lock, so no other connection or process can write between the read and the
    # upsert; merging in Python keeps dict.update semantics and exact floats.
    state = _state_of(connection, select_sql, key)
    if delta:
        state.update(delta)
        connection.execute(upsert_sql, (*key, encode_state(state), julian_day))
    return state


def create_session(
    connection: sqlite3.Connection,
    statements: Statements,
    key: tuple[str, str, str],
    state: records.StateDelta,
    create_time: float,
    owner_id: Any,
) -> records.SessionSnapshot:
    app_name, user_id, session_id = key
    if connection.execute(statements.unconfined.select_session, key).fetchone() is not None:
        raise SessionAlreadyExistsError(f"Session with id {session_id} already exists.")
    julian_day = julian_day_from_unix(create_time)
    app_state = merge_scope(
        connection,
        statements.select_app_state,
        statements.upsert_app_state,
        (app_name,),
        state.app,
        julian_day,
    )
    user_state = merge_scope(
        connection,
        statements.select_user_state,
        statements.upsert_user_state,
        (app_name, user_id),
        state.user,
        julian_day,
    )
    revision = new_revision()
    connection.execute(
        statements.insert_session,
        (
            *key,
            encode_state(state.session),
            julian_day,
            julian_day,
            create_time,
            create_time,
            revision,
            *statements.owner_values(owner_id),
        ),
    )
    return created_session(
        key, state, create_time, revision, owner_id, app_state=app_state, user_state=user_state
    )


def delete_session(
    connection: sqlite3.Connection,
    statements: Statements,
    key: tuple[str, str, str],
    owner_id: Any,
) -> bool:
    sql, owner = statements.for_owner(owner_id)
    cursor = connection.execute(sql.delete_session, (*key, *owner))
    return cursor.rowcount > 0


def delete_session_and_artifacts(
    connection: sqlite3.Connection,
    statements: Statements,
    artifact_statements: ArtifactStatements,
    key: tuple[str, str, str],
    owner_id: Any,
) -> bool:
    """`delete_session`, and the session's own artifacts in the same transaction."""
    deleted = delete_session(connection, statements, key, owner_id)
    if deleted:
        artifact_jobs.delete_session_artifacts(connection, artifact_statements, key)
    return deleted


def append_event(
    connection: sqlite3.Connection, statements: Statements, append: Append
) -> records.AppendResult:
    event, delta, expected, owner_id = append.event, append.delta, append.expected, append.owner_id
    key = event_session_key(event)
    sql, owner = statements.for_owner(owner_id)
    julian_day = julian_day_from_unix(event.timestamp)
    if session_jobs.bumps_in_one_statement(expected, delta):
        bumped = connection.execute(
            sql.bump_session_revision,
            (julian_day, event.timestamp, *key, expected.revision, *owner),
        ).fetchone()
        if bumped is None:
            found = connection.execute(sql.select_session_for_update, (*key, *owner)).fetchone()
            raise session_jobs.missing_or_stale(found is not None, event.session_id)
        session_key, revision = bumped
    else:
        row = connection.execute(sql.select_session_for_update, (*key, *owner)).fetchone()
        if row is None:
            raise session_not_found(event.session_id)
        session_key, stored_state, stored_revision = row
        newest = None
        if expected.revision is None:
            newest = connection.execute(statements.select_last_event_ids, (session_key,)).fetchone()
        check_not_stale(expected, stored_revision, newest, event.session_id)
        new_state = session_jobs.merged_session_state(stored_state, delta.session, event.session_id)
        connection.execute(
            statements.update_session_after_append,
            (new_state, julian_day, event.timestamp, session_key),
        )
        revision = stored_revision + 1

    julian_day = julian_day_from_unix(event.timestamp)
    if delta.app:
        merge_scope(
            connection,
            statements.select_app_state,
            statements.upsert_app_state,
            (event.app_name,),
            delta.app,
            julian_day,
        )
    if delta.user:
        merge_scope(
            connection,
            statements.select_user_state,
            statements.upsert_user_state,
            (event.app_name, event.user_id),
            delta.user,
            julian_day,
        )
    try:
        connection.execute(
            statements.insert_event,
            (
                *_event_values(event),
                julian_day,
                session_key,
                *session_jobs.view_values(append.view),
            ),
        )
    except sqlite3.IntegrityError as exc:
        if connection.execute(statements.select_event_exists, (session_key, event.id)).fetchone():
            raise DuplicateEventError(
                f"session {event.session_id!r} already has an event with id {event.id!r};"
                " nothing was written"
            ) from exc
        raise
    return records.AppendResult(revision=revision, update_time=event.timestamp)


def _event_values(event: records.EventRecord) -> tuple[Any, ...]:
    # EventRecord's fields are the event columns in order (_sql.EVENT_COLUMNS).
    return msgspec.structs.astuple(event)
