"""`MemoryMethods`: the `MemoryStore` methods of every built-in store, written once.

Each method binds its arguments to one memory job of the store's backend
(`MemoryJobs`) and runs it as a read or a write. A store gives its jobs module and
its memory tables (``_memories``, which the jobs take after the connection) and
says how a read and a write reach the database (``_read``, ``_write``): on SQLite's
shared file and on PostgreSQL the job runs on a connection, in the
one-file-per-session layout on the folder, whose catalog holds the memories.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from adk_sqlite.memory_records import MemoryRecord, MemorySearch, MemoryWatermark, StoredMemory
from adk_sqlite.storage.store_jobs import Job, bind

__all__ = ["MemoryJobs", "MemoryMethods"]

P = ParamSpec("P")
R = TypeVar("R")


class MemoryJobs(Protocol):
    """A backend's memory jobs: ``job(connection, tables, app_name, user_id, ...)``.

    The connection is a folder in the one-file-per-session layout; ``tables`` is
    what the backend knows of its memory tables (``MemoryMethods._memories``).
    """

    def add_memories(
        self,
        connection: Any,
        tables: Any,
        app_name: str,
        user_id: str,
        memories: list[MemoryRecord],
        watermark: tuple[str, MemoryWatermark] | None,
        /,
    ) -> object: ...

    def memory_watermark(
        self, connection: Any, tables: Any, app_name: str, user_id: str, session_id: str, /
    ) -> object: ...

    def search_memories(
        self, connection: Any, tables: Any, app_name: str, user_id: str, search: MemorySearch, /
    ) -> object: ...

    def delete_memories(
        self,
        connection: Any,
        tables: Any,
        app_name: str,
        user_id: str,
        memory_id: str | None,
        session_id: str | None,
        /,
    ) -> object: ...


class MemoryMethods:
    """The `adk_sqlite.memory_store.MemoryStore` methods over a store's memory jobs.

    mypy cannot type "the job's result, awaited" for every backend, so the results
    are typed here, from the protocol, and checked by the contract suite.
    """

    _memory_jobs: MemoryJobs
    # The memory tables as the backend's jobs take them: their statements, or on
    # PostgreSQL the record that also remembers whether the tables exist.
    _memories: object

    def _read(self, job: Job) -> Awaitable[Any]:
        """Runs a job that only reads; a backend may run it where writes do not queue."""
        raise NotImplementedError

    def _write(self, job: Job) -> Awaitable[Any]:
        """Runs a job that writes, inside one write transaction."""
        raise NotImplementedError

    def _write_sized(self, job: Job, size: int) -> Awaitable[Any]:
        """`_write` of a job that writes about ``size`` bytes: a backend that writes on the
        event loop's thread moves a large one off it (the shared SQLite file)."""
        return self._write(job)

    def _write_long(self, job: Job) -> Awaitable[Any]:
        """`_write` of a job whose work grows with what it removes (a session's events,
        an artifact's versions, memories): a backend that writes on the event loop's
        thread runs it elsewhere, however little it turns out to remove."""
        return self._write(job)

    def _memory_job(
        self, job: Callable[Concatenate[Any, Any, P], R], /, *args: P.args, **kwargs: P.kwargs
    ) -> Callable[[Any], R]:
        """``job`` with the store's memory tables and the other arguments bound."""
        return bind(job, self._memories, *args, **kwargs)

    async def add_memories(
        self,
        *,
        app_name: str,
        user_id: str,
        memories: list[MemoryRecord],
        watermark: tuple[str, MemoryWatermark] | None = None,
    ) -> None:
        # A whole session's memories are thousands of rows and index entries at once.
        size = sum(
            len(memory.content) + len(memory.search_text) + len(memory.vector or b"")
            for memory in memories
        )
        await self._write_sized(
            self._memory_job(
                self._memory_jobs.add_memories, app_name, user_id, memories, watermark
            ),
            size,
        )

    async def delete_memories(
        self,
        *,
        app_name: str,
        user_id: str,
        memory_id: str | None = None,
        session_id: str | None = None,
    ) -> int:
        job = self._memory_job(
            self._memory_jobs.delete_memories, app_name, user_id, memory_id, session_id
        )
        deleted: int = await self._write_long(job)
        return deleted

    async def memory_watermark(
        self, *, app_name: str, user_id: str, session_id: str
    ) -> MemoryWatermark | None:
        mark: MemoryWatermark | None = await self._read(
            self._memory_job(self._memory_jobs.memory_watermark, app_name, user_id, session_id)
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
        window: int | None = None,
    ) -> list[StoredMemory]:
        search = MemorySearch(
            terms=terms, limit=limit, vector=vector, min_similarity=min_similarity, window=window
        )
        found: list[StoredMemory] = await self._read(
            self._memory_job(self._memory_jobs.search_memories, app_name, user_id, search)
        )
        return found
