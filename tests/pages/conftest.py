"""Fixtures of the page tests: a store and a service per layout (`_backends.LAYOUTS`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adk_sqlite import SessionService
from adk_sqlite.storage.store_base import StoreBase

from ._backends import LAYOUTS


@pytest.fixture(params=sorted(LAYOUTS))
def layout(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(layout: str, tmp_path: Path) -> AsyncIterator[StoreBase]:
    async with LAYOUTS[layout](tmp_path, None) as opened:
        yield opened


@pytest.fixture
def service(store: StoreBase) -> SessionService:
    return SessionService(store)
