"""Keyset pages of sessions and events on PostgreSQL, each one REPEATABLE READ snapshot.

The statements are `adk_sqlite.storage.page_statements`', rendered by `render_pages`.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from adk_sqlite import records
from adk_sqlite.postgres import sql as _sql
from adk_sqlite.postgres.jobs import converted_in_chunks, event_records, user_states_in_chunks
from adk_sqlite.storage.job_requests import SessionsOf
from adk_sqlite.storage.page_statements import PageStatements, page_of, render_page_statements
from adk_sqlite.storage.session_jobs import session_record, state_or_empty
from adk_sqlite.storage.store_options import TableNames
from adk_sqlite.storage.store_statements import quoted

__all__ = ["list_session_page", "read_event_page", "render_pages"]

Key = tuple[str, str, str]


def render_pages(tables: TableNames, owner_column: str | None) -> PageStatements:
    """The page statements of a PostgresStore's tables."""
    owner = None if owner_column is None else quoted(owner_column)
    return render_page_statements(
        dialect="postgres",
        sessions=quoted(tables.sessions),
        events=quoted(tables.events),
        user_states=quoted(tables.user_states),
        app_states=quoted(tables.app_states),
        session_columns=_sql.SESSION_COLUMNS + ("" if owner is None else f", {owner}"),
        event_columns=_sql.EVENT_COLUMNS,
        owner_column=owner,
    )


async def list_session_page(
    connection: asyncpg.Connection,
    statements: PageStatements,
    listing: SessionsOf,
    query: records.SessionPageQuery,
) -> records.SessionPage:
    sql, params = statements.session_page(listing, query)
    has_owner = statements.owner_column is not None
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        page, has_more = page_of(await connection.fetch(sql, *params), query.limit)
        # Converted inside the transaction: the user states to read are the page's users'.
        # A page may hold up to 10,000 sessions, so in chunks (see jobs.converted_in_chunks).
        sessions = await converted_in_chunks(
            page,
            lambda chunk: [
                session_record(row, listing.app_name, has_owner=has_owner) for row in chunk
            ],
        )
        sql, params = statements.user_states(listing.app_name, sessions)
        user_rows = await connection.fetch(sql, *params)
        app_text = await connection.fetchval(statements.app_state.sql, listing.app_name)
    # session_page's fields, with the users' states decoded in chunks too.
    return records.SessionPage(
        sessions=sessions,
        app_state=state_or_empty(app_text, "app state"),
        user_states=await user_states_in_chunks(user_rows),
        has_more=has_more,
    )


async def read_event_page(
    connection: asyncpg.Connection,
    statements: PageStatements,
    key: Key,
    query: records.EventPageQuery,
    owner_id: Any,
) -> records.EventPage | None:
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        sql, params = statements.session_key(key, owner_id)
        session_key = await connection.fetchval(sql, *params)
        if session_key is None:
            return None
        sql, params = statements.event_page(session_key, query)
        page, has_more = page_of(await connection.fetch(sql, *params), query.limit)
    # A page may hold up to 10,000 events: converted in chunks, after the transaction.
    return records.EventPage(
        events=await converted_in_chunks(page, event_records),
        next=statements.next_event_position(page, has_more),
    )
