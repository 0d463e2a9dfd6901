"""Fixtures for the fast path's switch and self-check: a fresh check, a real store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from adk_sqlite import SqliteStore
from adk_sqlite.codec import fast


@pytest.fixture(autouse=True)
def fresh_self_check(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with the fast path allowed and unchecked, and leaves it so."""
    monkeypatch.delenv(fast.FAST_DECODING_VARIABLE, raising=False)
    fast.reset_self_check()
    yield
    fast.reset_self_check()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    store = SqliteStore(tmp_path / "sessions.db")
    await store.create_tables()
    yield store
    await store.close()
