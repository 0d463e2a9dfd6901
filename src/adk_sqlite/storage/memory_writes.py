"""What one ``add_memories`` writes, as both backends' statements take it. Pure.

Both backends upsert the memories' rows (`adk_sqlite.memory_records.memory_rows`),
delete the old vector of each memory stored again without one (its text may have
changed), and upsert the others' vectors: `MemoryWrite` holds those parameters, each
statement's in its order (a memory's key, which the vector statements take first, is
``(app_name, user_id, session_id, event_id)``). `watermark_row` is the parameters of
the session's watermark.
"""

from __future__ import annotations

from adk_sqlite.memory_records import (
    MemoryRecord,
    MemoryRow,
    MemoryWatermark,
    memory_rows,
    mixed_dimensions_error,
)

__all__ = ["MemoryKey", "MemoryWrite", "WatermarkRow", "watermark_row"]

MemoryKey = tuple[str, str, str, str]
WatermarkRow = tuple[str, str, str, int, str]


class MemoryWrite:
    """The parameters of one ``add_memories``'s statements for its memories.

    Attributes:
        rows: The memories' upsert rows.
        without_vector: The keys of the memories stored without a vector.
        vectors: The others' keys, each with its vector.
    """

    __slots__ = ("rows", "vectors", "without_vector")

    def __init__(self, app_name: str, user_id: str, memories: list[MemoryRecord]) -> None:
        self.rows: list[MemoryRow] = memory_rows(app_name, user_id, memories)
        self.without_vector: list[MemoryKey] = []
        self.vectors: list[tuple[MemoryKey, bytes]] = []
        for memory in memories:
            key = (app_name, user_id, memory.session_id, memory.event_id)
            if memory.vector is None:
                self.without_vector.append(key)
            else:
                self.vectors.append((key, memory.vector))

    def vector_size(self, stored: int | None, table: str) -> int | None:
        """The byte size of every vector, these and the stored ones (of ``stored``
        bytes, None when there are none); None when there is no vector at all.

        Raises:
            EmbeddingError: The sizes differ (checked before the vectors are written).
        """
        sizes = {len(vector) for _, vector in self.vectors}
        if stored is not None:
            sizes.add(stored)
        if len(sizes) > 1:
            raise mixed_dimensions_error({size // 4 for size in sizes}, table)
        return next(iter(sizes), None)


def watermark_row(
    app_name: str, user_id: str, watermark: tuple[str, MemoryWatermark]
) -> WatermarkRow:
    """The parameters of ``set_watermark`` for a session's watermark."""
    session_id, mark = watermark
    return (app_name, user_id, session_id, mark.events, mark.last_event_id)
