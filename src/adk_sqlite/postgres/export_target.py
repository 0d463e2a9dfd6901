"""The PostgreSQL side of `adk_sqlite.transfer.export`: staging, bulk writes, digests.

Every function takes the one connection the export holds for its whole run
(staging tables are temporary, so they live on that connection).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from adk_sqlite.errors import ConstraintError, SchemaError
from adk_sqlite.postgres import export_sql as _export_sql
from adk_sqlite.postgres import sql as _sql
from adk_sqlite.postgres.artifact_jobs import _name_bytes, _name_text, use_lz4
from adk_sqlite.postgres.artifact_sql import render_artifact_statements
from adk_sqlite.postgres.connection import postgres_errors, translate_postgres_error
from adk_sqlite.postgres.memory_export import MemoryTarget
from adk_sqlite.postgres.schema import migrate
from adk_sqlite.postgres.statements import Statements, TableNames, quoted

__all__ = ["ArtifactTarget", "ExportStatements", "TargetTables"]

# (app_name, user_id, session_id)
SessionKey = tuple[str, str, str]
# app_name, user_id, id, state (JSON text), create_time_unix, update_time_unix,
# revision, owner value (None without an owner column)
SessionRow = tuple[str, str, str, str, float, float, int, Any]
# session key -> (event count, hex SHA-256 as `adk_sqlite.codec.event_digest` defines it)
Digests = dict[SessionKey, tuple[int, str]]
# (app_name, user_id, session_id, filename, version)
ArtifactVersionKey = tuple[str, str, str, str, int]


@dataclass(frozen=True, slots=True)
class ExportStatements:
    """The export's SQL with one target's table names and owner column filled in."""

    create_session_staging: str
    create_event_staging: str
    insert_staged_sessions: str
    insert_one_session: str
    update_staged_sessions: str
    insert_staged_events: str
    insert_one_event: str
    select_sessions: str
    select_app_states: str
    select_user_states: str
    upsert_app_state: str
    upsert_user_state: str
    select_event_digests: str
    select_event_counts: str
    session_staging_columns: tuple[str, ...]


def render_export_statements(statements: Statements) -> ExportStatements:
    tables = statements.tables
    owner = statements.owner_column
    owner_name = None if owner is None else quoted(owner.name)
    names = {
        "sessions": tables.sessions,
        "events": tables.events,
        "app_states": tables.app_states,
        "user_states": tables.user_states,
        "owner_as_value": "" if owner_name is None else f", {owner_name} AS owner_value",
        "owner_insert_column": "" if owner_name is None else f", {owner_name}",
        "owner_staged_value": "" if owner_name is None else ", owner_value",
        "owner_one_value": "" if owner_name is None else ", $8",
        "owner_update": "" if owner_name is None else f", {owner_name} = s.owner_value",
    }

    def render(template: str) -> str:
        return template.format_map(names)

    return ExportStatements(
        create_session_staging=render(_export_sql.CREATE_SESSION_STAGING),
        create_event_staging=render(_export_sql.CREATE_EVENT_STAGING),
        insert_staged_sessions=render(_export_sql.INSERT_STAGED_SESSIONS),
        insert_one_session=render(_export_sql.INSERT_ONE_SESSION),
        update_staged_sessions=render(_export_sql.UPDATE_STAGED_SESSIONS),
        insert_staged_events=render(_export_sql.INSERT_STAGED_EVENTS),
        insert_one_event=render(_export_sql.INSERT_ONE_EVENT),
        select_sessions=render(_export_sql.SELECT_SESSIONS),
        select_app_states=render(_export_sql.SELECT_APP_STATES),
        select_user_states=render(_export_sql.SELECT_USER_STATES),
        upsert_app_state=render(_export_sql.UPSERT_APP_STATE),
        upsert_user_state=render(_export_sql.UPSERT_USER_STATE),
        select_event_digests=render(_export_sql.SELECT_EVENT_DIGESTS),
        select_event_counts=render(_export_sql.SELECT_EVENT_COUNTS),
        session_staging_columns=_export_sql.SESSION_STAGING_COLUMNS
        + (() if owner is None else ("owner_value",)),
    )


def _inserted(status: str) -> int:
    # asyncpg returns the command tag, e.g. "INSERT 0 123" or "UPDATE 7".
    return int(status.rsplit(" ", 1)[-1])


class TargetTables:
    """The target's four tables, seen through the export's connection."""

    def __init__(self, connection: asyncpg.Connection, statements: Statements, where: str) -> None:
        self._connection = connection
        self._statements = statements
        self._sql = render_export_statements(statements)
        self._where = where

    @property
    def has_owner_column(self) -> bool:
        return self._statements.owner_column is not None

    @property
    def table_names(self) -> TableNames:
        return self._statements.tables

    def transaction(self) -> Any:
        """A transaction (a savepoint inside one) on the export's connection."""
        return self._connection.transaction()

    async def prepare(self) -> None:
        """Creates or migrates the tables and the staging tables (in the caller's transaction)."""
        await migrate(self._connection, self._statements)
        await self._connection.execute(_export_sql.DROP_STAGING)
        await self._connection.execute(self._sql.create_session_staging)
        await self._connection.execute(self._sql.create_event_staging)

    async def drop_staging(self) -> None:
        await self._connection.execute(_export_sql.DROP_STAGING)

    def memories(self, table: str) -> MemoryTarget:
        """The memories table ``table`` (a validated name: the store's ``memory_table``)."""
        return MemoryTarget(self._connection, table, self._where)

    def artifacts(self, table: str) -> ArtifactTarget:
        """The artifacts table ``table`` (a validated name: the store's ``artifact_table``)."""
        return ArtifactTarget(self._connection, table, self._where, self._bulk_or_explain)

    # --- reads ----------------------------------------------------------------------

    async def sessions(self, app_name: str | None) -> dict[SessionKey, SessionRow]:
        rows = await self._connection.fetch(self._sql.select_sessions, app_name)
        owner = self.has_owner_column
        return {
            (row[0], row[1], row[2]): (
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                row[5],
                row[6],
                row[7] if owner else None,
            )
            for row in rows
        }

    async def app_states(self, app_name: str | None) -> dict[str, str]:
        rows = await self._connection.fetch(self._sql.select_app_states, app_name)
        return {row[0]: row[1] for row in rows}

    async def user_states(self, app_name: str | None) -> dict[tuple[str, str], str]:
        rows = await self._connection.fetch(self._sql.select_user_states, app_name)
        return {(row[0], row[1]): row[2] for row in rows}

    async def event_counts(self, app_name: str | None) -> dict[SessionKey, int]:
        rows = await self._connection.fetch(self._sql.select_event_counts, app_name)
        return {(row[0], row[1], row[2]): int(row[3]) for row in rows}

    async def event_digests(self, app_name: str | None) -> Digests:
        rows = await self._connection.fetch(self._sql.select_event_digests, app_name)
        return {(row[0], row[1], row[2]): (int(row[3]), bytes(row[4]).hex()) for row in rows}

    # --- writes (inside the caller's transaction) ------------------------------------

    async def insert_sessions(self, rows: Sequence[SessionRow]) -> int:
        """Inserts sessions the target lacks; names the first one the target refuses.

        Raises:
            ConstraintError: A row was refused (typically its owner id); the
                message names the session. The caller's transaction must roll back.
        """
        if not rows:
            return 0
        return await self._bulk_or_explain(
            lambda: self._copy_sessions_then(self._sql.insert_staged_sessions, rows),
            rows,
            self._insert_one_session,
        )

    async def update_sessions(self, rows: Sequence[SessionRow]) -> int:
        """Overwrites these sessions' rows (state, times, revision, owner) with the source's."""
        if not rows:
            return 0
        return await self._bulk_or_explain(
            lambda: self._copy_sessions_then(self._sql.update_staged_sessions, rows),
            rows,
            None,
        )

    async def upsert_app_states(self, rows: Sequence[tuple[str, str, float]]) -> None:
        if rows:
            await self._connection.executemany(self._sql.upsert_app_state, rows)

    async def upsert_user_states(self, rows: Sequence[tuple[str, str, str, float]]) -> None:
        if rows:
            await self._connection.executemany(self._sql.upsert_user_state, rows)

    async def insert_events(self, records: Sequence[tuple[Any, ...]]) -> int:
        """COPYs staged event records in and inserts the ones the target lacks.

        ``records`` follow `_export_sql.EVENT_STAGING_COLUMNS` (the source
        ``seq`` first, the event's view columns last). Returns how many rows were new.
        """
        if not records:
            return 0
        return await self._bulk_or_explain(
            lambda: self._copy_events(records), records, self._insert_one_event
        )

    async def _copy_sessions_then(self, sql: str, rows: Sequence[SessionRow]) -> int:
        width = len(self._sql.session_staging_columns)
        await self._connection.copy_records_to_table(
            _export_sql.STAGED_SESSIONS,
            records=[row[:width] for row in rows],
            columns=self._sql.session_staging_columns,
        )
        return _inserted(await self._connection.execute(sql))

    async def _copy_events(self, records: Sequence[tuple[Any, ...]]) -> int:
        await self._connection.copy_records_to_table(
            _export_sql.STAGED_EVENTS,
            records=records,
            columns=_export_sql.EVENT_STAGING_COLUMNS,
        )
        return _inserted(await self._connection.execute(self._sql.insert_staged_events))

    async def _insert_one_session(self, row: Sequence[Any]) -> None:
        values = row if self.has_owner_column else row[:7]
        await self._connection.execute(self._sql.insert_one_session, *values)

    async def _insert_one_event(self, record: Sequence[Any]) -> None:
        await self._connection.execute(self._sql.insert_one_event, *record[1:])

    async def _bulk_or_explain(
        self,
        bulk: Callable[[], Awaitable[int]],
        rows: Sequence[Sequence[Any]],
        one: Callable[[Sequence[Any]], Awaitable[None]] | None,
    ) -> int:
        """Runs ``bulk`` in a savepoint; if the database refuses it, finds the row why.

        A bulk statement's error does not say which row it choked on; trying the
        rows one at a time (each in its own savepoint, all rolled back) does.
        """
        try:
            async with self._connection.transaction():
                return await bulk()
        # COPY encodes values client-side: a value its column's type cannot hold
        # raises TypeError or ValueError there rather than an asyncpg error.
        except (asyncpg.PostgresError, asyncpg.InterfaceError, TypeError, ValueError) as exc:
            bulk_error = exc
        if one is not None:
            for row in rows:
                try:
                    async with self._connection.transaction():
                        await one(row)
                        raise _RollbackProbeError
                except _RollbackProbeError:
                    continue
                except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    refused = translate_postgres_error(exc, self._where)
                    raise ConstraintError(
                        f"the target refused the row of session {self._describe_row(row)}:"
                        f" {refused}"
                    ) from exc
        if isinstance(bulk_error, TypeError | ValueError):
            raise ConstraintError(
                f"{self._where}: a value does not fit its column's type: {bulk_error}"
            ) from bulk_error
        with postgres_errors(self._where):
            raise bulk_error

    def _describe_row(self, row: Sequence[Any]) -> str:
        if len(row) == len(_export_sql.EVENT_STAGING_COLUMNS):
            return f"{tuple(row[2:5])!r}, event {row[1]!r}"
        owner = f" with owner id {row[7]!r}" if self.has_owner_column else ""
        return f"{tuple(row[:3])!r}{owner}"


class _RollbackProbeError(Exception):
    """Rolls back the savepoint of a row that was accepted: the probe writes nothing."""


class ArtifactTarget:
    """The target's artifacts table, seen through the export's connection.

    Rows cross as the source's: ``(app_name, user_id, session_id, filename, version,
    part, data, size, mime_type, custom_metadata, create_time)``, the name as text
    (stored as ``bytea``, as `adk_sqlite.postgres.artifact_jobs` stores it).
    """

    def __init__(
        self,
        connection: asyncpg.Connection,
        table: str,
        where: str,
        bulk_or_explain: Callable[
            [Callable[[], Awaitable[int]], Sequence[Sequence[Any]], None], Awaitable[int]
        ],
    ) -> None:
        self._connection = connection
        self._where = where
        self._bulk_or_explain = bulk_or_explain
        self.table = table
        self._statements = render_artifact_statements(table)

        def render(template: str) -> str:
            return template.format(artifacts=table)

        self._create_staging = render(_export_sql.CREATE_ARTIFACT_STAGING)
        self._insert_staged = render(_export_sql.INSERT_STAGED_ARTIFACTS)
        self._select_versions = render(_export_sql.SELECT_ARTIFACT_VERSIONS)
        self._select_digests = render(_export_sql.SELECT_ARTIFACT_DIGESTS)

    async def prepare(self) -> None:
        """Creates the table as a store would, checks it, and stages (caller's transaction).

        Raises:
            SchemaError: A table of that name exists with other columns.
        """
        connection = self._connection
        # A store creates it under the migrations' lock too: concurrent creations
        # of one table can fail on the catalog.
        await connection.execute(_sql.LOCK_MIGRATIONS, _sql.MIGRATION_LOCK_KEY)
        await connection.execute(self._statements.create_table)
        rows = await connection.fetch(_export_sql.SELECT_COLUMN_NAMES, self.table)
        columns = tuple(row[0] for row in rows)
        if columns != _export_sql.ARTIFACT_TABLE_COLUMNS:
            raise SchemaError(
                f"{self._where}: table {self.table!r} is not an adk-sqlite artifacts"
                f" table (its columns are {', '.join(columns)})"
            )
        await connection.execute(self._statements.create_pieces)
        await use_lz4(connection, self._statements)
        await connection.execute(self._create_staging)

    async def versions(self, app_name: str | None) -> dict[ArtifactVersionKey, tuple[int, float]]:
        """Every version's (size, create time), by key."""
        rows = await self._connection.fetch(self._select_versions, app_name)
        return {
            (row[0], row[1], row[2], _name_text(row[3]), row[4]): (row[5], row[6]) for row in rows
        }

    async def digests(
        self, app_name: str | None
    ) -> dict[ArtifactVersionKey, tuple[int, str | None, str]]:
        """Every version's size, SHA-256 of its bytes (None without) and of its metadata."""
        rows = await self._connection.fetch(self._select_digests, app_name)
        return {
            (row[0], row[1], row[2], _name_text(row[3]), row[4]): (
                row[5],
                None if row[6] is None else bytes(row[6]).hex(),
                bytes(row[7]).hex(),
            )
            for row in rows
        }

    async def insert(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """COPYs the rows in and inserts the versions the target lacks; returns how many."""
        if not rows:
            return 0
        records = [(*row[:3], _name_bytes(row[3]), *row[4:]) for row in rows]
        return await self._bulk_or_explain(lambda: self._copy(records), records, None)

    async def _copy(self, records: Sequence[tuple[Any, ...]]) -> int:
        await self._connection.copy_records_to_table(
            _export_sql.STAGED_ARTIFACTS,
            records=records,
            columns=_export_sql.ARTIFACT_STAGING_COLUMNS,
        )
        return _inserted(await self._connection.execute(self._insert_staged))
