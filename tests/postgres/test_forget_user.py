"""Forgetting a user on PostgreSQL: nothing of them in any table, nor in any table's pages.

One user of an app has sessions with events and state in every scope, session- and
user-scoped artifacts and memories; another user of the same app, and the same user
id in another app, have the same. After `PostgresStore.forget_user` no table of the
schema holds a row of the forgotten user, and, the tables vacuumed, no tuple in any
page of them (live or dead, read with ``pageinspect``) holds their text; the others
still read back whole through the services.
"""

from __future__ import annotations

import asyncpg

from adk_sqlite import ArtifactService, MemoryService, PostgresStore, SessionService
from support.forgetting import SECRET, fill_user


async def _tables(connection: asyncpg.Connection) -> list[str]:
    rows = await connection.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
    )
    return sorted(row["table_name"] for row in rows)


async def _rows_of(connection: asyncpg.Connection, app_name: str, user_id: str) -> dict[str, int]:
    """Rows per table whose app_name and user_id are the given ones."""
    found = {}
    for table in await _tables(connection):
        columns = {
            row["column_name"]
            for row in await connection.fetch(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = $1",
                table,
            )
        }
        if {"app_name", "user_id"} <= columns:
            count = await connection.fetchval(
                f'SELECT count(*) FROM "{table}" WHERE app_name = $1 AND user_id = $2',
                app_name,
                user_id,
            )
            if count:
                found[table] = count
    return found


async def _tuples_holding(connection: asyncpg.Connection, marker: str) -> dict[str, int]:
    """Tuples, live or dead, in any page of any table (and its TOAST table) holding ``marker``."""
    await connection.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
    schema = await connection.fetchval(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = 'pageinspect'"
    )
    relations = await connection.fetch(
        "SELECT c.oid::regclass::text AS name, c.oid FROM pg_class c"
        " WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"
        " UNION ALL SELECT t.oid::regclass::text, t.oid FROM pg_class c"
        " JOIN pg_class t ON t.oid = c.reltoastrelid"
        " WHERE c.relnamespace = current_schema()::regnamespace"
    )
    found = {}
    for relation in relations:
        count = await connection.fetchval(
            f"SELECT count(*) FROM generate_series(0, pg_relation_size($1::oid) / 8192 - 1) AS b,"
            f' "{schema}".heap_page_items("{schema}".get_raw_page($1::oid::regclass::text,'
            " b::int)) AS item WHERE position($2::bytea IN item.t_data) > 0",
            relation["oid"],
            marker.encode(),
        )
        if count:
            found[relation["name"]] = count
    return found


async def test_forgetting_a_user_leaves_nothing_of_them_and_everything_of_others(
    dsn: str, sql: asyncpg.Connection
) -> None:
    async with PostgresStore(dsn) as store:
        await fill_user(store, "app", "ada", SECRET)
        await fill_user(store, "app", "bob", "bermuda")
        await fill_user(store, "other-app", "ada", "bermuda")
        before_bob = await _rows_of(sql, "app", "bob")
        before_other = await _rows_of(sql, "other-app", "ada")
        assert await _tuples_holding(sql, SECRET)  # the probe finds them before

        report = await store.forget_user(app_name="app", user_id="ada")

        assert (report.sessions, report.events, report.user_state) == (3, 6, 1)
        assert (report.artifact_versions, report.memories, report.files) == (4, 6, 0)
        assert await _rows_of(sql, "app", "ada") == {}
        assert await _rows_of(sql, "app", "bob") == before_bob
        assert await _rows_of(sql, "other-app", "ada") == before_other
        # Vacuumed: not even a dead tuple of theirs in any page.
        assert await _tuples_holding(sql, SECRET) == {}

        sessions = SessionService(store)
        assert (await sessions.list_sessions(app_name="app", user_id="ada")).sessions == []
        listing = (await sessions.list_sessions(app_name="app", user_id="bob")).sessions
        assert len(listing) == 3
        for entry in listing:
            bob = await sessions.get_session(app_name="app", user_id="bob", session_id=entry.id)
            assert bob is not None
            assert len(bob.events) == 2
            assert bob.state["user:hint"] == "bermuda"
        found = await MemoryService(store).search_memory(
            app_name="app", user_id="bob", query="bermuda"
        )
        assert len(found.memories) == 6
        artifacts = ArtifactService(store)
        assert await artifacts.list_artifact_keys(app_name="app", user_id="ada") == []
        profile = await artifacts.load_artifact(
            app_name="app", user_id="bob", filename="user:profile"
        )
        assert profile is not None
        assert profile.text == "bermuda"


async def test_forgetting_before_any_artifact_or_memory_table_exists(dsn: str) -> None:
    async with PostgresStore(dsn) as store:
        sessions = SessionService(store)
        await sessions.create_session(app_name="app", user_id="ada", state={"user:plan": "pro"})

        report = await store.forget_user(app_name="app", user_id="ada", vacuum=False)

        assert (report.sessions, report.user_state, report.artifact_versions) == (1, 1, 0)
        assert (await sessions.list_sessions(app_name="app", user_id="ada")).sessions == []


async def test_a_users_sessions_go_whatever_their_owner(dsn: str, sql: asyncpg.Connection) -> None:
    await sql.execute("CREATE TABLE tenants (id BIGINT PRIMARY KEY)")
    await sql.execute("INSERT INTO tenants VALUES (1), (2)")
    owner = "tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE"
    async with PostgresStore(dsn, owner_id_column=owner) as store:
        for tenant in (1, 2):
            service = SessionService(store, owner_id=tenant)  # the store outlives it
            await service.create_session(app_name="app", user_id="ada")
            await service.create_session(app_name="app", user_id="bob")

        report = await store.forget_user(app_name="app", user_id="ada")

        assert report.sessions == 2
        assert await _rows_of(sql, "app", "ada") == {}
        assert (await _rows_of(sql, "app", "bob"))["adk_sessions"] == 2
