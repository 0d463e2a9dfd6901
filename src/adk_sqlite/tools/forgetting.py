"""Forgetting a user of an app in a database file (`SqliteStore.forget_user`)."""

from __future__ import annotations

import asyncio
import os
import sqlite3

from adk_sqlite.errors import SchemaError
from adk_sqlite.sqlite import SqliteStore
from adk_sqlite.sqlite.shared_file.forget import ForgetReport
from adk_sqlite.sqlite.table_sets import artifact_tables_in
from adk_sqlite.tools.inspection import find_table_set

__all__ = ["ForgetReport", "forget_user"]


def forget_user(
    database: str | os.PathLike[str],
    *,
    app_name: str,
    user_id: str,
    table_set: str | None = None,
    busy_timeout: float = 30.0,
) -> ForgetReport:
    """Erases everything a database file holds about one user of one app.

    Their sessions, events, ``user:`` state, artifacts, memories and set-aside events
    go in one transaction, with freed pages zeroed and the WAL emptied afterwards (see
    `adk_sqlite.SqliteStore.forget_user`). The file's own table names are used (its
    recorded table set, its artifacts table); other users are untouched.

    Raises:
        SchemaError: Not an adk-sqlite database, or several table sets and none chosen,
            or several artifacts tables.
        DatabaseLockedError: Another writer held the lock beyond ``busy_timeout``.
    """
    tables = find_table_set(database, table_set=table_set, busy_timeout=busy_timeout)
    with sqlite3.connect(f"file:{os.fspath(database)}?mode=ro", uri=True) as connection:
        artifact_tables = artifact_tables_in(connection)
    if len(artifact_tables) > 1:
        raise SchemaError(
            f"{database}: several artifacts tables ({', '.join(artifact_tables)}); forget"
            " works on a file with one"
        )
    artifact_table = artifact_tables[0] if artifact_tables else "adk_artifacts"

    async def run() -> ForgetReport:
        async with SqliteStore(
            database,
            session_table=tables.sessions,
            events_table=tables.events,
            app_state_table=tables.app_states,
            user_state_table=tables.user_states,
            busy_timeout=busy_timeout,
            artifact_table=artifact_table,
        ) as store:
            return await store.forget_user(app_name=app_name, user_id=user_id)

    return asyncio.run(run())
