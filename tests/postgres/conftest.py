"""Fixtures for the PostgreSQL store's own tests: a fresh schema per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from adk_sqlite import SessionService
from support.postgres import fresh_schema


@pytest.fixture
async def dsn() -> AsyncIterator[str]:
    """A URL whose connections use a new, empty schema (dropped after the test)."""
    async with fresh_schema() as url:
        yield url


@pytest.fixture
async def service(dsn: str) -> AsyncIterator[SessionService]:
    from adk_sqlite.postgres import PostgresStore

    async with SessionService(PostgresStore(dsn)) as service:
        yield service


@pytest.fixture
async def sql(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection to the test's schema."""
    connection = await asyncpg.connect(dsn)
    try:
        yield connection
    finally:
        await connection.close()
