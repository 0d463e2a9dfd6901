"""The SQLite backend: one shared file (`SqliteStore`) or one file per session."""

from __future__ import annotations

from adk_sqlite.sqlite.per_session.store import PerSessionSqliteStore
from adk_sqlite.sqlite.shared_file.store import SqliteStore

__all__ = ["PerSessionSqliteStore", "SqliteStore"]
