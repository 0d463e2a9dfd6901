"""The plain records a memory store takes and returns.

One memory is one event's text (or one entry given to ``add_memory``), scoped by app
and user, keyed by its session (``""`` for none) and event id. The memory service
converts between these and ADK's ``Event`` / ``MemoryEntry``; a store knows neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from adk_sqlite.errors import EmbeddingError

__all__ = [
    "DEFAULT_SEARCH_WINDOW",
    "RARE_WORD_LIMIT",
    "MemoryRecord",
    "MemoryRow",
    "MemorySearch",
    "MemoryWatermark",
    "StoredMemory",
    "memory_record",
    "memory_rows",
    "mixed_dimensions_error",
    "stored_memory",
]


_CANDIDATES_PER_RESULT = 4
_MIN_CANDIDATES = 200


class MemoryRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One memory to store.

    Attributes:
        session_id: The session it came from, or ``""``.
        event_id: The event's id (or the entry's own id); unique in its session.
        content: The ``types.Content`` as JSON.
        search_text: `adk_sqlite.codec.memory_text.searchable_text` of its text.
        custom_metadata: A JSON object.
        timestamp: Unix seconds.
        vector: Its embedding as little-endian float32s of unit length
            (`adk_sqlite.codec.vectors`), or None when the service has no embedder.
    """

    session_id: str
    event_id: str
    author: str | None
    timestamp: float
    content: str
    search_text: str
    custom_metadata: str
    vector: bytes | None = None


class StoredMemory(msgspec.Struct, frozen=True, kw_only=True):
    """A memory as a search returns it, with the store's id for it."""

    id: str
    record: MemoryRecord


DEFAULT_SEARCH_WINDOW = 5_000
"""How many of a user's newest memories a keyword search ranks by default."""

RARE_WORD_LIMIT = 1_000
"""A query word held by at most this many of the memories older than a search's window
is looked up in all of them: a memory holding a rare word is found at any age."""


class MemorySearch(msgspec.Struct, frozen=True, kw_only=True):
    """What a search asks a memory job for (see `MemoryStore.search_memories`)."""

    terms: list[str]
    limit: int
    vector: bytes | None = None
    min_similarity: float | None = None
    window: int | None = None
    """Rank, of the user's newest ``window`` memories, those that hold a query word, and
    of the older ones those that hold a rare word; None ranks all."""
    rare_word_limit: int = RARE_WORD_LIMIT
    """A word at most this many memories older than the window hold is rare."""

    @property
    def candidates(self) -> int:
        """How many memories the backend's text rank picks before the final order (most
        terms matched first), and the vector ranking reads: as many on every backend."""
        return max(self.limit * _CANDIDATES_PER_RESULT, _MIN_CANDIDATES)


class MemoryWatermark(msgspec.Struct, frozen=True):
    """How much of a session is indexed: its first ``events`` events, the last one's id."""

    events: int
    last_event_id: str


# What both backends' memory jobs do alike with these records.

MemoryRow = tuple[str, str, str, str, str | None, float, str, str, str]


def memory_rows(app_name: str, user_id: str, memories: list[MemoryRecord]) -> list[MemoryRow]:
    """The parameters of the memories' upsert, one tuple each, in the columns' order."""
    return [
        (
            app_name,
            user_id,
            memory.session_id,
            memory.event_id,
            memory.author,
            memory.timestamp,
            memory.content,
            memory.search_text,
            memory.custom_metadata,
        )
        for memory in memories
    ]


# A memory's stored columns, in `MemoryRecord`'s field order: every field but the vector.
_STORED_FIELDS = tuple(name for name in MemoryRecord.__struct_fields__ if name != "vector")


def memory_record(columns: Sequence[Any], vector: bytes | None = None) -> MemoryRecord:
    """A record from its stored columns, as read: session_id, event_id, author,
    timestamp, content, search_text and custom_metadata (`MemoryRecord`'s order)."""
    return MemoryRecord(**dict(zip(_STORED_FIELDS, columns, strict=True)), vector=vector)


def stored_memory(row: Sequence[Any], vector: bytes | None = None) -> StoredMemory:
    """A memory read back: ``row`` holds its id, then `MemoryRecord`'s fields in order."""
    memory_id, session_id, event_id, author, timestamp, content, search_text, metadata = row
    return StoredMemory(
        id=str(memory_id),
        record=MemoryRecord(
            session_id=str(session_id),
            event_id=str(event_id),
            author=None if author is None else str(author),
            timestamp=float(timestamp),
            content=str(content),
            search_text=str(search_text),
            custom_metadata=str(metadata),
            vector=vector,
        ),
    )


def mixed_dimensions_error(dimensions: Iterable[int], table: str) -> EmbeddingError:
    """The error a write raises when its vectors' dimensions differ (from the stored ones)."""
    listed = ", ".join(str(dimension) for dimension in sorted(dimensions))
    return EmbeddingError(
        f"embeddings of different dimensions ({listed}) cannot share one memory"
        f" index ({table}); use one embedding model per table"
    )
