"""The owner (tenant) column: stamping, confinement, cascade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.events.event import Event

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.errors import ConfigurationError, ConstraintError

OWNER_DDL = "tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE"


@pytest.fixture
def tenant_db(db_path: Path) -> Path:
    with sqlite3.connect(db_path) as connection:
        connection.execute("CREATE TABLE tenants (id INTEGER PRIMARY KEY, name TEXT)")
        connection.executemany("INSERT INTO tenants VALUES (?, ?)", [(1, "acme"), (2, "globex")])
    return db_path


async def test_new_sessions_are_stamped_with_the_owner(tenant_db: Path) -> None:
    async with SessionService(
        SqliteStore(tenant_db, owner_id_column=OWNER_DDL), owner_id=1
    ) as acme:
        await acme.create_session(app_name="a", user_id="u", session_id="s1")
    with sqlite3.connect(tenant_db) as connection:
        assert connection.execute("SELECT id, tenant_id FROM adk_sessions").fetchall() == [
            ("s1", 1)
        ]


async def test_one_owner_never_sees_changes_or_deletes_anothers_session(tenant_db: Path) -> None:
    store = SqliteStore(tenant_db, owner_id_column=OWNER_DDL)
    acme, globex = SessionService(store, owner_id=1), SessionService(store, owner_id=2)
    try:
        secret = await acme.create_session(
            app_name="a", user_id="u", session_id="s1", state={"k": 1}
        )
        assert await globex.get_session(app_name="a", user_id="u", session_id="s1") is None
        assert (await globex.list_sessions(app_name="a")).sessions == []
        assert (await globex.list_sessions(app_name="a", user_id="u")).sessions == []
        with pytest.raises(SessionNotFoundError):
            await globex.append_event(secret, Event(author="intruder"))
        await globex.delete_session(app_name="a", user_id="u", session_id="s1")
        survivor = await acme.get_session(app_name="a", user_id="u", session_id="s1")
        assert survivor == secret
        assert [s.id for s in (await acme.list_sessions(app_name="a")).sessions] == ["s1"]
    finally:
        await store.close()


async def test_deleting_the_owner_row_cascades_to_sessions_and_events(tenant_db: Path) -> None:
    async with SessionService(
        SqliteStore(tenant_db, owner_id_column=OWNER_DDL), owner_id=1
    ) as acme:
        session = await acme.create_session(app_name="a", user_id="u")
        await acme.append_event(session, Event(author="agent"))
    with sqlite3.connect(tenant_db) as connection:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("DELETE FROM tenants WHERE id = 1")
        assert connection.execute("SELECT count(*) FROM adk_sessions").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM adk_events").fetchone() == (0,)


async def test_an_owner_the_column_refuses_gets_a_constraint_error(tenant_db: Path) -> None:
    async with SessionService(
        SqliteStore(tenant_db, owner_id_column=OWNER_DDL), owner_id=99
    ) as ghost:
        with pytest.raises(ConstraintError, match="FOREIGN KEY"):
            await ghost.create_session(app_name="a", user_id="u")
        assert (await ghost.list_sessions(app_name="a")).sessions == []


async def test_an_owner_id_without_an_owner_column_is_a_configuration_error(db_path: Path) -> None:
    async with SessionService(SqliteStore(db_path), owner_id=1) as service:
        with pytest.raises(ConfigurationError, match="owner_id_column"):
            await service.create_session(app_name="a", user_id="u")


async def test_a_store_without_the_owner_option_sees_every_owner(tenant_db: Path) -> None:
    store = SqliteStore(tenant_db, owner_id_column=OWNER_DDL)
    async with SessionService(store, owner_id=1) as acme:
        await acme.create_session(app_name="a", user_id="u", session_id="s1")
        await SessionService(store, owner_id=2).create_session(
            app_name="a", user_id="u", session_id="s2"
        )
    async with SessionService(SqliteStore(tenant_db)) as administrator:
        listed = (await administrator.list_sessions(app_name="a")).sessions
        assert sorted(session.id for session in listed) == ["s1", "s2"]
        with pytest.raises(ConstraintError, match="NOT NULL"):
            await administrator.create_session(app_name="a", user_id="u")


async def test_adding_an_owner_column_to_existing_tables_is_refused(db_path: Path) -> None:
    async with SqliteStore(db_path):
        pass
    store = SqliteStore(db_path, owner_id_column="tenant_id INTEGER")
    with pytest.raises(ConfigurationError, match="without the owner column"):
        await store.create_tables()
    await store.close()


def test_a_bad_owner_column_name_is_refused(db_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="owner_id_column"):
        SqliteStore(db_path, owner_id_column="tenant-id INTEGER")
