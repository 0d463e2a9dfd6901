"""Bad input: a clear error, and no half-written target."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import asyncpg
import pytest

from adk_sqlite import PostgresStore, SessionService, SqliteStore, export_to_postgres
from adk_sqlite.errors import (
    ConfigurationError,
    ConstraintError,
    DatabaseUnavailableError,
    SchemaError,
    SchemaVersionError,
)
from support.postgres import password_refusing_server

from ._support import build_source, target_tables


async def _execute(dsn: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def test_an_unreachable_server_is_reported(source_path: Path) -> None:
    await build_source(source_path, sessions=1, events=1)

    with pytest.raises(DatabaseUnavailableError, match="cannot connect"):
        await export_to_postgres(source_path, "postgresql://u:secret@127.0.0.1:1/db")


async def test_a_wrong_password_is_reported_without_echoing_it(source_path: Path) -> None:
    await build_source(source_path, sessions=1, events=1)

    async with password_refusing_server() as port:
        with pytest.raises(DatabaseUnavailableError, match="password authentication") as excinfo:
            await export_to_postgres(source_path, f"postgresql://ada:hunter2@127.0.0.1:{port}/x")

    assert "hunter2" not in str(excinfo.value)


async def test_a_missing_source_is_reported_and_not_created(tmp_path: Path, dsn: str) -> None:
    missing = tmp_path / "missing.db"

    with pytest.raises(DatabaseUnavailableError, match=r"missing\.db"):
        await export_to_postgres(missing, dsn)

    assert not missing.exists()
    assert await target_tables(dsn) == set()


async def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path, dsn: str) -> None:
    garbage = tmp_path / "notes.db"
    garbage.write_bytes(b"these are not the pages you are looking for" * 200)

    with pytest.raises(DatabaseUnavailableError, match=r"notes\.db"):
        await export_to_postgres(garbage, dsn)

    assert await target_tables(dsn) == set()


async def test_a_sqlite_database_of_another_program_is_reported(tmp_path: Path, dsn: str) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE sessions (id TEXT)")
    connection.close()

    with pytest.raises(SchemaError, match="not an adk-sqlite database"):
        await export_to_postgres(other, dsn)

    assert await target_tables(dsn) == set()


async def test_other_table_names_are_reported(source_path: Path, dsn: str) -> None:
    async with SqliteStore(source_path, session_table="bot_sessions"):
        pass

    with pytest.raises(SchemaError, match="no adk-sqlite tables named 'adk_sessions'"):
        await export_to_postgres(source_path, dsn)


async def test_a_source_written_by_a_newer_adk_sqlite_is_refused(
    source_path: Path, dsn: str
) -> None:
    await build_source(source_path, sessions=1, events=1)
    with sqlite3.connect(source_path) as connection:
        connection.execute(
            "INSERT INTO adk_sqlite_schema (table_set, version) VALUES ('adk_sessions', 9)"
        )
    connection.close()

    with pytest.raises(SchemaVersionError, match="version 9"):
        await export_to_postgres(source_path, dsn)

    assert await target_tables(dsn) == set()


async def test_an_in_memory_source_is_refused(dsn: str) -> None:
    async with SqliteStore(":memory:") as store:
        with pytest.raises(ConfigurationError, match="in-memory"):
            await export_to_postgres(store, dsn)


async def test_target_tables_of_another_schema_are_refused_untouched(
    source_path: Path, dsn: str
) -> None:
    await build_source(source_path, sessions=1, events=1)
    await _execute(dsn, "CREATE TABLE adk_events (id INTEGER)")

    with pytest.raises(SchemaError, match="not created by adk-sqlite"):
        await export_to_postgres(source_path, dsn)

    assert await target_tables(dsn) == {"adk_events"}


async def test_target_tables_altered_since_they_were_created_are_refused(
    source_path: Path, dsn: str
) -> None:
    await build_source(source_path, sessions=1, events=1)
    async with PostgresStore(dsn):
        pass
    await _execute(dsn, "ALTER TABLE adk_events ALTER COLUMN content TYPE jsonb")

    with pytest.raises(SchemaError, match="content has type jsonb"):
        await export_to_postgres(source_path, dsn)

    connection = await asyncpg.connect(dsn)
    try:
        assert await connection.fetchval("SELECT count(*) FROM adk_sessions") == 0
    finally:
        await connection.close()


async def test_target_tables_of_a_newer_adk_sqlite_are_refused(source_path: Path, dsn: str) -> None:
    await build_source(source_path, sessions=1, events=1)
    async with PostgresStore(dsn):
        pass
    await _execute(dsn, "INSERT INTO adk_sqlite_schema VALUES ('adk_sessions', 5, now())")

    with pytest.raises(SchemaVersionError):
        await export_to_postgres(source_path, dsn)


async def _owned_source(path: Path, owners: list[object]) -> None:
    store = SqliteStore(path, owner_id_column="tenant_id")
    for n, owner in enumerate(owners):
        async with SessionService(store, owner_id=owner) as service:
            await service.create_session(app_name="a", user_id="u", session_id=f"s{n}")
        store = SqliteStore(path, owner_id_column="tenant_id")


async def test_owner_ids_the_target_refuses_are_named_and_nothing_is_written(
    source_path: Path, dsn: str
) -> None:
    await _owned_source(source_path, [1, 1, 2])
    await _execute(
        dsn, "CREATE TABLE tenants (id BIGINT PRIMARY KEY); INSERT INTO tenants VALUES (1)"
    )
    target = PostgresStore(dsn, owner_id_column="tenant_id BIGINT REFERENCES tenants(id)")

    try:
        with pytest.raises(ConstraintError, match=r"\('a', 'u', 's2'\) with owner id 2") as excinfo:
            await export_to_postgres(source_path, target)
    finally:
        await target.close()

    assert isinstance(excinfo.value.__cause__, asyncpg.ForeignKeyViolationError)
    assert await target_tables(dsn) == {"tenants"}


async def test_owner_ids_of_the_wrong_type_are_named(source_path: Path, dsn: str) -> None:
    await _owned_source(source_path, [3, "acme"])
    target = PostgresStore(dsn, owner_id_column="tenant_id BIGINT")

    try:
        with pytest.raises(ConstraintError, match="owner id 'acme'"):
            await export_to_postgres(source_path, target)
    finally:
        await target.close()

    assert await target_tables(dsn) == set()


async def test_a_target_owner_column_that_needs_owners_the_source_lacks(
    source_path: Path, dsn: str
) -> None:
    await build_source(source_path, sessions=2, events=1)
    target = PostgresStore(dsn, owner_id_column="tenant_id BIGINT NOT NULL")

    try:
        with pytest.raises(ConstraintError, match="owner id None"):
            await export_to_postgres(source_path, target)
    finally:
        await target.close()

    assert await target_tables(dsn) == set()


async def test_source_owners_need_an_owner_column_on_the_target(
    source_path: Path, dsn: str
) -> None:
    await _owned_source(source_path, [1])

    with pytest.raises(ConfigurationError, match="owner column"):
        await export_to_postgres(source_path, dsn)

    assert await target_tables(dsn) == set()


@pytest.mark.parametrize(
    "arguments",
    [
        {"batch_size": 0},
        {"batch_size": "10"},
        {"batch_size": True},
        {"app_name": 3},
    ],
)
async def test_bad_options_are_configuration_errors(
    source_path: Path, arguments: dict[str, object]
) -> None:
    with pytest.raises(ConfigurationError):
        await export_to_postgres(source_path, "postgresql://u@h/d", **arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("source", "target"),
    [(42, "postgresql://u@h/d"), ("x.db", 42), ("x.db", "mysql://u@h/d")],
)
async def test_sources_and_targets_of_the_wrong_kind_are_configuration_errors(
    source: object, target: object
) -> None:
    with pytest.raises(ConfigurationError):
        await export_to_postgres(source, target)  # type: ignore[arg-type]
