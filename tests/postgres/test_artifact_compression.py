"""The artifacts' bytes on `PostgresStore` are compressed with lz4 where the server has it.

PostgreSQL's default method, pglz, decides whether bytes compress from their first KiB
only: a MiB of random bytes behind a header of repeated bytes (an image, an archive)
costs it a full pass for nothing (15 against 4.6 ms a save on the benchmark's machine).
These tests read the columns' method from the catalog (``attcompression``: ``l`` lz4,
``p`` pglz, empty the server's default) on the tests' server, which has lz4.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from google.genai import types

from adk_sqlite import ArtifactService, PostgresStore, SessionService, SqliteStore
from adk_sqlite.transfer.export import export_to_postgres

SCOPE = {"app_name": "app", "user_id": "u", "session_id": "s"}
TABLES = ("adk_artifacts", "adk_artifacts_pieces")


@pytest.fixture
async def sql(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(dsn)
    try:
        if connection.get_server_version().major < 14 or not await connection.fetchval(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        ):
            pytest.skip("this PostgreSQL server has no lz4")
        yield connection
    finally:
        await connection.close()


async def _methods(sql: asyncpg.Connection) -> dict[str, str]:
    rows = await sql.fetch(
        "SELECT c.relname, a.attcompression::text FROM pg_attribute AS a"
        " JOIN pg_class AS c ON c.oid = a.attrelid"
        " WHERE c.relname = ANY($1::text[]) AND a.attname = 'data'"
        " AND c.relnamespace = current_schema()::regnamespace",
        list(TABLES),
    )
    return {row[0]: row[1] for row in rows}


def _bytes(size: int, seed: int) -> types.Part:
    # A header of repeated bytes, then noise: what made pglz try the whole MiB.
    data = b"\x00" * 16 + random.Random(seed).randbytes(size - 16)
    return types.Part.from_bytes(data=data, mime_type="image/png")


async def test_the_tables_a_store_creates_compress_their_bytes_with_lz4(
    dsn: str, sql: asyncpg.Connection
) -> None:
    async with PostgresStore(dsn) as store:
        await ArtifactService(store).save_artifact(filename="a", artifact=_bytes(64, 1), **SCOPE)

    assert await _methods(sql) == {"adk_artifacts": "l", "adk_artifacts_pieces": "l"}


async def test_tables_of_an_earlier_release_get_lz4_when_a_store_first_touches_them(
    dsn: str, sql: asyncpg.Connection
) -> None:
    async with PostgresStore(dsn) as store:
        await ArtifactService(store).save_artifact(filename="a", artifact=_bytes(64, 1), **SCOPE)
    for table in TABLES:  # as an earlier release made them
        await sql.execute(f"ALTER TABLE {table} ALTER COLUMN data SET COMPRESSION DEFAULT")
    assert await _methods(sql) == {"adk_artifacts": "", "adk_artifacts_pieces": ""}

    async with PostgresStore(dsn) as store:
        loaded = await ArtifactService(store).load_artifact(filename="a", **SCOPE)

    assert loaded == _bytes(64, 1)
    assert await _methods(sql) == {"adk_artifacts": "l", "adk_artifacts_pieces": "l"}


async def test_a_method_an_administrator_chose_is_left_as_it_is(
    dsn: str, sql: asyncpg.Connection
) -> None:
    async with PostgresStore(dsn) as store:
        await ArtifactService(store).save_artifact(filename="a", artifact=_bytes(64, 1), **SCOPE)
    await sql.execute("ALTER TABLE adk_artifacts ALTER COLUMN data SET COMPRESSION pglz")
    await sql.execute("ALTER TABLE adk_artifacts_pieces ALTER COLUMN data SET COMPRESSION DEFAULT")

    async with PostgresStore(dsn) as store:
        await ArtifactService(store).save_artifact(filename="a", artifact=_bytes(64, 2), **SCOPE)

    assert await _methods(sql) == {"adk_artifacts": "p", "adk_artifacts_pieces": "l"}


async def test_bytes_of_every_kind_round_trip_and_text_is_compressed(
    dsn: str, sql: asyncpg.Connection
) -> None:
    text = b"the same line of a log, again and again\n" * 20_000
    parts = [
        _bytes(1 << 20, 3),  # in the version's row
        _bytes((2 << 20) + 5, 4),  # in pieces
        types.Part.from_bytes(data=text, mime_type="text/plain"),
    ]
    async with PostgresStore(dsn) as store:
        service = ArtifactService(store)
        for index, part in enumerate(parts):
            await service.save_artifact(filename=f"f{index}", artifact=part, **SCOPE)
        loaded = [await service.load_artifact(filename=f"f{i}", **SCOPE) for i in range(3)]

    assert loaded == parts
    stored = await sql.fetchval(
        "SELECT pg_column_size(data) FROM adk_artifacts WHERE filename = $1", b"f2"
    )
    assert stored < len(text) // 20


async def test_an_export_creates_its_artifacts_tables_with_lz4(
    dsn: str, sql: asyncpg.Connection, tmp_path: Path
) -> None:
    source = SqliteStore(tmp_path / "source.db")
    async with SessionService(source):
        await source.create_tables()
        await ArtifactService(source).save_artifact(filename="a", artifact=_bytes(64, 5), **SCOPE)

    await export_to_postgres(tmp_path / "source.db", dsn)

    assert await _methods(sql) == {"adk_artifacts": "l", "adk_artifacts_pieces": "l"}


async def test_a_role_that_does_not_own_the_tables_works_with_them_as_they_are(
    dsn: str, sql: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    # The tables as an earlier release made them, owned by the role that created them;
    # the application connects as a role allowed to read and write rows, nothing more.
    async with PostgresStore(dsn) as store:
        await ArtifactService(store).save_artifact(filename="a", artifact=_bytes(64, 1), **SCOPE)
    for table in TABLES:
        await sql.execute(f"ALTER TABLE {table} ALTER COLUMN data SET COMPRESSION DEFAULT")
    role = f"adk_sqlite_rows_only_{uuid.uuid4().hex[:8]}"
    schema = await sql.fetchval("SELECT current_schema()")
    await sql.execute(f"CREATE ROLE {role} LOGIN")
    try:
        await sql.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        await sql.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"
        )
        parts = urlsplit(dsn)
        as_role = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))

        with caplog.at_level(logging.INFO, logger="adk_sqlite.postgres"):
            async with PostgresStore(as_role) as store:
                service = ArtifactService(store)
                version = await service.save_artifact(filename="a", artifact=_bytes(64, 2), **SCOPE)
                loaded = await service.load_artifact(filename="a", **SCOPE)
    finally:
        await sql.execute(f"DROP OWNED BY {role}")
        await sql.execute(f"DROP ROLE {role}")

    assert (version, loaded) == (1, _bytes(64, 2))
    assert await _methods(sql) == {"adk_artifacts": "", "adk_artifacts_pieces": ""}
    assert "does not own it" in caplog.text
