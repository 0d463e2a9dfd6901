"""The owner (tenant) column on PostgreSQL: stamping, confinement, cascade, refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.events.event import Event

from adk_sqlite import PostgresStore, SessionService
from adk_sqlite.errors import ConfigurationError, ConstraintError

OWNER_DDL = "tenant_id BIGINT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE"


@pytest.fixture
async def tenants(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A tenants table with rows 1 (acme) and 2 (globex), and a connection to query with."""
    connection = await asyncpg.connect(dsn)
    await connection.execute("CREATE TABLE tenants (id BIGINT PRIMARY KEY, name TEXT)")
    await connection.execute("INSERT INTO tenants VALUES (1, 'acme'), (2, 'globex')")
    try:
        yield connection
    finally:
        await connection.close()


async def test_new_sessions_are_stamped_with_the_owner(
    dsn: str, tenants: asyncpg.Connection
) -> None:
    async with SessionService(PostgresStore(dsn, owner_id_column=OWNER_DDL), owner_id=1) as acme:
        await acme.create_session(app_name="a", user_id="u", session_id="s1")

    rows = await tenants.fetch("SELECT id, tenant_id FROM adk_sessions")
    assert [tuple(row) for row in rows] == [("s1", 1)]


async def test_one_owner_never_sees_changes_or_deletes_anothers_session(
    dsn: str, tenants: asyncpg.Connection
) -> None:
    store = PostgresStore(dsn, owner_id_column=OWNER_DDL)
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


async def test_deleting_the_owner_row_cascades_to_sessions_and_events(
    dsn: str, tenants: asyncpg.Connection
) -> None:
    async with SessionService(PostgresStore(dsn, owner_id_column=OWNER_DDL), owner_id=1) as acme:
        session = await acme.create_session(app_name="a", user_id="u")
        await acme.append_event(session, Event(author="agent"))
    assert await tenants.fetchval("SELECT count(*) FROM adk_events") == 1

    await tenants.execute("DELETE FROM tenants WHERE id = 1")

    assert await tenants.fetchval("SELECT count(*) FROM adk_sessions") == 0
    assert await tenants.fetchval("SELECT count(*) FROM adk_events") == 0


async def test_deleting_a_session_cascades_to_its_events(
    dsn: str, tenants: asyncpg.Connection
) -> None:
    async with SessionService(PostgresStore(dsn)) as service:
        kept = await service.create_session(app_name="a", user_id="u")
        gone = await service.create_session(app_name="a", user_id="u")
        for session in (kept, gone, gone):
            await service.append_event(session, Event(author="agent"))

        await service.delete_session(app_name="a", user_id="u", session_id=gone.id)

    rows = await tenants.fetch("SELECT session_id FROM adk_events")
    assert [row[0] for row in rows] == [kept.id]


async def test_an_owner_the_foreign_key_refuses_gets_a_constraint_error(
    dsn: str, tenants: asyncpg.Connection
) -> None:
    async with SessionService(PostgresStore(dsn, owner_id_column=OWNER_DDL), owner_id=99) as ghost:
        with pytest.raises(ConstraintError, match="foreign key") as excinfo:
            await ghost.create_session(app_name="a", user_id="u")
        assert (await ghost.list_sessions(app_name="a")).sessions == []
    assert isinstance(excinfo.value.__cause__, asyncpg.ForeignKeyViolationError)


async def test_an_owner_of_the_wrong_type_gets_a_constraint_error(
    dsn: str, tenants: asyncpg.Connection
) -> None:
    async with SessionService(
        PostgresStore(dsn, owner_id_column=OWNER_DDL), owner_id="acme"
    ) as wrong:
        with pytest.raises(ConstraintError, match="invalid input"):
            await wrong.create_session(app_name="a", user_id="u")


async def test_an_owner_id_without_an_owner_column_is_a_configuration_error(dsn: str) -> None:
    async with SessionService(PostgresStore(dsn), owner_id=1) as service:
        with pytest.raises(ConfigurationError, match="owner_id_column"):
            await service.create_session(app_name="a", user_id="u")


async def test_a_store_without_the_owner_option_sees_every_owner(
    dsn: str, tenants: asyncpg.Connection
) -> None:
    store = PostgresStore(dsn, owner_id_column=OWNER_DDL)
    async with SessionService(store, owner_id=1) as acme:
        await acme.create_session(app_name="a", user_id="u", session_id="s1")
        await SessionService(store, owner_id=2).create_session(
            app_name="a", user_id="u", session_id="s2"
        )

    async with SessionService(PostgresStore(dsn)) as administrator:
        listed = (await administrator.list_sessions(app_name="a")).sessions
        assert sorted(session.id for session in listed) == ["s1", "s2"]
        with pytest.raises(ConstraintError, match="not-null"):
            await administrator.create_session(app_name="a", user_id="u")


async def test_adding_an_owner_column_to_existing_tables_is_refused(dsn: str) -> None:
    async with PostgresStore(dsn):
        pass
    store = PostgresStore(dsn, owner_id_column="tenant_id BIGINT")

    with pytest.raises(ConfigurationError, match="without the owner column"):
        await store.create_tables()
    await store.close()
