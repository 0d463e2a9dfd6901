"""A process-wide cache of users' memory vectors, so a hybrid search need not rescan them.

Reading one user's 100,000 vectors out of SQLite costs about 100 ms here, ranking them
about 2 ms. The cache keeps the joined vectors of recently searched users, keyed by the
database file, the memory table, the user's scope and the vector size, and tagged with
the scope's version: a random number the memory jobs replace in the same transaction as
any change to that user's vectors (`adk_sqlite.sqlite.memory_jobs`). A search reads the
version in its own snapshot and uses the cached vectors only when it matches, so a
cached copy is never used after a change, by this process or another. The version row
holds a hash of the scope, never the app or user themselves, and goes when the user's
memories are all deleted.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import NamedTuple

__all__ = ["CachedVectors", "VectorCache", "scope_key", "vector_cache"]

DEFAULT_CAPACITY_BYTES = 256 * 1024 * 1024


def scope_key(app_name: str, user_id: str) -> int:
    """A signed 64-bit hash of (app, user): the key of the scope's version row."""
    digest = hashlib.blake2b(f"{app_name}\x00{user_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


class CachedVectors(NamedTuple):
    version: int
    keys: list[int]
    matrix: bytes


CacheKey = tuple[str, str, int, int]  # (database file, memory table, scope key, vector size)


class VectorCache:
    """Least-recently-used vectors, at most ``capacity_bytes`` of them; thread-safe."""

    def __init__(self, capacity_bytes: int = DEFAULT_CAPACITY_BYTES) -> None:
        self.capacity_bytes = capacity_bytes
        self._entries: OrderedDict[CacheKey, CachedVectors] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: CacheKey, version: int) -> CachedVectors | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version != version:
                return None
            self._entries.move_to_end(key)
            return entry

    def put(self, key: CacheKey, entry: CachedVectors) -> None:
        size = len(entry.matrix) + 8 * len(entry.keys)
        with self._lock:
            self._discard(key)
            if size > self.capacity_bytes:
                return
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.capacity_bytes:
                self._discard(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def _discard(self, key: CacheKey) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= len(old.matrix) + 8 * len(old.keys)


vector_cache = VectorCache()
"""The cache every SQLite store of this process shares."""
