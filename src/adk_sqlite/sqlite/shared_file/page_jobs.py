"""Keyset pages of sessions and events on SQLite, for both layouts.

The ``*_in`` functions run inside a read transaction their caller holds (the
shared file's reader, the one-file-per-session catalog's snapshot or a session
file's); `list_session_page` and `read_event_page` are the shared file's jobs,
each one snapshot. The statements are `adk_sqlite.storage.page_statements`'.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from adk_sqlite import records
from adk_sqlite.codec.fast import paused_gc
from adk_sqlite.sqlite.read_transaction import in_read_transaction
from adk_sqlite.sqlite.shared_file.jobs import event_records, session_record
from adk_sqlite.storage.job_requests import SessionsOf
from adk_sqlite.storage.page_statements import PageStatements, page_of
from adk_sqlite.storage.session_jobs import session_page

__all__ = ["event_page_in", "list_session_page", "read_event_page", "session_page_in"]

Key = tuple[str, str, str]


def session_page_in(
    connection: sqlite3.Connection,
    statements: PageStatements,
    listing: SessionsOf,
    query: records.SessionPageQuery,
) -> records.SessionPage:
    """One page of sessions, read inside the caller's transaction."""
    app_name = listing.app_name
    sql, params = statements.session_page(listing, query)
    with paused_gc():
        page, has_more = page_of(connection.execute(sql, params).fetchall(), query.limit)
        sessions = [session_record(row, app_name) for row in page]
    user_rows = connection.execute(*statements.user_states(app_name, sessions)).fetchall()
    (app_text,) = connection.execute(statements.app_state.sql, (app_name,)).fetchone() or (None,)
    return session_page(sessions, user_rows, app_text, has_more=has_more)


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
        page, has_more = page_of(connection.execute(sql, params).fetchall(), query.limit)
        events = event_records((row[:-1] for row in page), key)  # less the seq column
    return records.EventPage(events=events, next=statements.next_event_position(page, has_more))


# The shared file's jobs: each one snapshot.
list_session_page = in_read_transaction(session_page_in)
read_event_page = in_read_transaction(event_page_in)
