"""The SQLite backend."""

from __future__ import annotations

from .store import SqliteStore

__all__ = ["SqliteStore"]
