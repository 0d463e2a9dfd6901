"""Tables, types, schema versions and migrations on PostgreSQL."""

from __future__ import annotations

import asyncio
import struct
import uuid

import asyncpg
import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from adk_sqlite import PostgresStore, SessionService
from adk_sqlite.errors import ConfigurationError, SchemaError, SchemaVersionError
from adk_sqlite.postgres.sql import SCHEMA_VERSION
from support.postgres import admin_execute, base_dsn, with_database

TABLES = ("adk_sessions", "adk_events", "adk_app_states", "adk_user_states")


async def _tables(sql: asyncpg.Connection) -> set[str]:
    rows = await sql.fetch("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return {row[0] for row in rows}


async def test_first_use_creates_the_tables_at_the_current_version(
    dsn: str, sql: asyncpg.Connection
) -> None:
    async with PostgresStore(dsn):
        pass

    assert await _tables(sql) == {*TABLES, "adk_sqlite_schema"}
    versions = await sql.fetch("SELECT table_set, version FROM adk_sqlite_schema ORDER BY version")
    assert [tuple(row) for row in versions] == [
        ("adk_sessions", version) for version in range(1, SCHEMA_VERSION + 1)
    ]


async def test_reopening_migrates_nothing(dsn: str, sql: asyncpg.Connection) -> None:
    for _ in range(3):
        async with SessionService(PostgresStore(dsn)) as service:
            await service.create_session(app_name="a", user_id="u")

    assert await sql.fetchval("SELECT count(*) FROM adk_sqlite_schema") == SCHEMA_VERSION
    assert await sql.fetchval("SELECT count(*) FROM adk_sessions") == 3


async def test_columns_have_the_documented_types(dsn: str, sql: asyncpg.Connection) -> None:
    async with PostgresStore(dsn):
        pass

    rows = await sql.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ANY($1::text[])",
        list(TABLES),
    )
    types = {(row[0], row[1]): row[2] for row in rows}
    assert types["adk_sessions", "state"] == "json"
    assert types["adk_sessions", "update_time"] == "timestamp with time zone"
    assert types["adk_sessions", "update_time_unix"] == "double precision"
    assert types["adk_events", "actions"] == "bytea"
    assert types["adk_events", "content"] == "json"
    assert types["adk_events", "partial"] == "boolean"
    assert types["adk_events", "seq"] == "bigint"
    assert types["adk_app_states", "state"] == "json"


async def test_values_jsonb_would_change_are_stored_exactly(
    service: SessionService, sql: asyncpg.Connection
) -> None:
    tricky = {"neg_zero": -0.0, "e16": 1e16, "max": 1.7976931348623157e308, "nul": "a\x00b"}
    session = await service.create_session(app_name="a", user_id="u", state=tricky)

    got = await service.get_session(app_name="a", user_id="u", session_id=session.id)

    assert got is not None
    for key, value in tricky.items():
        assert type(got.state[key]) is type(value)
        if isinstance(value, float):
            assert struct.pack("<d", got.state[key]) == struct.pack("<d", value)
    assert got.state["nul"] == "a\x00b"
    # The stored text is what the codec wrote, byte for byte.
    assert await sql.fetchval("SELECT state::text FROM adk_sessions") == (
        '{"neg_zero":-0.0,"e16":1e16,"max":1.7976931348623157e308,"nul":"a\\u0000b"}'
    )


async def test_timestamps_are_stored_exactly_and_as_timestamptz(
    service: SessionService, sql: asyncpg.Connection
) -> None:
    session = await service.create_session(app_name="a", user_id="u")
    await service.append_event(session, Event(author="agent", timestamp=1727500000.1234567))

    row = await sql.fetchrow(
        'SELECT timestamp_unix, extract(epoch FROM "timestamp")::float8 FROM adk_events'
    )
    updated = await sql.fetchrow(
        "SELECT update_time_unix, update_time = to_timestamp(1727500000.1234567) FROM adk_sessions"
    )

    assert row[0] == 1727500000.1234567
    assert row[1] == pytest.approx(1727500000.1234567, abs=1e-6)
    assert tuple(updated) == (1727500000.1234567, True)


async def test_state_scopes_live_in_their_own_tables(
    service: SessionService, sql: asyncpg.Connection
) -> None:
    session = await service.create_session(
        app_name="a", user_id="u", state={"app:x": 1, "user:y": 2, "z": 3, "temp:t": 4}
    )
    await service.append_event(
        session, Event(author="agent", actions=EventActions(state_delta={"app:x": 5}))
    )

    assert await sql.fetchval("SELECT state::text FROM adk_app_states") == '{"x":5}'
    assert await sql.fetchval("SELECT state::text FROM adk_user_states") == '{"y":2}'
    assert await sql.fetchval("SELECT state::text FROM adk_sessions") == '{"z":3}'


async def test_a_newer_schema_version_is_refused_and_left_untouched(
    dsn: str, sql: asyncpg.Connection
) -> None:
    async with PostgresStore(dsn):
        pass
    await sql.execute(
        "INSERT INTO adk_sqlite_schema (table_set, version) VALUES ('adk_sessions', 7)"
    )

    store = PostgresStore(dsn)
    with pytest.raises(SchemaVersionError, match="version 7"):
        await store.create_tables()
    await store.close()

    assert await sql.fetchval("SELECT max(version) FROM adk_sqlite_schema") == 7
    assert await _tables(sql) == {*TABLES, "adk_sqlite_schema"}


async def test_tables_not_created_by_adk_sqlite_are_refused(
    dsn: str, sql: asyncpg.Connection
) -> None:
    await sql.execute("CREATE TABLE adk_sessions (id INTEGER)")
    store = PostgresStore(dsn)

    with pytest.raises(SchemaError, match="not created by adk-sqlite"):
        await store.create_tables()
    await store.close()

    # The refused migration rolled back whole: not even the version table remains.
    assert await _tables(sql) == {"adk_sessions"}


@pytest.mark.parametrize(
    ("alteration", "message"),
    [
        ("ALTER TABLE adk_events DROP COLUMN extra", "no column 'extra'"),
        ("ALTER TABLE adk_sessions ALTER COLUMN state TYPE jsonb", "has type jsonb"),
    ],
)
async def test_altered_tables_are_refused(
    dsn: str, sql: asyncpg.Connection, alteration: str, message: str
) -> None:
    async with PostgresStore(dsn):
        pass
    await sql.execute(alteration)
    store = PostgresStore(dsn)

    with pytest.raises(SchemaError, match=message):
        await store.create_tables()
    await store.close()


async def test_stores_opening_at_once_migrate_once(dsn: str, sql: asyncpg.Connection) -> None:
    stores = [PostgresStore(dsn) for _ in range(6)]
    try:
        await asyncio.gather(*(store.create_tables() for store in stores))
    finally:
        await asyncio.gather(*(store.close() for store in stores))

    assert await sql.fetchval("SELECT count(*) FROM adk_sqlite_schema") == SCHEMA_VERSION


async def test_two_table_sets_share_one_schema(dsn: str, sql: asyncpg.Connection) -> None:
    names = {
        "session_table": "bot_sessions",
        "events_table": "bot_events",
        "app_state_table": "bot_app",
        "user_state_table": "bot_user",
    }
    async with (
        SessionService(PostgresStore(dsn)) as default,
        SessionService(PostgresStore(dsn, **names)) as renamed,
    ):
        await default.create_session(app_name="a", user_id="u", session_id="s1")
        await renamed.create_session(app_name="a", user_id="u", session_id="s2")
        assert [s.id for s in (await renamed.list_sessions(app_name="a")).sessions] == ["s2"]

    assert {"bot_sessions", "bot_events", "bot_app", "bot_user"} <= await _tables(sql)
    assert await sql.fetchval("SELECT count(*) FROM adk_sqlite_schema") == 2 * SCHEMA_VERSION


async def test_a_database_that_is_not_utf8_is_refused() -> None:
    name = f"adk_test_latin1_{uuid.uuid4().hex[:12]}"
    await admin_execute(
        f"CREATE DATABASE {name} ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
    )
    try:
        store = PostgresStore(with_database(base_dsn(), name))
        with pytest.raises(ConfigurationError, match="UTF8"):
            await store.create_tables()
        await store.close()
    finally:
        await admin_execute(f"DROP DATABASE {name}")
