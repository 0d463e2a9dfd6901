"""Creating, migrating and checking a table set on PostgreSQL."""

from __future__ import annotations

import asyncpg

from adk_sqlite.errors import ConfigurationError, SchemaError
from adk_sqlite.postgres import sql as _sql
from adk_sqlite.postgres.statements import Statements
from adk_sqlite.storage.store_rules import foreign_table, newer_schema_version, owner_column_missing

__all__ = ["migrate"]


async def migrate(connection: asyncpg.Connection, statements: Statements) -> int:
    """Brings this store's tables to the current schema version; returns it.

    Runs in one transaction (a savepoint when the caller already opened one):
    the steps commit together with their version rows, and a failure leaves the
    database as it was. Concurrent migrations, from any process, take turns on
    an advisory lock. A table set written by a newer library is refused and left
    untouched, as are tables that exist without a recorded version or whose
    columns are not the ones this version expects.

    Raises:
        SchemaVersionError: The tables are at a newer schema version.
        SchemaError: The tables were not created by adk-sqlite, or were altered.
        ConfigurationError: The database is not UTF8, or the owner column is missing.
    """
    tables = statements.tables
    async with connection.transaction():
        encoding = await connection.fetchval(_sql.SELECT_SERVER_ENCODING)
        if encoding != "UTF8":
            raise ConfigurationError(
                f"the database's encoding is {encoding}; adk-sqlite needs a UTF8 database"
                " (CREATE DATABASE ... ENCODING 'UTF8') to store any text ADK hands it"
            )
        await connection.execute(_sql.LOCK_MIGRATIONS, _sql.MIGRATION_LOCK_KEY)
        if not await connection.fetchval(_sql.SELECT_TABLE_EXISTS, _sql.SCHEMA_TABLE):
            await connection.execute(_sql.CREATE_SCHEMA_TABLE)
        stored = await connection.fetchval(_sql.SELECT_SCHEMA_VERSION, tables.sessions)
        version = 0 if stored is None else int(stored)
        if version > _sql.SCHEMA_VERSION:
            raise newer_schema_version(tables.sessions, version, _sql.SCHEMA_VERSION)
        if version == 0:
            await _refuse_foreign_tables(connection, statements)
        for next_version in range(version + 1, _sql.SCHEMA_VERSION + 1):
            for statement in statements.migrations[next_version - 1]:
                await connection.execute(statement)
            await connection.execute(_sql.INSERT_SCHEMA_VERSION, tables.sessions, next_version)
        await _check_columns(connection, statements)
    return _sql.SCHEMA_VERSION


async def _refuse_foreign_tables(connection: asyncpg.Connection, statements: Statements) -> None:
    for name in statements.tables.by_role().values():
        if await connection.fetchval(_sql.SELECT_TABLE_EXISTS, name):
            raise foreign_table(name, elsewhere="another database or schema")


async def _check_columns(connection: asyncpg.Connection, statements: Statements) -> None:
    for role, name in statements.tables.by_role().items():
        rows = await connection.fetch(_sql.SELECT_TABLE_COLUMNS, name)
        found = {row[0]: row[1] for row in rows}
        for column, expected in _sql.EXPECTED_COLUMNS[role].items():
            if column not in found:
                raise SchemaError(
                    f"table {name!r} has no column {column!r}: it is not an adk-sqlite"
                    f" {role} table at schema version {_sql.SCHEMA_VERSION}"
                )
            if found[column] != expected:
                raise SchemaError(
                    f"column {name}.{column} has type {found[column]}, expected {expected}:"
                    f" the table is not an adk-sqlite {role} table at schema version"
                    f" {_sql.SCHEMA_VERSION}"
                )
        owner = statements.owner_column
        # The other way round is allowed, as on SQLite: a store opened without
        # owner_id_column reads every owner's sessions (an administrator's view).
        if role == "sessions" and owner is not None and owner.name not in found:
            raise owner_column_missing(name, owner.name)
