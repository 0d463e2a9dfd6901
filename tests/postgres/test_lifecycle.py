"""Opening lazily, the pool (owned or lent), closing, and resource hygiene."""

from __future__ import annotations

import asyncio
import gc
import uuid

import asyncpg
import pytest
from google.adk.events.event import Event

from adk_sqlite import PostgresStore, SessionService
from adk_sqlite.errors import ConfigurationError, StoreClosedError

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nothing"


def test_the_constructor_opens_nothing() -> None:
    # An unreachable server is fine until the first operation.
    store = PostgresStore(UNREACHABLE, connect_timeout=0.5)
    assert store.database == UNREACHABLE


async def test_closing_a_never_opened_store_is_fine() -> None:
    store = PostgresStore(UNREACHABLE)
    await store.close()
    await store.close()


async def test_close_is_idempotent(dsn: str) -> None:
    store = PostgresStore(dsn)
    await store.create_tables()
    await store.close()
    await store.close()


async def test_using_a_closed_store_raises_a_clear_error(dsn: str) -> None:
    service = SessionService(PostgresStore(dsn))
    await service.create_session(app_name="a", user_id="u")
    await service.close()

    with pytest.raises(StoreClosedError, match="closed"):
        await service.list_sessions(app_name="a")


async def test_a_store_closed_before_use_refuses_to_open(dsn: str) -> None:
    store = PostgresStore(dsn)
    await store.close()

    with pytest.raises(StoreClosedError):
        await store.get_app_state(app_name="a")


async def test_data_outlives_the_store(dsn: str) -> None:
    async with SessionService(PostgresStore(dsn)) as first:
        session = await first.create_session(app_name="a", user_id="u", state={"k": 0.1 + 0.2})
        await first.append_event(session, Event(author="agent", timestamp=1727500000.1234567))

    async with SessionService(PostgresStore(dsn)) as second:
        got = await second.get_session(app_name="a", user_id="u", session_id=session.id)

    assert got == session


async def test_the_password_is_masked_in_the_description() -> None:
    store = PostgresStore("postgresql://ada:s3cret@db.example:5432/agents")

    assert "s3cret" not in store.database
    assert "s3cret" not in repr(store)
    assert store.database == "postgresql://ada:***@db.example:5432/agents"


@pytest.mark.parametrize(
    "dsn",
    ["mysql://u@h/d", "sessions.db", "sqlite:///x.db", "host=localhost dbname=x", 42],
)
def test_anything_but_a_postgresql_url_or_pool_is_refused(dsn: object) -> None:
    with pytest.raises(ConfigurationError):
        PostgresStore(dsn)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        {"min_pool_size": 5, "max_pool_size": 2},
        {"max_pool_size": 0},
        {"connect_timeout": 0},
        {"lock_timeout": -1},
        {"session_table": "bad name"},
        {"session_table": "same", "events_table": "SAME"},
    ],
)
def test_bad_options_are_refused_when_the_store_is_built(options: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        PostgresStore(UNREACHABLE, **options)  # type: ignore[arg-type]


async def test_postgresql_asyncpg_and_postgres_schemes_are_accepted(dsn: str) -> None:
    for scheme in ("postgres", "postgresql+asyncpg"):
        url = scheme + dsn[len("postgresql") :]
        async with PostgresStore(url) as store:
            assert await store.get_app_state(app_name="a") == {}


async def test_a_lent_pool_is_used_and_left_open(dsn: str) -> None:
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        async with SessionService(PostgresStore(pool)) as first:
            session = await first.create_session(app_name="a", user_id="u", session_id="s")
        async with SessionService(PostgresStore(pool)) as second:
            got = await second.get_session(app_name="a", user_id="u", session_id="s")
        assert got == session
        assert not pool.is_closing()
        assert await pool.fetchval("SELECT count(*) FROM adk_sessions") == 1
    finally:
        await pool.close()


def _named(dsn: str) -> tuple[str, str]:
    """``dsn`` with an application_name of its own, to count its connections alone."""
    name = f"adk-test-{uuid.uuid4().hex[:12]}"
    return f"{dsn}&application_name={name}", name


async def test_one_pooled_connection_serves_many_concurrent_operations(dsn: str) -> None:
    dsn, name = _named(dsn)
    async with SessionService(PostgresStore(dsn, min_pool_size=1, max_pool_size=1)) as service:
        sessions = await asyncio.gather(
            *(service.create_session(app_name="a", user_id="u") for _ in range(20))
        )
        await asyncio.gather(*(service.append_event(s, Event(author="agent")) for s in sessions))
        listed = await service.list_sessions(app_name="a")
        connections = await _connections_of(dsn, name)

    assert len(listed.sessions) == 20
    assert connections == 1


async def test_the_pool_is_closed_with_the_store(dsn: str) -> None:
    dsn, name = _named(dsn)
    store = PostgresStore(dsn, min_pool_size=2, max_pool_size=4)
    await store.create_tables()
    assert await _connections_of(dsn, name) == 2

    await store.close()

    assert await _connections_of(dsn, name) == 0


async def test_a_store_garbage_collected_while_open_warns(dsn: str) -> None:
    dsn, name = _named(dsn)
    stores = [PostgresStore(dsn)]
    await stores[0].create_tables()

    with pytest.warns(ResourceWarning, match="garbage-collected while open"):
        _drop_and_collect(stores)
    await asyncio.sleep(0.1)
    assert await _connections_of(dsn, name) == 0


def _drop_and_collect(stores: list[PostgresStore]) -> None:
    stores.clear()
    gc.collect()


async def _connections_of(dsn: str, application_name: str) -> int:
    """Open server connections with this application_name, other than the counting one."""
    connection = await asyncpg.connect(dsn)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = $1 AND datname = current_database()"
            " AND pid <> pg_backend_pid()",
            application_name,
        )
        return count
    finally:
        await connection.close()


async def test_a_store_whose_tables_are_refused_keeps_no_connection(dsn: str) -> None:
    from adk_sqlite.errors import SchemaError

    connection = await asyncpg.connect(dsn)
    await connection.execute("CREATE TABLE adk_sessions (id INTEGER)")
    await connection.close()
    dsn, name = _named(dsn)
    store = PostgresStore(dsn)

    with pytest.raises(SchemaError):
        await store.create_tables()

    assert await _connections_of(dsn, name) == 0
    with pytest.raises(SchemaError):  # a retry opens, and is refused, again
        await store.create_tables()
    await store.close()
