"""The PostgreSQL backend (the optional ``postgres`` extra: asyncpg)."""

from __future__ import annotations

try:
    import asyncpg  # noqa: F401 - imported to fail early with an actionable message
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        'PostgresStore needs asyncpg, which is not installed: pip install "adk-sqlite[postgres]"',
        name="asyncpg",
    ) from exc

from adk_sqlite.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
