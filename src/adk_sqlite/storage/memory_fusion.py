"""The end of a memory search, as every backend runs it: the two rankings fused. Pure.

A backend reads the keyword ranking's rows (each a memory: its id, then `MemoryRecord`'s
fields in order) and, in a hybrid search, the vector ranking's ids. `Fusion` merges them
(`adk_sqlite.storage.memory_ranking.fuse_rankings`); the backend then reads by id the chosen
memories that only the vector ranking found (`Fusion.missing`), and `Fusion.memories`
returns the chosen ones in the fused order. A search without a vector fuses the keyword
ranking alone: its first ``limit`` rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from adk_sqlite.memory_records import StoredMemory, stored_memory
from adk_sqlite.storage.memory_ranking import fuse_rankings

__all__ = ["Fusion"]


class Fusion:
    """One search's keyword rows and vector ranking, fused into the memories it returns."""

    __slots__ = ("_rows", "chosen")

    def __init__(
        self, keyword_rows: Iterable[Sequence[Any]], semantic: Sequence[int], limit: int
    ) -> None:
        self._rows = {int(row[0]): row for row in keyword_rows}
        self.chosen = fuse_rankings(list(self._rows), semantic, limit)

    @property
    def missing(self) -> list[int]:
        """The ids of the chosen memories the keyword rows do not hold: to read by id."""
        return [memory_id for memory_id in self.chosen if memory_id not in self._rows]

    def memories(self, missing_rows: Iterable[Sequence[Any]] = ()) -> list[StoredMemory]:
        """The chosen memories, best first, given the rows read for `missing` (a memory
        deleted since the ranking is left out)."""
        rows = {**self._rows, **{int(row[0]): row for row in missing_rows}}
        return [stored_memory(rows[memory_id]) for memory_id in self.chosen if memory_id in rows]
