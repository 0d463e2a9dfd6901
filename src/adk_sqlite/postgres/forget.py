"""Forgetting a user of an app in PostgreSQL (`PostgresStore.forget_user`): one transaction.

The user's sessions are locked and deleted first, so an append in flight either
commits before (and its rows go too) or finds its session gone; then their events
(counted; the sessions' foreign key would cascade them anyway), their ``user:`` state,
every artifact version (user- and session-scoped), their memories (with their
vectors, ``{memories}_vectors``, whose foreign key cascades, deleted explicitly too)
and the memory index's watermarks. Sessions are the user's whatever their owner
column says: ``user:`` state, artifacts and memories are kept per (app, user), not per
owner, so the user is forgotten for every owner. Tables a store creates on first use
(artifacts, memories) are skipped when absent. ``app:`` state and other users'
rows are untouched.

PostgreSQL's MVCC keeps deleted rows as dead tuples in the tables' pages until a
VACUUM reclaims them; `vacuum_tables` runs ``VACUUM`` on every table touched, after
the commit (it cannot run inside a transaction), so no page of those tables (nor of
their TOAST tables and indexes) still holds a tuple of the user. Freed space is not
overwritten with zeros, and the write-ahead log, archived WAL, replicas and backups
keep what they hold until they are rotated: erasing those is the operator's part.
"""

from __future__ import annotations

import asyncpg

from adk_sqlite.postgres.artifact_sql import TABLE_EXISTS, ArtifactStatements
from adk_sqlite.postgres.memory_sql import MemoryStatements
from adk_sqlite.postgres.statements import Statements
from adk_sqlite.storage.forget_report import ForgetReport, forget_report, user_tables
from adk_sqlite.storage.store_statements import counted, quoted

__all__ = ["forget_user", "vacuum_tables"]

_SCOPE = "app_name = $1 AND user_id = $2"
_LOCK_SESSIONS = 'SELECT session_key FROM "{sessions}" WHERE ' + _SCOPE + " FOR UPDATE"


_DELETE_OF_USER = counted("DELETE FROM {table} WHERE " + _SCOPE)
_DELETE_VECTORS_OF_USER = (
    "DELETE FROM {vectors} WHERE id IN (SELECT id FROM {memories} WHERE " + _SCOPE + ")"
)
_VACUUM = "VACUUM {table}"


async def forget_user(
    connection: asyncpg.Connection,
    statements: Statements,
    artifacts: ArtifactStatements,
    memories: MemoryStatements,
    app_name: str,
    user_id: str,
) -> tuple[ForgetReport, list[str]]:
    """Deletes every row of the user in the app in one transaction.

    Returns:
        The report, and the tables the transaction deleted from (for `vacuum_tables`).
    """
    scope = (app_name, user_id)
    counts: dict[str, int] = {}
    touched: list[str] = []
    async with connection.transaction():
        await connection.execute(_LOCK_SESSIONS.format(sessions=statements.tables.sessions), *scope)
        for kind, table, created_on_first_use in user_tables(statements.tables, artifacts.table):
            if created_on_first_use and not await connection.fetchval(TABLE_EXISTS, table):
                continue
            delete = _DELETE_OF_USER.format(table=quoted(table))
            counts[kind] = await connection.fetchval(delete, *scope)
            touched.append(quoted(table))
        if await connection.fetchval(TABLE_EXISTS, memories.table):
            vectors = f"{memories.table}_vectors"
            if await connection.fetchval(TABLE_EXISTS, vectors):
                await connection.execute(
                    _DELETE_VECTORS_OF_USER.format(
                        vectors=quoted(vectors), memories=quoted(memories.table)
                    ),
                    *scope,
                )
                touched.append(quoted(vectors))
            await connection.execute(memories.delete_watermarks_of_user, *scope)
            counts["memories"] = await connection.fetchval(memories.delete_of_user, *scope)
            touched += [quoted(memories.table), quoted(f"{memories.table}_sessions")]
    return forget_report(counts), touched


async def vacuum_tables(connection: asyncpg.Connection, tables: list[str]) -> None:
    """``VACUUM`` each (quoted) table, outside any transaction: dead tuples are reclaimed.

    A table the connection's role does not own is skipped by PostgreSQL with a warning.
    """
    for table in tables:
        await connection.execute(_VACUUM.format(table=table))
