"""Fixtures for the export tests: a source file and a fresh target schema."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from support.postgres import fresh_schema


@pytest.fixture
async def dsn() -> AsyncIterator[str]:
    """A URL whose connections use a new, empty schema (dropped after the test)."""
    async with fresh_schema() as url:
        yield url


@pytest.fixture
def source_path(tmp_path: Path) -> Path:
    return tmp_path / "source.db"
