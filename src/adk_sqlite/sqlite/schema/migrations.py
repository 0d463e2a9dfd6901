"""Creating and migrating a store's tables on SQLite, shared by both layouts.

`MIGRATIONS` in `adk_sqlite.sqlite.schema.sql` is append-only and its index is the
schema version; each step commits together with its version row, so a crash leaves a
table set at one version or the next, never between. A table set written by a newer
library is refused and left untouched.
"""

from __future__ import annotations

import sqlite3

from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.sqlite.schema.statements import Statements
from adk_sqlite.storage.store_rules import foreign_table, newer_schema_version, owner_column_missing

__all__ = ["check_owner_column", "migrate"]


def migrate(connection: sqlite3.Connection, statements: Statements) -> int:
    """Brings this store's tables to the current schema version; returns it.

    Each migration step and its version row commit together. A table set
    written by a newer library is refused and left untouched.
    """
    # Nearly every open finds the tables current: that is learnt without the
    # write lock, so another process appending without pause cannot starve an
    # open (SQLite's busy handler polls, and may miss every gap between commits).
    if _recorded_version(connection, statements) != _sql.SCHEMA_VERSION:
        _migrate_locked(connection, statements)
    check_owner_column(connection, statements)
    return _sql.SCHEMA_VERSION


def _recorded_version(connection: sqlite3.Connection, statements: Statements) -> int:
    if connection.execute(_sql.SELECT_TABLE_EXISTS, (_sql.SCHEMA_TABLE,)).fetchone() is None:
        return 0
    row = connection.execute(_sql.SELECT_SCHEMA_VERSION, (statements.tables.sessions,)).fetchone()
    return 0 if row is None or row[0] is None else int(row[0])


def _migrate_locked(connection: sqlite3.Connection, statements: Statements) -> None:
    tables = statements.tables
    connection.execute(_sql.BEGIN_WRITE)
    try:
        connection.execute(_sql.CREATE_SCHEMA_TABLE)
        version = _recorded_version(connection, statements)  # again, under the lock
        if version > _sql.SCHEMA_VERSION:
            raise newer_schema_version(tables.sessions, version, _sql.SCHEMA_VERSION)
        if version == 0:
            _refuse_foreign_tables(connection, statements)
        for next_version in range(version + 1, _sql.SCHEMA_VERSION + 1):
            for statement in statements.migrations[next_version - 1]:
                connection.execute(statement)
            connection.execute(_sql.INSERT_SCHEMA_VERSION, (tables.sessions, next_version))
        connection.execute(_sql.COMMIT)
    except BaseException:
        if connection.in_transaction:
            connection.execute(_sql.ROLLBACK)
        raise


def _refuse_foreign_tables(connection: sqlite3.Connection, statements: Statements) -> None:
    tables = statements.tables
    for name in (tables.sessions, tables.events, tables.app_states, tables.user_states):
        if connection.execute(_sql.SELECT_TABLE_EXISTS, (name,)).fetchone():
            raise foreign_table(name, elsewhere="another database file")


def check_owner_column(connection: sqlite3.Connection, statements: Statements) -> None:
    columns = {
        row[0]
        for row in connection.execute(_sql.SELECT_TABLE_COLUMNS, (statements.tables.sessions,))
    }
    owner = statements.owner_column
    # The other way round is allowed: a store opened without owner_id_column
    # reads every owner's sessions (an administrator's view); creating one then
    # fails on the column's own NOT NULL, if it has one.
    if owner is not None and owner.name not in columns:
        raise owner_column_missing(statements.tables.sessions, owner.name)
