"""Keyset pages of sessions and events on SQLite, for both layouts.

The ``*_in`` functions run inside a read transaction their caller holds (the
shared file's reader, the one-file-per-session catalog's snapshot or a session
file's); `list_session_page` and `read_event_page` are the shared file's jobs,
each one snapshot. The statements are `adk_sqlite.page_statements`'.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import msgspec

from adk_sqlite import records
from adk_sqlite.codec.fast import paused_gc
from adk_sqlite.codec.state import decode_state
from adk_sqlite.page_statements import PageStatements
from adk_sqlite.sqlite.shared_file.jobs import event_records, read_transaction, session_record

__all__ = ["event_page_in", "list_session_page", "read_event_page", "session_page_in"]

Key = tuple[str, str, str]


def session_page_in(
    connection: sqlite3.Connection,
    statements: PageStatements,
    app_name: str,
    user_id: str | None,
    query: records.SessionPageQuery,
    owner_id: Any,
) -> records.SessionPage:
    """One page of sessions, read inside the caller's transaction."""
    sql, params = statements.session_page(app_name, user_id, query, owner_id)
    with paused_gc():
        rows = connection.execute(sql, params).fetchall()
        sessions = [session_record(row, app_name) for row in rows[: query.limit]]
    users = sorted({record.user_id for record in sessions})
    user_states = {
        user: decode_state(text, what=f"user {user!r} state")
        for user, text in connection.execute(
            statements.user_states_of.sql, (app_name, msgspec.json.encode(users).decode())
        )
    }
    (app_text,) = connection.execute(statements.app_state.sql, (app_name,)).fetchone() or (None,)
    return records.SessionPage(
        sessions=sessions,
        app_state={} if app_text is None else decode_state(app_text, what="app state"),
        user_states=user_states,
        has_more=len(rows) > query.limit,
    )


def event_page_in(
    connection: sqlite3.Connection,
    statements: PageStatements,
    key: Key,
    query: records.EventPageQuery,
    owner_id: Any,
) -> records.EventPage | None:
    """One page of a session's events, read inside the caller's transaction."""
    row = connection.execute(*statements.session_key(key, owner_id)).fetchone()
    if row is None:
        return None
    sql, params = statements.event_page(row[0], query)
    with paused_gc():
        rows = connection.execute(sql, params).fetchall()
        page = rows[: query.limit]
        events = event_records((row[:-1] for row in page), key)
    last = page[-1] if len(rows) > query.limit else None
    # A row's timestamp is its fourth read column (see _sql.READ_EVENT_COLUMNS).
    next_position = None if last is None else records.EventPosition(last[3], last[-1])
    return records.EventPage(events=events, next=next_position)


def list_session_page(
    connection: sqlite3.Connection,
    statements: PageStatements,
    app_name: str,
    user_id: str | None,
    query: records.SessionPageQuery,
    owner_id: Any,
) -> records.SessionPage:
    with read_transaction(connection):
        return session_page_in(connection, statements, app_name, user_id, query, owner_id)


def read_event_page(
    connection: sqlite3.Connection,
    statements: PageStatements,
    key: Key,
    query: records.EventPageQuery,
    owner_id: Any,
) -> records.EventPage | None:
    with read_transaction(connection):
        return event_page_in(connection, statements, key, query, owner_id)
