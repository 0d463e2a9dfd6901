"""`PostgresStore`'s `adk_sqlite.memory_store.MemoryStore` methods: each one job."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from adk_sqlite.memory_records import MemoryRecord, MemoryWatermark, StoredMemory
from adk_sqlite.postgres import memory_jobs

__all__ = ["MemoryMethods"]


class MemoryMethods:
    """The memory operations of a store whose jobs run on a pooled asyncpg connection."""

    _memories: memory_jobs.MemoryTables
    _run: Callable[[Callable[..., Awaitable[Any]]], Awaitable[Any]]

    @property
    def memory_table(self) -> str:
        """The name of the memories table (and the prefix of its other tables' names)."""
        return self._memories.statements.table

    async def add_memories(
        self,
        *,
        app_name: str,
        user_id: str,
        memories: list[MemoryRecord],
        watermark: tuple[str, MemoryWatermark] | None = None,
    ) -> None:
        await self._run(
            functools.partial(
                memory_jobs.add_memories,
                tables=self._memories,
                app_name=app_name,
                user_id=user_id,
                memories=memories,
                watermark=watermark,
            )
        )

    async def memory_watermark(
        self, *, app_name: str, user_id: str, session_id: str
    ) -> MemoryWatermark | None:
        mark: MemoryWatermark | None = await self._run(
            functools.partial(
                memory_jobs.memory_watermark,
                tables=self._memories,
                app_name=app_name,
                user_id=user_id,
                session_id=session_id,
            )
        )
        return mark

    async def search_memories(
        self, *, app_name: str, user_id: str, terms: list[str], limit: int
    ) -> list[StoredMemory]:
        found: list[StoredMemory] = await self._run(
            functools.partial(
                memory_jobs.search_memories,
                tables=self._memories,
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
        deleted: int = await self._run(
            functools.partial(
                memory_jobs.delete_memories,
                tables=self._memories,
                app_name=app_name,
                user_id=user_id,
                memory_id=memory_id,
                session_id=session_id,
            )
        )
        return deleted
