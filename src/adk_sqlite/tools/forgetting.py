"""Forgetting a user of an app: in a database file, a folder of session files, or PostgreSQL.

``forget_user`` picks the store from what it is given: a ``postgresql://`` URL opens a
`adk_sqlite.PostgresStore` (asyncpg is imported only then: the ``postgres`` extra), a
folder with a ``catalog.db`` a one-file-per-session store, anything else a database
file. Each store's ``forget_user`` does the work in one transaction.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3

from adk_sqlite.errors import ConfigurationError, SchemaError
from adk_sqlite.sqlite import SqliteStore
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.sqlite.table_sets import artifact_tables_in
from adk_sqlite.storage.forget_report import ForgetReport
from adk_sqlite.tools.inspection import find_table_set
from adk_sqlite.tools.session_folder import is_session_folder

__all__ = ["ForgetReport", "forget_user", "is_postgres_url"]

_POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+asyncpg://")


def is_postgres_url(database: str | os.PathLike[str]) -> bool:
    """Whether ``database`` is a PostgreSQL URL rather than a path."""
    return isinstance(database, str) and database.startswith(_POSTGRES_SCHEMES)


def forget_user(
    database: str | os.PathLike[str],
    *,
    app_name: str,
    user_id: str,
    table_set: str | None = None,
    busy_timeout: float = 30.0,
) -> ForgetReport:
    """Erases everything a database holds about one user of one app.

    Their sessions, events, ``user:`` state, artifacts, memories and set-aside events
    go in one transaction per layout (see `adk_sqlite.SqliteStore.forget_user` and the
    ``forget_user`` of `adk_sqlite.sqlite.PerSessionSqliteStore` and
    `adk_sqlite.PostgresStore`): for a file, freed pages zeroed and the WAL emptied; for
    a folder, the user's session files (live, archived, left over) removed too; for
    PostgreSQL, the touched tables vacuumed. A file or folder's own table names are
    used; PostgreSQL's are the defaults. Other users are untouched.

    Args:
        database: A database file, a folder of session files, or a ``postgresql://`` URL.
        table_set: For a file with several table sets, the one to use.

    Raises:
        SchemaError: Not an adk-sqlite database, or several table sets and none chosen,
            or several artifacts tables.
        DatabaseLockedError: Another writer held the lock beyond ``busy_timeout``.
        ImportError: A PostgreSQL URL without asyncpg installed (the message names the
            ``pip install``).
    """
    if is_postgres_url(database):
        if table_set is not None:
            raise ConfigurationError("table_set applies to a database file, not PostgreSQL")
        return asyncio.run(_forget_in_postgres(str(database), app_name, user_id))
    folder = is_session_folder(database)
    catalog = os.path.join(database, _psql.CATALOG_FILE) if folder else os.fspath(database)
    if folder and table_set is not None:
        raise ConfigurationError("table_set applies to a database file, not a folder")
    tables = find_table_set(catalog, table_set=table_set, busy_timeout=busy_timeout)
    with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True) as connection:
        artifact_tables = artifact_tables_in(connection)
    if len(artifact_tables) > 1:
        raise SchemaError(
            f"{database}: several artifacts tables ({', '.join(artifact_tables)}); forget"
            " works on a database with one"
        )
    artifact_table = artifact_tables[0] if artifact_tables else "adk_artifacts"

    # The same tables and options whichever layout the database has.
    open_store = SqliteStore.per_session_files if folder else SqliteStore

    async def run() -> ForgetReport:
        async with open_store(
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


async def _forget_in_postgres(url: str, app_name: str, user_id: str) -> ForgetReport:
    from adk_sqlite.postgres import PostgresStore

    async with PostgresStore(url) as store:
        return await store.forget_user(app_name=app_name, user_id=user_id)
