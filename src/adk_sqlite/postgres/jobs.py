"""The work of each store operation, run on one pooled connection.

Writes run in one transaction each (READ COMMITTED is enough: every decision is
taken under the session row's lock, taken by ``SELECT ... FOR NO KEY UPDATE`` or
by the ``UPDATE ... WHERE revision = $n`` that checks and bumps in one statement
and re-checks after waiting, so two processes appending to one session queue on
the database). Reads that
need several statements run in one REPEATABLE READ READ ONLY transaction, so
everything they return comes from one snapshot.

Locks are always taken in the same order (session row, app state row, user
state row), so concurrent writers cannot deadlock each other.

A long result (a 10,000-event session, a listing of thousands of sessions) is turned
into records `CONVERT_CHUNK` rows per turn of the event loop (`converted_in_chunks`),
once its transaction has ended (unless a later statement of it needs them): converting
10,000 event rows in one go kept the loop from running anything else for 15-80 ms.
asyncpg itself parses rows as they arrive, one socket read (at most 256 KiB) per
callback, which stalls the loop well under a millisecond at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, NamedTuple, TypeVar

import asyncpg
import msgspec

from adk_sqlite import records
from adk_sqlite.codec.state import decode_state, encode_state
from adk_sqlite.errors import (
    DatabaseError,
    DuplicateEventError,
    SessionAlreadyExistsError,
    UnencodableValueError,
)
from adk_sqlite.postgres.statements import SessionStatements, Statements
from adk_sqlite.storage.job_requests import Append, SessionsOf
from adk_sqlite.storage.session_jobs import (
    bumps_in_one_statement,
    compaction_index,
    merged_session_state,
    missing_or_stale,
    session_record,
    state_or_empty,
    user_states,
    view_values,
)
from adk_sqlite.storage.store_rules import (
    check_not_stale,
    created_session,
    event_session_key,
    new_revision,
    session_not_found,
)

# INSERT ... ON CONFLICT DO NOTHING finds no row only when another transaction
# inserted it between our SELECT and INSERT; the next SELECT then sees it.
_MAX_LOCK_ATTEMPTS = 3

Key = tuple[str, str, str]
RowT = TypeVar("RowT")
T = TypeVar("T")

CONVERT_CHUNK = 256
"""Rows turned into records between two turns of the event loop: about 0.4 ms of work
for event rows, so that a long read leaves other tasks far below issue 16's 5 ms."""


# --- reads --------------------------------------------------------------------------


async def converted_in_chunks(
    rows: Sequence[RowT], convert: Callable[[Sequence[RowT]], list[T]]
) -> list[T]:
    """``convert`` of ``rows``, in order, `CONVERT_CHUNK` rows per turn of the event loop.

    Rows that fit in one chunk are converted at once, without giving up the loop: a
    short read costs what it did. The rows are one consistent read already, so other
    tasks running between two chunks cannot change what is returned.
    """
    if len(rows) <= CONVERT_CHUNK:
        return convert(rows)
    converted: list[T] = []
    for start in range(0, len(rows), CONVERT_CHUNK):
        if start:
            await asyncio.sleep(0)
        converted += convert(rows[start : start + CONVERT_CHUNK])
    return converted


def event_record(row: Any) -> records.EventRecord:
    return records.EventRecord(
        id=row[0],
        app_name=row[1],
        user_id=row[2],
        session_id=row[3],
        invocation_id=row[4],
        author=row[5],
        timestamp=row[6],
        actions=row[7],
        long_running_tool_ids_json=row[8],
        branch=row[9],
        content=row[10],
        grounding_metadata=row[11],
        custom_metadata=row[12],
        usage_metadata=row[13],
        citation_metadata=row[14],
        input_transcription=row[15],
        output_transcription=row[16],
        partial=row[17],
        turn_complete=row[18],
        interrupted=row[19],
        error_code=row[20],
        error_message=row[21],
        extra=row[22],
    )


def event_records(rows: Sequence[Any]) -> list[records.EventRecord]:
    return [event_record(row) for row in rows]


async def read_events(
    connection: asyncpg.Connection,
    statements: Statements,
    key: Key,
    query: records.EventQuery | None,
) -> list[records.EventRecord]:
    rows = await _event_rows(connection, statements, key, query)
    return await converted_in_chunks(rows, event_records)


async def _event_rows(
    connection: asyncpg.Connection,
    statements: Statements,
    key: Key,
    query: records.EventQuery | None,
) -> list[Any]:
    """The rows of a session's events ``query`` asks for, oldest first."""
    read = statements.events_read(key, query)
    if read is None:
        return []
    rows: list[Any] = await connection.fetch(read.sql, *read.params)
    if read.newest_first:
        rows.reverse()
    return rows


async def read_compaction_index(
    connection: asyncpg.Connection, statements: Statements, key: Key, limit: int | None
) -> records.CompactionIndex:
    """A session's compactions as their views recorded them (`records.CompactionIndex`)."""
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        if await connection.fetchval(statements.select_view_unsure, *key):
            return compaction_index(True, (None, None), (), limit)
        bounds = await connection.fetchrow(statements.select_compaction_bounds, *key)
        rows = await connection.fetch(statements.select_newest_compactions, *key, limit)
    return compaction_index(False, (bounds[0], bounds[1]), rows, limit)


async def read_session(
    connection: asyncpg.Connection,
    statements: Statements,
    key: Key,
    query: records.EventQuery | None,
    owner_id: Any,
) -> records.SessionSnapshot | None:
    sql, owner = statements.for_owner(owner_id)
    if query is not None and query.limit == 0:
        # One statement is one snapshot: no transaction needed.
        row = await connection.fetchrow(sql.select_session, *key, *owner)
        return None if row is None else _snapshot(row, statements, key, [])
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        row = await connection.fetchrow(sql.select_session, *key, *owner)
        if row is None:
            return None
        event_rows = await _event_rows(connection, statements, key, query)
    # Converted once the transaction has ended: its snapshot is not held open while
    # the loop runs other tasks between chunks.
    events = await converted_in_chunks(event_rows, event_records)
    return _snapshot(row, statements, key, events)


def _snapshot(
    row: Any, statements: Statements, key: Key, events: list[records.EventRecord]
) -> records.SessionSnapshot:
    app_name, user_id, _ = key
    return records.SessionSnapshot(
        session=session_record(row, app_name, has_owner=statements.owner_column is not None),
        app_state=state_or_empty(row["app_state"], f"app {app_name!r} state"),
        user_state=state_or_empty(row["user_state"], f"user {user_id!r} state"),
        events=events,
    )


async def list_sessions(
    connection: asyncpg.Connection, statements: Statements, listing: SessionsOf
) -> records.SessionListing:
    app_name, user_id, owner_id = listing
    sql, owner = statements.for_owner(owner_id)
    has_owner = statements.owner_column is not None
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        if user_id is None:
            rows = await connection.fetch(sql.list_sessions_of_app, app_name, *owner)
            user_rows = await connection.fetch(statements.select_user_states_of_app, app_name)
        else:
            rows = await connection.fetch(sql.list_sessions_of_user, app_name, user_id, *owner)
            user_text = await connection.fetchval(statements.select_user_state, app_name, user_id)
        app_text = await connection.fetchval(statements.select_app_state, app_name)
    # Decoded once the transaction has ended, as read_session's events are.
    sessions = await converted_in_chunks(
        rows, lambda chunk: [session_record(row, app_name, has_owner=has_owner) for row in chunk]
    )
    return records.SessionListing(
        sessions=sessions,
        app_state=state_or_empty(app_text, f"app {app_name!r} state"),
        user_states=(
            await user_states_in_chunks(user_rows)
            if user_id is None
            else {user_id: state_or_empty(user_text, f"user {user_id!r} state")}
        ),
    )


async def user_states_in_chunks(rows: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """`user_states` of rows of (user id, state), decoded `CONVERT_CHUNK` rows per turn
    of the event loop: an app-wide listing reads every user's state."""
    items = await converted_in_chunks(rows, lambda chunk: list(user_states(chunk).items()))
    return dict(items)


async def read_state(
    connection: asyncpg.Connection, sql: str, params: tuple[str, ...]
) -> dict[str, Any]:
    text = await connection.fetchval(sql, *params)
    return state_or_empty(text, f"state {params!r}")


# --- writes -------------------------------------------------------------------------


class _Scope(NamedTuple):
    """The four statements that read, lock, create and write one state scope."""

    select: str
    lock: str
    insert_empty: str
    update: str


def _scope(statements: Statements, name: Literal["app", "user"]) -> _Scope:
    """The statements of the app or the user scope: the fields ``<verb>_<name>_state``."""
    return _Scope._make(getattr(statements, f"{verb}_{name}_state") for verb in _Scope._fields)


async def _merge_scope(
    connection: asyncpg.Connection,
    scope: _Scope,
    key: tuple[str, ...],
    delta: Mapping[str, Any],
    timestamp: float,
) -> dict[str, Any]:
    """Merges ``delta`` into one scope's row (``dict.update``) and returns the result.

    The row is locked before it is read, so the read-modify-write cannot lose
    another transaction's update; merging in Python keeps dict.update semantics
    and floats exact, which a SQL-side ``jsonb ||`` would not.
    """
    what = f"state {key!r}"
    if not delta:
        return state_or_empty(await connection.fetchval(scope.select, *key), what)
    for _ in range(_MAX_LOCK_ATTEMPTS):
        text = await connection.fetchval(scope.lock, *key)
        if text is None:
            text = await connection.fetchval(scope.insert_empty, *key, timestamp)
        if text is not None:
            break
    else:
        raise DatabaseError(f"{what}: could not lock the row after {_MAX_LOCK_ATTEMPTS} attempts")
    state = decode_state(text, what=what)
    state.update(delta)
    await connection.execute(scope.update, *key, encode_state(state), timestamp)
    return state


async def create_session(
    connection: asyncpg.Connection,
    statements: Statements,
    key: Key,
    state: records.StateDelta,
    create_time: float,
    owner_id: Any,
) -> records.SessionSnapshot:
    app_name, user_id, session_id = key
    _refuse_nul("the session", app_name=app_name, user_id=user_id, id=session_id)
    revision = new_revision()
    async with connection.transaction():
        inserted = await connection.fetchval(
            statements.insert_session,
            *key,
            encode_state(state.session),
            create_time,
            revision,
            *statements.owner_values(owner_id),
        )
        if inserted is None:
            raise SessionAlreadyExistsError(f"Session with id {session_id} already exists.")
        app_state = await _merge_scope(
            connection, _scope(statements, "app"), (app_name,), state.app, create_time
        )
        user_state = await _merge_scope(
            connection,
            _scope(statements, "user"),
            (app_name, user_id),
            state.user,
            create_time,
        )
    return created_session(
        key, state, create_time, revision, owner_id, app_state=app_state, user_state=user_state
    )


async def delete_session(
    connection: asyncpg.Connection, statements: Statements, key: Key, owner_id: Any
) -> bool:
    sql, owner = statements.for_owner(owner_id)
    deleted = await connection.fetchval(sql.delete_session, *key, *owner)
    return deleted is not None


async def append_event(
    connection: asyncpg.Connection, statements: Statements, append: Append
) -> records.AppendResult:
    event, delta, expected, owner_id = append.event, append.delta, append.expected, append.owner_id
    _refuse_unstorable(event)
    key = event_session_key(event)
    sql, owner = statements.for_owner(owner_id)
    if bumps_in_one_statement(expected, delta) and not delta.app and not delta.user:
        return await _append_at_once(connection, statements, sql, append, owner)
    async with connection.transaction():
        if bumps_in_one_statement(expected, delta):
            bumped = await connection.fetchrow(
                sql.bump_session_revision, *key, event.timestamp, expected.revision, *owner
            )
            if bumped is None:
                found = await connection.fetchval(sql.select_session_key, *key, *owner)
                raise missing_or_stale(found is not None, event.session_id)
            session_key, revision = bumped[0], bumped[1]
        else:
            session_key, revision = await _lock_and_bump(
                connection, statements, sql, event, delta, expected, owner
            )
        seq = await connection.fetchval(
            statements.insert_event,
            *_event_values(event),
            session_key,
            *view_values(append.view),
        )
        if seq is None:
            raise _duplicate_event(event)
        if delta.app:
            await _merge_scope(
                connection,
                _scope(statements, "app"),
                (event.app_name,),
                delta.app,
                event.timestamp,
            )
        if delta.user:
            await _merge_scope(
                connection,
                _scope(statements, "user"),
                (event.app_name, event.user_id),
                delta.user,
                event.timestamp,
            )
    return records.AppendResult(revision=int(revision), update_time=event.timestamp)


async def _append_at_once(
    connection: asyncpg.Connection,
    statements: Statements,
    sql: SessionStatements,
    append: Append,
    owner: tuple[Any, ...],
) -> records.AppendResult:
    """The common append in one statement, one round trip (see `_sql.APPEND_AT_ONCE`)."""
    event = append.event
    try:
        revision = await connection.fetchval(
            sql.append_at_once,
            *_event_values(event),
            append.expected.revision,
            *view_values(append.view),
            *owner,
        )
    except asyncpg.UniqueViolationError as exc:
        # The events' one unique key besides the generated seq is (session_key, id).
        if exc.table_name != statements.tables.events:
            raise
        raise _duplicate_event(event) from None
    if revision is None:
        key = event_session_key(event)
        found = await connection.fetchval(sql.select_session_key, *key, *owner)
        raise missing_or_stale(found is not None, event.session_id)
    return records.AppendResult(revision=int(revision), update_time=event.timestamp)


def _duplicate_event(event: records.EventRecord) -> DuplicateEventError:
    return DuplicateEventError(
        f"session {event.session_id!r} already has an event with id {event.id!r};"
        " nothing was written"
    )


async def _lock_and_bump(
    connection: asyncpg.Connection,
    statements: Statements,
    sql: SessionStatements,
    event: records.EventRecord,
    delta: records.StateDelta,
    expected: records.StaleCheck,
    owner: tuple[Any, ...],
) -> tuple[int, int]:
    """Locks the session row, checks staleness, merges session state; (key, new revision)."""
    row = await connection.fetchrow(
        sql.lock_session, event.app_name, event.user_id, event.session_id, *owner
    )
    if row is None:
        raise session_not_found(event.session_id)
    session_key, stored_state, stored_revision = row[0], row[1], row[2]
    newest = None
    if expected.revision is None:
        row = await connection.fetchrow(statements.select_last_event_ids, session_key)
        newest = (row[0], row[1])
    check_not_stale(expected, stored_revision, newest, event.session_id)
    new_state = merged_session_state(stored_state, delta.session, event.session_id)
    revision = await connection.fetchval(
        statements.update_session_after_append, session_key, new_state, event.timestamp
    )
    return session_key, revision


def _event_values(event: records.EventRecord) -> tuple[Any, ...]:
    # EventRecord's fields are the event columns in order (_sql.EVENT_COLUMNS).
    return msgspec.structs.astuple(event)


# The event record's text columns. JSON columns need no check: JSON text writes a
# NUL as the escape \u0000, which PostgreSQL's json type keeps.
_EVENT_TEXT_FIELDS = (
    "id",
    "app_name",
    "user_id",
    "session_id",
    "invocation_id",
    "author",
    "branch",
    "error_code",
    "error_message",
)


# The Unix seconds PostgreSQL's timestamptz can hold (4713 BC to 294276 AD): the events
# table keeps each event's time as one, beside the exact float.
_TIMESTAMPTZ_LOWEST = -210866803200.0
_TIMESTAMPTZ_HIGHEST = 9224318015999.0


def _refuse_nul(what: str, **values: str | None) -> None:
    """PostgreSQL's text type cannot hold NUL: refused, naming the field, before any SQL."""
    for name, value in values.items():
        if value is not None and "\x00" in value:
            raise UnencodableValueError(
                f"{what}: its {name} holds a NUL character, which PostgreSQL text cannot store"
            )


def _refuse_unstorable(event: records.EventRecord) -> None:
    """Refuses, before any SQL, an event PostgreSQL would store wrongly or not at all."""
    _refuse_nul(
        f"event {event.id!r}",
        **{name: getattr(event, name) for name in _EVENT_TEXT_FIELDS},
    )
    if not _TIMESTAMPTZ_LOWEST <= event.timestamp <= _TIMESTAMPTZ_HIGHEST:
        raise UnencodableValueError(
            f"event {event.id!r}: its timestamp {event.timestamp!r} is outside the range"
            " of PostgreSQL's timestamptz (4713 BC to 294276 AD)"
        )
