"""pytest fixtures for code that uses adk-sqlite, registered through ``pytest11``.

Installing adk-sqlite makes these fixtures available in every test suite:

* ``adk_store``: an in-memory `SqliteStore` with its tables created, closed
  after the test;
* ``adk_session_service``: a `SessionService` over ``adk_store``.

They are async fixtures: with pytest-asyncio (``asyncio_mode = "auto"``, or in
strict mode) they work as they are; with anyio's pytest plugin, mark the test
``@pytest.mark.anyio``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import pytest

from adk_sqlite.adk.sessions import SessionService
from adk_sqlite.sqlite import SqliteStore

F = TypeVar("F", bound=Callable[..., Any])


def _async_fixture(function: F) -> F:
    """pytest-asyncio's fixture decorator when installed (strict mode needs it), else pytest's."""
    try:
        import pytest_asyncio
    except ImportError:  # anyio's plugin, or none
        return pytest.fixture(function)  # type: ignore[return-value]
    return pytest_asyncio.fixture(function)  # type: ignore[return-value]


@_async_fixture
async def adk_store() -> AsyncIterator[SqliteStore]:
    """An in-memory SqliteStore with tables created; closed after the test."""
    async with SqliteStore(":memory:") as store:
        yield store


@_async_fixture
async def adk_session_service(adk_store: SqliteStore) -> AsyncIterator[SessionService]:
    """A SessionService over the test's in-memory ``adk_store``."""
    service = SessionService(adk_store)
    try:
        yield service
    finally:
        await service.close()
