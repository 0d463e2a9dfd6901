"""The memories side of an export's PostgreSQL target: what it holds, and writing to it.

Part of the backend's internal API for `adk_sqlite.transfer.export_memories`. Writes
go through the store's own memory job (`adk_sqlite.postgres.memory_jobs.add_memories`:
the tables made under the migrations' lock, the upsert keyed by app, user, session and
event, the vector beside it), on the export's connection, inside the caller's
transaction. Reads give each memory's columns as stored, its vector packed as the
SQLite side stores it (little-endian float32), so the two sides compare byte for byte.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import asyncpg

from adk_sqlite.identifiers import validate_identifier
from adk_sqlite.memory_records import MemoryRecord, MemoryWatermark
from adk_sqlite.postgres import memory_jobs
from adk_sqlite.postgres.artifact_sql import TABLE_EXISTS
from adk_sqlite.postgres.connection import postgres_errors
from adk_sqlite.postgres.memory_sql import render_memory_statements
from adk_sqlite.postgres.statements import quoted

__all__ = ["MemoryKey", "MemoryTarget", "StoredRow"]

# (app_name, user_id, session_id, event_id)
MemoryKey = tuple[str, str, str, str]
# (app_name, user_id, session_id)
SessionKey = tuple[str, str, str]
# author, timestamp, content, search_text, custom_metadata, vector (float32 LE) or None
StoredRow = tuple[str | None, float, str, str, str, bytes | None]

_IN_SCOPE = "($1::text IS NULL OR m.app_name = $1)"
_SELECT_MEMORIES = (
    "SELECT m.app_name, m.user_id, m.session_id, m.event_id, m.author, m.timestamp, m.content,"
    " m.search_text, m.custom_metadata, {vector} FROM {memories} AS m {join} WHERE " + _IN_SCOPE
)
_JOIN_VECTORS = "LEFT JOIN {vectors} AS v ON v.id = m.id"
_SELECT_WATERMARKS = (
    "SELECT m.app_name, m.user_id, m.session_id, m.indexed_events, m.last_event_id"
    " FROM {sessions} AS m WHERE " + _IN_SCOPE
)


def packed(vector: Sequence[float] | None) -> bytes | None:
    """A ``real[]`` as the little-endian float32 bytes SQLite stores (exact: float32 both)."""
    if vector is None:
        return None
    return struct.pack(f"<{len(vector)}f", *vector)


class MemoryTarget:
    """One memories table of the target, seen through the export's connection."""

    def __init__(self, connection: asyncpg.Connection, table: str, where: str) -> None:
        self._connection = connection
        self._where = where
        self._tables = memory_jobs.MemoryTables(
            render_memory_statements(validate_identifier(table, option="memory_table"))
        )
        self._names = {
            "memories": table,
            "sessions": f"{table}_sessions",
            "vectors": f"{table}_vectors",
        }

    async def _exists(self, role: str) -> bool:
        return bool(await self._connection.fetchval(TABLE_EXISTS, self._names[role]))

    async def memories(self, app_name: str | None) -> dict[MemoryKey, StoredRow]:
        """Every memory of the scope (all apps for None), by key."""
        if not await self._exists("memories"):
            return {}
        with_vectors = await self._exists("vectors")
        sql = _SELECT_MEMORIES.format(
            memories=quoted(self._names["memories"]),
            vector="v.vector" if with_vectors else "NULL::real[]",
            join=_JOIN_VECTORS.format(vectors=quoted(self._names["vectors"]))
            if with_vectors
            else "",
        )
        with postgres_errors(self._where):
            rows = await self._connection.fetch(sql, app_name)
        return {tuple(row[:4]): _stored(row) for row in rows}

    async def watermarks(self, app_name: str | None) -> dict[SessionKey, MemoryWatermark]:
        """How far each session of the scope is indexed, by (app, user, session)."""
        if not await self._exists("sessions"):
            return {}
        sql = _SELECT_WATERMARKS.format(sessions=quoted(self._names["sessions"]))
        with postgres_errors(self._where):
            rows = await self._connection.fetch(sql, app_name)
        return {
            (app, user, session): MemoryWatermark(events, last)
            for app, user, session, events, last in rows
        }

    async def add(
        self,
        app_name: str,
        user_id: str,
        memories: list[MemoryRecord],
        watermark: tuple[str, MemoryWatermark] | None,
    ) -> None:
        """Upserts memories of one user (and a session's watermark), through the store's job."""
        with postgres_errors(self._where):
            await memory_jobs.add_memories(
                self._connection, self._tables, app_name, user_id, memories, watermark
            )


def _stored(row: Any) -> StoredRow:
    return (row[4], row[5], row[6], row[7], row[8], packed(row[9]))
