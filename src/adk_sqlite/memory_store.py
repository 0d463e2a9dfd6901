"""`MemoryStore`: what `adk_sqlite.MemoryService` needs of a store.

A store keeps memories per app and user, finds them by the terms of a query (its own
full-text index, ranked), and remembers per session how many of its events are indexed,
so adding a session again costs only its new events.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from adk_sqlite.memory_records import MemoryRecord, MemoryWatermark, StoredMemory

__all__ = ["MemoryStore"]


@runtime_checkable
class MemoryStore(Protocol):
    """Memories, keyed by app, user, session id and event id."""

    async def add_memories(
        self,
        *,
        app_name: str,
        user_id: str,
        memories: list[MemoryRecord],
        watermark: tuple[str, MemoryWatermark] | None = None,
    ) -> None:
        """Stores ``memories`` in one transaction, replacing any with the same key.

        ``watermark``, (session id, watermark), is recorded in the same transaction.
        A memory's ``vector`` is stored with it; vectors of a dimension other than the
        stored ones raise `adk_sqlite.EmbeddingError` and nothing is written.
        """
        ...

    async def memory_watermark(
        self, *, app_name: str, user_id: str, session_id: str
    ) -> MemoryWatermark | None:
        """How much of the session is indexed (None: nothing recorded)."""
        ...

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
        """Memories holding any of ``terms`` (words of
        `adk_sqlite.codec.memory_text`), best first: most terms matched, then the
        backend's text rank, then newest. At most ``limit``.

        With ``vector`` (`adk_sqlite.codec.vectors`), a hybrid search: the user's
        memories nearest to it (cosine similarity at least ``min_similarity``) are
        ranked as well, and the two rankings fused
        (`adk_sqlite.storage.memory_ranking.fuse_rankings`). Memories stored without a vector
        are found by their words only.

        With ``window``, the text rank considers, of the user's newest ``window``
        memories, those that hold a term, and of the older ones those holding a term that at most
        `adk_sqlite.memory_records.RARE_WORD_LIMIT` of them hold; None ranks them all."""
        ...

    async def delete_memories(
        self,
        *,
        app_name: str,
        user_id: str,
        memory_id: str | None = None,
        session_id: str | None = None,
    ) -> int:
        """Removes one memory by id, a session's, or (neither given) all of the user's
        in the app; returns how many."""
        ...
