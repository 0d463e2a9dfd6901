"""Builders and comparisons shared by the export tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from adk_sqlite import PostgresStore, SessionService, SqliteStore
from support.events import rich_event

Key = tuple[str, str, str]


async def build_source(
    path: Path | str, *, sessions: int = 4, events: int = 6, app_names: tuple[str, ...] = ("a", "b")
) -> list[Key]:
    """A SQLite database with sessions of several apps and users, state in every scope.

    Events carry every field (`rich_event`), some share a timestamp (append
    order must break the tie) and some are appended with an older timestamp.
    """
    keys: list[Key] = []
    async with SessionService(SqliteStore(path)) as service:
        for n in range(sessions):
            app = app_names[n % len(app_names)]
            user = f"user{n % 3}"
            session = await service.create_session(
                app_name=app,
                user_id=user,
                session_id=f"session-{n}",
                state={"app:shared": n, "user:pref": [n, 0.1 + 0.2], "own": {"n": n}},
            )
            for i in range(events):
                stamp = 1700000000.123 + (i // 2) - (5 if i == events - 1 else 0)
                if i % 3 == 0:
                    event = rich_event(event_id=f"s{n}-e{i}", timestamp=stamp)
                else:
                    event = Event(
                        id=f"s{n}-e{i}",
                        author="agent",
                        timestamp=stamp,
                        actions=EventActions(state_delta={"step": i, "user:last": -0.0}),
                    )
                await service.append_event(session, event)
            keys.append((app, user, session.id))
    return keys


def apps_of(path: Path | str) -> list[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT DISTINCT app_name FROM adk_sessions").fetchall()
    connection.close()
    return sorted(row[0] for row in rows)


async def assert_same_sessions(
    source: SqliteStore | Path | str, target: PostgresStore | str, *, app_names: list[str]
) -> int:
    """Asserts both services return equal sessions, listings and states; returns how many."""
    source_store = source if isinstance(source, SqliteStore) else SqliteStore(source)
    target_store = target if isinstance(target, PostgresStore) else PostgresStore(target)
    compared = 0
    try:
        before, after = SessionService(source_store), SessionService(target_store)
        for app in app_names:
            listed_before = await before.list_sessions(app_name=app)
            listed_after = await after.list_sessions(app_name=app)
            assert listed_after == listed_before
            for listed in listed_before.sessions:
                key = {"app_name": app, "user_id": listed.user_id, "session_id": listed.id}
                expected = await before.get_session(**key)
                got = await after.get_session(**key)
                assert got == expected, key
                assert got is not None
                assert expected is not None
                assert got._storage_update_marker == expected._storage_update_marker
                assert [e.timestamp for e in got.events] == [e.timestamp for e in expected.events]
                compared += 1
                assert await after.get_user_state(
                    app_name=app, user_id=listed.user_id
                ) == await before.get_user_state(app_name=app, user_id=listed.user_id)
            assert await after.get_app_state(app_name=app) == await before.get_app_state(
                app_name=app
            )
    finally:
        if not isinstance(source, SqliteStore):
            await source_store.close()
        if not isinstance(target, PostgresStore):
            await target_store.close()
    return compared


async def target_tables(dsn: str) -> set[str]:
    """The tables in the test's schema."""
    import asyncpg

    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
    finally:
        await connection.close()
    return {row[0] for row in rows}


__all__ = ["Key", "apps_of", "assert_same_sessions", "build_source", "target_tables"]
