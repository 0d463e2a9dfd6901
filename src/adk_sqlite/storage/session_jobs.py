"""The steps of the session jobs that every backend takes alike. Pure: no I/O.

PostgreSQL's jobs (asyncpg, awaited) and SQLite's (sqlite3, on a worker thread)
cannot share a function that runs SQL, but what surrounds the SQL is the same:
when an append checks and bumps the revision in one statement, the session
state it writes, why a bump that matched no row failed, and how a session
record, a state or a page is built from rows. Each is written here once; a
backend's job runs the statements and hands the rows over. Which statement a
read runs is the statements' own choice (`StatementsBase.events_read`,
`PageStatements.session_page`); the decisions themselves (the stale check, the
errors) are `adk_sqlite.storage.store_rules`'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from adk_sqlite import records
from adk_sqlite.codec.state import decode_state, encode_state
from adk_sqlite.errors import SessionNotFoundError, StaleSessionError
from adk_sqlite.storage.store_rules import session_not_found, stale_session

__all__ = [
    "bumps_in_one_statement",
    "compaction_index",
    "merged_session_state",
    "missing_or_stale",
    "session_page",
    "session_record",
    "state_or_empty",
    "user_states",
    "view_values",
]


# --- reads ----------------------------------------------------------------------------


def compaction_index(
    unsure: bool,
    bounds: Sequence[float | None],
    rows: Iterable[Sequence[Any]],
    limit: int | None,
) -> records.CompactionIndex:
    """A session's `records.CompactionIndex` from its three reads.

    ``unsure``: whether the session holds an event with an unknown or
    WHOLE_SESSION role; ``bounds``: the earliest compaction start and the latest
    end; ``rows``: (timestamp, seq, start, end) of the newest ``limit``
    compactions (None: all), newest first.
    """
    if unsure:
        return records.CompactionIndex(unsure=True)
    entries = [records.CompactionEntry(row[0], row[1], row[2], row[3]) for row in rows]
    return records.CompactionIndex(
        first_start=bounds[0],
        last_end=bounds[1],
        newest_first=entries,
        complete=limit is None or len(entries) < limit,
    )


def session_record(row: Sequence[Any], app_name: str, *, has_owner: bool) -> records.SessionRecord:
    """A session record from a row of the backend's session columns (the owner's last)."""
    return records.SessionRecord(
        app_name=app_name,
        user_id=row[1],
        id=row[0],
        state=decode_state(row[2], what=lambda: f"session {row[0]!r} state"),
        create_time=row[3],
        update_time=row[4],
        revision=row[5],
        owner_id=row[6] if has_owner else None,
    )


def state_or_empty(text: str | None, what: str) -> dict[str, Any]:
    """A stored scope state, or the empty state of a scope that has no row."""
    return {} if text is None else decode_state(text, what=what)


def user_states(rows: Iterable[Sequence[str]]) -> dict[str, dict[str, Any]]:
    """The user states of rows of (user id, state)."""
    return {row[0]: decode_state(row[1], what=f"user {row[0]!r} state") for row in rows}


def session_page(
    sessions: list[records.SessionRecord],
    user_rows: Iterable[Sequence[str]],
    app_text: str | None,
    *,
    has_more: bool,
) -> records.SessionPage:
    """A page of sessions with the states of its users (rows of user id, state) and its app."""
    return records.SessionPage(
        sessions=sessions,
        app_state=state_or_empty(app_text, "app state"),
        user_states=user_states(user_rows),
        has_more=has_more,
    )


# --- appends --------------------------------------------------------------------------


def bumps_in_one_statement(expected: records.StaleCheck, delta: records.StateDelta) -> bool:
    """Whether an append checks and bumps the revision in one ``UPDATE ... WHERE revision``.

    A writer that knows the revision and changes no session state needs nothing
    of the row first; otherwise the row is read under its lock.
    """
    return expected.revision is not None and not delta.session


def missing_or_stale(found: bool, session_id: str) -> SessionNotFoundError | StaleSessionError:
    """Why a one-statement bump matched no row: no such session (for this owner), or stale."""
    return stale_session(session_id) if found else session_not_found(session_id)


def merged_session_state(stored: str, delta: Mapping[str, Any], session_id: str) -> str | None:
    """The session state to store after an append's session ``delta``; None: unchanged.

    Merged in Python (``dict.update``), which keeps floats exact.
    """
    if not delta:
        return None
    state = decode_state(stored, what=f"session {session_id!r} state")
    state.update(delta)
    return encode_state(state)


# --- writes ---------------------------------------------------------------------------


def view_values(view: records.EventView | None) -> tuple[int | None, float | None, float | None]:
    """The view columns of an appended event: role, compaction start and end (all NULL
    when the writer gave no view)."""
    if view is None:
        return (None, None, None)
    return (int(view.role), view.compaction_start, view.compaction_end)
