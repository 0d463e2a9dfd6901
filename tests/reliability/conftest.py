from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adk_sqlite import SessionService, SqliteStore


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sessions.db"


@pytest.fixture
async def service(db_path: Path) -> AsyncIterator[SessionService]:
    async with SessionService(SqliteStore(db_path)) as service:
        yield service
