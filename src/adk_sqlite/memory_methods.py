"""`MemoryMethods`: the `MemoryStore` methods of every built-in store, written once.

Each method binds its arguments to one memory job of the store's backend
(`MemoryJobs`) and runs it as a read or a write. A store gives its jobs module,
binds its memory tables (`MemoryMethods._memory_job`) and says how a read and a
write reach the database (``_read``, ``_write``): on SQLite's shared file and on
PostgreSQL the job runs on a connection, in the one-file-per-session layout on the
folder, whose catalog holds the memories.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from adk_sqlite.memory_records import MemoryRecord, MemorySearch, MemoryWatermark, StoredMemory

__all__ = ["MemoryJobs", "MemoryMethods"]

# A job as the runners receive it: its arguments bound, the connection (or folder) to come.
Job = Callable[[Any], Any]


class MemoryJobs(Protocol):
    """A backend's memory jobs (its memory tables bound by `MemoryMethods._memory_job`)."""

    def add_memories(self, connection: Any, *args: Any, **kwargs: Any) -> object: ...

    def memory_watermark(self, connection: Any, *args: Any, **kwargs: Any) -> object: ...

    def search_memories(self, connection: Any, *args: Any, **kwargs: Any) -> object: ...

    def delete_memories(self, connection: Any, *args: Any, **kwargs: Any) -> object: ...


class MemoryMethods:
    """The `adk_sqlite.memory_store.MemoryStore` methods over a store's memory jobs.

    mypy cannot type "the job's result, awaited" for every backend, so the results
    are typed here, from the protocol, and checked by the contract suite.
    """

    _memory_jobs: MemoryJobs

    def _memory_job(self, job: Callable[..., Any], **arguments: Any) -> Job:
        """``job`` with the store's memory tables and ``arguments`` bound."""
        raise NotImplementedError

    def _read(self, job: Job) -> Awaitable[Any]:
        raise NotImplementedError

    def _write(self, job: Job) -> Awaitable[Any]:
        raise NotImplementedError

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
                self._memory_jobs.add_memories,
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
                self._memory_jobs.memory_watermark,
                app_name=app_name,
                user_id=user_id,
                session_id=session_id,
            )
        )
        return mark

    async def search_memories(
        self,
        *,
        app_name: str,
        user_id: str,
        terms: list[str],
        limit: int,
        vector: bytes | None = None,
        min_similarity: float | None = None,
    ) -> list[StoredMemory]:
        found: list[StoredMemory] = await self._read(
            self._memory_job(
                self._memory_jobs.search_memories,
                app_name=app_name,
                user_id=user_id,
                search=MemorySearch(
                    terms=terms, limit=limit, vector=vector, min_similarity=min_similarity
                ),
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
                self._memory_jobs.delete_memories,
                app_name=app_name,
                user_id=user_id,
                memory_id=memory_id,
                session_id=session_id,
            )
        )
        return deleted
