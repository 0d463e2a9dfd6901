"""Keyset pages of sessions and events on PostgreSQL, each one REPEATABLE READ snapshot.

The statements are `adk_sqlite.page_statements`', rendered by `render_pages`.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from adk_sqlite import records
from adk_sqlite.codec.state import decode_state
from adk_sqlite.page_statements import PageStatements, render_page_statements
from adk_sqlite.postgres import sql as _sql
from adk_sqlite.postgres.jobs import event_record, session_record
from adk_sqlite.store_options import TableNames
from adk_sqlite.store_statements import quoted

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
    app_name: str,
    user_id: str | None,
    query: records.SessionPageQuery,
    owner_id: Any,
) -> records.SessionPage:
    sql, params = statements.session_page(app_name, user_id, query, owner_id)
    has_owner = statements.owner_column is not None
    async with connection.transaction(isolation="repeatable_read", readonly=True):
        rows = await connection.fetch(sql, *params)
        sessions = [
            session_record(row, app_name, has_owner=has_owner) for row in rows[: query.limit]
        ]
        users = sorted({record.user_id for record in sessions})
        user_rows = await connection.fetch(statements.user_states_of.sql, app_name, users)
        app_text = await connection.fetchval(statements.app_state.sql, app_name)
    return records.SessionPage(
        sessions=sessions,
        app_state={} if app_text is None else decode_state(app_text, what="app state"),
        user_states={
            row[0]: decode_state(row[1], what=f"user {row[0]!r} state") for row in user_rows
        },
        has_more=len(rows) > query.limit,
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
        rows = await connection.fetch(sql, *params)
    page = rows[: query.limit]
    last = page[-1] if len(rows) > query.limit else None
    # A row's timestamp is its seventh column (EVENT_COLUMNS), seq its last.
    next_position = None if last is None else records.EventPosition(last[6], last[-1])
    return records.EventPage(events=[event_record(row) for row in page], next=next_position)
