"""A real PostgreSQL server for the tests: one fresh schema per test.

The server is the one ``ADK_SQLITE_TEST_POSTGRES_DSN`` names (default
``postgresql://postgres@127.0.0.1:5432/postgres``). Each test gets a schema of
its own, made the connection's ``search_path`` through the URL
(``?search_path=...``), so every table it creates lands there, and the schema is
dropped after the test.

When the server cannot be reached the PostgreSQL tests are skipped with the
reason, unless ``ADK_SQLITE_REQUIRE_POSTGRES=1`` (set by ``.ci/run``), which
turns the skip into a failure: CI never passes without having run them.
"""

from __future__ import annotations

import asyncio
import os
import struct
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import NoReturn
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

DSN_VARIABLE = "ADK_SQLITE_TEST_POSTGRES_DSN"
REQUIRE_VARIABLE = "ADK_SQLITE_REQUIRE_POSTGRES"
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"

_problem: list[str | None] = []  # the cached outcome of the first reachability check


def base_dsn() -> str:
    """The server the tests use."""
    return os.environ.get(DSN_VARIABLE) or DEFAULT_DSN


def with_search_path(dsn: str, schema: str) -> str:
    """``dsn`` with its connections' ``search_path`` set to ``schema`` only."""
    parts = urlsplit(dsn)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "search_path"]
    query.append(("search_path", schema))
    return urlunsplit(parts._replace(query=urlencode(query)))


def with_database(dsn: str, database: str) -> str:
    """``dsn`` pointing at another database of the same server."""
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{database}"))


def unavailable(reason: str) -> NoReturn:
    """Skips the test, or fails it when CI requires PostgreSQL."""
    message = (
        f"PostgreSQL tests need a server: {reason}. Point {DSN_VARIABLE} at one"
        f" (default {DEFAULT_DSN})"
    )
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{message}; {REQUIRE_VARIABLE}=1 forbids skipping them", pytrace=False)
    pytest.skip(message)


async def _server_problem() -> str | None:
    if _problem:
        return _problem[0]
    try:
        import asyncpg
    except ImportError:
        _problem.append('asyncpg is not installed (pip install -e ".[test]")')
        return _problem[0]
    try:
        connection = await asyncpg.connect(base_dsn(), timeout=5)
    except Exception as exc:
        _problem.append(f"cannot connect to {base_dsn()}: {exc!r}")
    else:
        await connection.close()
        _problem.append(None)
    return _problem[0]


async def admin_execute(sql: str) -> None:
    """Runs one statement on the test server, outside any test schema."""
    import asyncpg

    connection = await asyncpg.connect(base_dsn(), timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def create_schema() -> str:
    """Creates an empty schema (skipping the test without a server); returns its name."""
    problem = await _server_problem()
    if problem is not None:
        unavailable(problem)
    schema = f"adk_test_{uuid.uuid4().hex[:16]}"
    await admin_execute(f'CREATE SCHEMA "{schema}"')
    return schema


async def drop_schema(schema: str) -> None:
    await admin_execute(f'DROP SCHEMA "{schema}" CASCADE')


@asynccontextmanager
async def fresh_schema() -> AsyncIterator[str]:
    """Creates an empty schema, yields a DSN whose connections use it, then drops it."""
    schema = await create_schema()
    try:
        yield with_search_path(base_dsn(), schema)
    finally:
        await drop_schema(schema)


@asynccontextmanager
async def password_refusing_server() -> AsyncIterator[int]:
    """A stand-in server on a free port that asks for a password and refuses it.

    The test server trusts every login, so a wrong password is played here at the
    protocol level, as PostgreSQL plays it: SSL refused, a cleartext password
    requested, then an error with SQLSTATE 28P01.
    """

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                length = struct.unpack("!i", await reader.readexactly(4))[0]
                body = await reader.readexactly(length - 4)
                if struct.unpack("!i", body[:4])[0] != 80877103:  # not an SSLRequest
                    break
                writer.write(b"N")
            writer.write(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
            await reader.readexactly(1)
            length = struct.unpack("!i", await reader.readexactly(4))[0]
            await reader.readexactly(length - 4)
            fields = b"".join(
                code + text + b"\0"
                for code, text in (
                    (b"S", b"FATAL"),
                    (b"V", b"FATAL"),
                    (b"C", b"28P01"),
                    (b"M", b'password authentication failed for user "ada"'),
                )
            )
            writer.write(b"E" + struct.pack("!i", len(fields) + 5) + fields + b"\0")
            await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
