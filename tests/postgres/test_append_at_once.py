"""The common append on `PostgresStore`: one statement that bumps the session and inserts.

An event without a state delta, from a writer that holds the session's revision, is
written by one ``UPDATE ... RETURNING`` feeding one ``INSERT`` (`_sql.APPEND_AT_ONCE`),
its own transaction. These tests hold that it writes all or nothing like the
multi-statement append: a duplicate id, a stale writer, a missing session and
another owner's session leave every row as it was, and the rows it writes are the
ones the other path writes.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions.session import Session

from adk_sqlite import PostgresStore, SessionService
from adk_sqlite.errors import DuplicateEventError, SessionNotFoundError, StaleSessionError

SESSION_ROW = "SELECT revision, update_time_unix FROM adk_sessions WHERE id = 's'"
EVENT_ROWS = (
    'SELECT id, session_key, timestamp_unix, "timestamp" = to_timestamp(timestamp_unix),'
    " view_role, compaction_start, compaction_end, content::text, partial"
    " FROM adk_events ORDER BY seq"
)


async def _rows(sql: asyncpg.Connection) -> tuple[Any, list[Any]]:
    return await sql.fetchrow(SESSION_ROW), [tuple(row) for row in await sql.fetch(EVENT_ROWS)]


async def test_a_duplicate_id_writes_nothing_not_even_the_revision(
    service: SessionService, sql: asyncpg.Connection
) -> None:
    session = await service.create_session(app_name="a", user_id="u", session_id="s")
    await service.append_event(session, Event(id="e1", author="agent", timestamp=10.0))
    before = await _rows(sql)

    with pytest.raises(DuplicateEventError, match="already has an event with id 'e1'"):
        await service.append_event(session, Event(id="e1", author="agent", timestamp=11.0))

    assert await _rows(sql) == before
    # The writer is not stale for it: its next event goes in.
    await service.append_event(session, Event(id="e2", author="agent", timestamp=12.0))
    stored = await service.get_session(app_name="a", user_id="u", session_id="s")
    assert stored is not None
    assert [event.id for event in stored.events] == ["e1", "e2"]


async def test_a_stale_writer_writes_nothing(dsn: str, sql: asyncpg.Connection) -> None:
    async with (
        SessionService(PostgresStore(dsn)) as first,
        SessionService(PostgresStore(dsn)) as second,
    ):
        mine = await first.create_session(app_name="a", user_id="u", session_id="s")
        theirs = await second.get_session(app_name="a", user_id="u", session_id="s")
        assert theirs is not None
        await first.append_event(mine, Event(id="e1", author="agent", timestamp=10.0))
        before = await _rows(sql)

        with pytest.raises(StaleSessionError):
            await second.append_event(theirs, Event(id="e2", author="agent", timestamp=11.0))

    assert await _rows(sql) == before


async def test_a_deleted_session_takes_no_event(
    service: SessionService, sql: asyncpg.Connection
) -> None:
    session = await service.create_session(app_name="a", user_id="u", session_id="s")
    await service.delete_session(app_name="a", user_id="u", session_id="s")

    with pytest.raises(SessionNotFoundError):
        await service.append_event(session, Event(id="e1", author="agent"))

    assert await sql.fetchval("SELECT count(*) FROM adk_events") == 0


async def test_the_rows_are_the_ones_the_other_append_writes(
    dsn: str, sql: asyncpg.Connection
) -> None:
    # The same events, once through the one-statement append and once through the
    # multi-statement one (an app: delta takes that path; it is stripped from the
    # event before either path sees the event's columns).
    def events(delta: dict[str, object]) -> list[Event]:
        return [
            Event(id="e1", author="user", timestamp=10.25, partial=True),
            Event(
                id="e2",
                author="agent",
                timestamp=11.5,
                invocation_id="i",
                actions=EventActions(state_delta=dict(delta)),
            ),
        ]

    written = []
    async with SessionService(PostgresStore(dsn)) as service:
        for session_id, delta in (("s", {}), ("t", {"app:x": 1})):
            session = await service.create_session(app_name="a", user_id="u", session_id=session_id)
            for event in events(delta):
                await service.append_event(session, event)
            written.append(await _events_of(sql, session))

    at_once, other = written
    assert [row[:-1] for row in at_once] == [row[:-1] for row in other]


async def _events_of(sql: asyncpg.Connection, session: Session) -> list[tuple[Any, ...]]:
    rows = await sql.fetch(
        'SELECT e.id, e.timestamp_unix, e."timestamp", e.view_role, e.compaction_start,'
        " e.compaction_end, e.content::text, e.partial, e.invocation_id, e.author,"
        " e.session_key"
        " FROM adk_events AS e JOIN adk_sessions AS s USING (session_key)"
        " WHERE s.id = $1 ORDER BY e.seq",
        session.id,
    )
    return [tuple(row) for row in rows]
