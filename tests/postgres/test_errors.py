"""asyncpg and socket errors come out as the public error tree, mapped in one place."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from google.adk.events.event import Event

from adk_sqlite import PostgresStore, SessionService
from adk_sqlite.errors import (
    ConfigurationError,
    ConstraintError,
    DatabaseError,
    DatabaseLockedError,
    DatabaseUnavailableError,
    ReadOnlyDatabaseError,
    UnencodableValueError,
)
from adk_sqlite.postgres.connection import translate_postgres_error
from support.postgres import base_dsn, password_refusing_server, with_database


async def _first_use(dsn: str) -> None:
    store = PostgresStore(dsn, connect_timeout=5)
    try:
        await store.create_tables()
    finally:
        await store.close()


async def test_an_unreachable_server_is_unavailable() -> None:
    with pytest.raises(DatabaseUnavailableError, match=r"127\.0\.0\.1:1") as excinfo:
        await _first_use("postgresql://nobody:pw@127.0.0.1:1/nothing")

    assert isinstance(excinfo.value.__cause__, OSError)
    assert "pw@" not in str(excinfo.value)


async def test_a_missing_database_is_unavailable(dsn: str) -> None:
    missing = with_database(base_dsn(), f"adk_missing_{uuid.uuid4().hex[:8]}")

    with pytest.raises(DatabaseUnavailableError, match="does not exist") as excinfo:
        await _first_use(missing)

    assert isinstance(excinfo.value.__cause__, asyncpg.InvalidCatalogNameError)


async def test_an_unknown_role_is_unavailable(dsn: str) -> None:
    parts = urlsplit(dsn)
    netloc = f"adk_nobody_{uuid.uuid4().hex[:8]}:pw@{parts.hostname}:{parts.port or 5432}"
    stranger = urlunsplit(parts._replace(netloc=netloc))

    with pytest.raises(DatabaseUnavailableError) as excinfo:
        await _first_use(stranger)

    assert isinstance(excinfo.value.__cause__, asyncpg.InvalidAuthorizationSpecificationError)


@pytest.fixture
async def password_checking_server() -> AsyncIterator[int]:
    async with password_refusing_server() as port:
        yield port


async def test_a_wrong_password_is_unavailable_and_not_echoed(
    password_checking_server: int,
) -> None:
    dsn = f"postgresql://ada:not-the-password@127.0.0.1:{password_checking_server}/agents"

    with pytest.raises(DatabaseUnavailableError, match="password authentication failed") as exc:
        await _first_use(dsn)

    assert isinstance(exc.value.__cause__, asyncpg.InvalidPasswordError)
    assert "not-the-password" not in str(exc.value)


async def test_a_read_only_database_refuses_writes_but_serves_reads(dsn: str) -> None:
    async with SessionService(PostgresStore(dsn)) as writer:
        session = await writer.create_session(app_name="a", user_id="u", session_id="s")
    read_only = f"{dsn}&default_transaction_read_only=on"

    async with SessionService(PostgresStore(read_only)) as reader:
        assert await reader.get_session(app_name="a", user_id="u", session_id="s") == session
        with pytest.raises(ReadOnlyDatabaseError, match="read-only") as excinfo:
            await reader.append_event(session, Event(author="agent"))

    assert isinstance(excinfo.value.__cause__, asyncpg.ReadOnlySQLTransactionError)


async def test_a_nul_in_a_text_column_is_refused_naming_the_field(
    service: SessionService,
) -> None:
    # PostgreSQL text cannot hold NUL characters (JSON escapes them; plain columns cannot):
    # refused before any SQL, naming the field, like every value a store cannot keep.
    with pytest.raises(UnencodableValueError, match="user_id"):
        await service.create_session(app_name="a", user_id="u\x00", session_id="s")
    session = await service.create_session(app_name="a", user_id="u", session_id="s")
    with pytest.raises(UnencodableValueError, match="author"):
        await service.append_event(session, Event(author="a\x00b"))

    assert [s.id for s in (await service.list_sessions(app_name="a")).sessions] == ["s"]
    stored = await service.get_session(app_name="a", user_id="u", session_id="s")
    assert stored is not None
    assert stored.events == []


@pytest.mark.parametrize(
    ("driver_error", "expected"),
    [
        (asyncpg.InvalidPasswordError, DatabaseUnavailableError),
        (asyncpg.InvalidAuthorizationSpecificationError, DatabaseUnavailableError),
        (asyncpg.InvalidCatalogNameError, DatabaseUnavailableError),
        (asyncpg.CannotConnectNowError, DatabaseUnavailableError),
        (asyncpg.TooManyConnectionsError, DatabaseUnavailableError),
        (asyncpg.ConnectionDoesNotExistError, DatabaseUnavailableError),
        (asyncpg.AdminShutdownError, DatabaseUnavailableError),
        (asyncpg.ReadOnlySQLTransactionError, ReadOnlyDatabaseError),
        (asyncpg.LockNotAvailableError, DatabaseLockedError),
        (asyncpg.DeadlockDetectedError, DatabaseLockedError),
        (asyncpg.SerializationError, DatabaseLockedError),
        (asyncpg.UniqueViolationError, ConstraintError),
        (asyncpg.ForeignKeyViolationError, ConstraintError),
        (asyncpg.NotNullViolationError, ConstraintError),
        (asyncpg.CheckViolationError, ConstraintError),
        (asyncpg.InvalidTextRepresentationError, ConstraintError),
        (asyncpg.DiskFullError, DatabaseError),
        (asyncpg.UndefinedTableError, DatabaseError),
    ],
)
def test_driver_errors_map_by_sqlstate(
    driver_error: type[Exception], expected: type[Exception]
) -> None:
    mapped = translate_postgres_error(driver_error("boom"), "postgresql://h/d")

    assert type(mapped) is expected
    assert "postgresql://h/d" in str(mapped)


@pytest.mark.parametrize(
    ("driver_error", "expected"),
    [
        (ConnectionRefusedError("refused"), DatabaseUnavailableError),
        (TimeoutError(), DatabaseUnavailableError),
        (asyncpg.ClientConfigurationError("bad sslmode"), ConfigurationError),
        (asyncpg.InterfaceError("cannot call in a transaction"), DatabaseError),
    ],
)
def test_client_side_errors_map_too(driver_error: Exception, expected: type[Exception]) -> None:
    assert type(translate_postgres_error(driver_error, "x")) is expected
