"""Forgetting a user of an app in a shared SQLite file: one write transaction.

Everything the store holds about the user goes together: their sessions and events,
their ``user:`` state, their artifacts (every version, user- and session-scoped), their
memories and the memory index's progress, and events ``check --repair`` set aside. The
job runs with ``secure_delete`` on, so the freed pages are overwritten with zeros, and
rebuilds the memory index's segments, which keep deleted words until they are merged;
the store then empties the WAL, so the user's bytes are left in neither file.
"""

from __future__ import annotations

import sqlite3

from adk_sqlite.sqlite import memory_jobs
from adk_sqlite.sqlite.schema.artifact_sql import ArtifactStatements
from adk_sqlite.sqlite.schema.memory_sql import MemoryStatements
from adk_sqlite.sqlite.schema.statements import Statements
from adk_sqlite.storage.forget_report import ForgetReport
from adk_sqlite.storage.store_statements import quoted

__all__ = ["ForgetReport", "forget_user"]

_TABLE_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
_OF_USER = "DELETE FROM {table} WHERE app_name = ? AND user_id = ?"


def _delete_of_user(
    connection: sqlite3.Connection, table: str, scope: tuple[str, str], *, if_exists: bool
) -> int:
    if if_exists and connection.execute(_TABLE_EXISTS, (table,)).fetchone() is None:
        return 0
    return connection.execute(_OF_USER.format(table=quoted(table)), scope).rowcount


def forget_user(
    connection: sqlite3.Connection,
    statements: Statements,
    artifact_statements: ArtifactStatements,
    memory_statements: MemoryStatements,
    damaged_events_table: str,
    app_name: str,
    user_id: str,
) -> ForgetReport:
    """Deletes every row of the user in the app, in the caller's write transaction."""
    scope = (app_name, user_id)
    tables = statements.tables
    connection.execute("PRAGMA secure_delete = ON")
    try:
        events = _delete_of_user(connection, tables.events, scope, if_exists=False)
        sessions = _delete_of_user(connection, tables.sessions, scope, if_exists=False)
        user_state = _delete_of_user(connection, tables.user_states, scope, if_exists=False)
        artifacts = _delete_of_user(connection, artifact_statements.table, scope, if_exists=True)
        damaged = _delete_of_user(connection, damaged_events_table, scope, if_exists=True)
        memories = memory_jobs.delete_memories(
            connection, memory_statements, app_name, user_id, None, None
        )
        if memories:
            memory_jobs.optimize_index(connection, memory_statements)
    finally:
        connection.execute("PRAGMA secure_delete = OFF")
    return ForgetReport(
        sessions=sessions,
        events=events,
        user_state=user_state,
        artifact_versions=artifacts,
        memories=memories,
        damaged_events=damaged,
    )
