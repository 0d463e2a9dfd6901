"""The SQLite backend: one shared file (`SqliteStore`) or one file per session."""

from __future__ import annotations

from .per_session import PerSessionSqliteStore
from .store import SqliteStore

__all__ = ["PerSessionSqliteStore", "SqliteStore"]
