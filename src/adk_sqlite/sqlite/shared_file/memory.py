"""`SqliteStore`'s `adk_sqlite.memory_store.MemoryStore` methods: each one job."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from adk_sqlite.memory_records import MemoryRecord, MemoryWatermark, StoredMemory
from adk_sqlite.sqlite import memory_jobs
from adk_sqlite.sqlite.schema.memory_sql import MemoryStatements

__all__ = ["MemoryMethods"]


class MemoryMethods:
    """The memory operations of a store whose jobs reach a ``sqlite3.Connection``."""

    _memory_statements: MemoryStatements
    _read: Callable[[Callable[..., Any]], Awaitable[Any]]
    _write: Callable[[Callable[..., Any]], Awaitable[Any]]

    def _memory_job(self, job: Callable[..., Any], **arguments: Any) -> Callable[..., Any]:
        return functools.partial(job, statements=self._memory_statements, **arguments)

    @property
    def memory_table(self) -> str:
        """The name of the memories table (and the prefix of its index's tables)."""
        return self._memory_statements.table

    async def add_memories(
        self,
        *,
        app_name: str,
        user_id: str,
        memories: list[MemoryRecord],
        watermark: tuple[str, MemoryWatermark] | None = None,
    ) -> None:
        await self._write(
            self._memory_job(
                memory_jobs.add_memories,
                app_name=app_name,
                user_id=user_id,
                memories=memories,
                watermark=watermark,
            )
        )

    async def memory_watermark(
        self, *, app_name: str, user_id: str, session_id: str
    ) -> MemoryWatermark | None:
        mark: MemoryWatermark | None = await self._read(
            self._memory_job(
                memory_jobs.memory_watermark,
                app_name=app_name,
                user_id=user_id,
                session_id=session_id,
            )
        )
        return mark

    async def search_memories(
        self, *, app_name: str, user_id: str, terms: list[str], limit: int
    ) -> list[StoredMemory]:
        found: list[StoredMemory] = await self._read(
            self._memory_job(
                memory_jobs.search_memories,
                app_name=app_name,
                user_id=user_id,
                terms=terms,
                limit=limit,
            )
        )
        return found

    async def delete_memories(
        self,
        *,
        app_name: str,
        user_id: str,
        memory_id: str | None = None,
        session_id: str | None = None,
    ) -> int:
        deleted: int = await self._write(
            self._memory_job(
                memory_jobs.delete_memories,
                app_name=app_name,
                user_id=user_id,
                memory_id=memory_id,
                session_id=session_id,
            )
        )
        return deleted
