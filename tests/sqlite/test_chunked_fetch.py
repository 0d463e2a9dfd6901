"""`fetch_converted`: a long read converted a chunk at a time, every row once, in order.

Its point, giving the GIL to a waiting event loop between chunks, is measured, not
tested (docs/performance.md, "A busy server"); here, that chunking loses, repeats or
reorders nothing, at every boundary, and that the stores' long reads go through it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.sqlite import chunked_fetch
from adk_sqlite.sqlite.chunked_fetch import fetch_converted
from adk_sqlite.sqlite.shared_file import jobs

CHUNK = 4


def _numbers(count: int) -> sqlite3.Cursor:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (n INTEGER)")
    connection.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(count)])
    return connection.execute("SELECT n FROM t ORDER BY n")


@pytest.mark.parametrize("count", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 2])
def test_every_row_is_converted_once_in_order(count: int) -> None:
    chunks: list[int] = []

    def convert(rows: list[tuple[Any, ...]]) -> list[int]:
        chunks.append(len(rows))
        return [row[0] * 10 for row in rows]

    converted = fetch_converted(_numbers(count), convert, chunk=CHUNK)

    assert converted == [n * 10 for n in range(count)]
    assert all(size == CHUNK for size in chunks[:-1])
    assert sum(chunks) == count
    assert len(chunks) == -(-count // CHUNK)  # no call for an empty last chunk


async def test_a_long_session_and_a_long_listing_are_read_in_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks: list[int] = []
    real = chunked_fetch.fetch_converted

    def counting(cursor: sqlite3.Cursor, convert: Any, *, chunk: int = CHUNK) -> list[Any]:
        def counted(rows: list[tuple[Any, ...]]) -> list[Any]:
            chunks.append(len(rows))
            return list(convert(rows))

        return real(cursor, counted, chunk=CHUNK)

    async with SqliteStore(tmp_path / "sessions.db") as store:
        service = SessionService(store)
        session = await service.create_session(app_name="a", user_id="u", session_id="long")
        for index in range(2 * CHUNK + 1):
            await service.create_session(app_name="a", user_id="u", session_id=f"s{index}")
        for index in range(3 * CHUNK):
            await service.append_event(session, Event(author="user", invocation_id=f"i{index}"))

        monkeypatch.setattr(jobs, "fetch_converted", counting)
        read = await service.get_session(app_name="a", user_id="u", session_id="long")
        assert read is not None
        assert len(read.events) == 3 * CHUNK
        assert chunks == [CHUNK] * 3
        chunks.clear()

        listed = await service.list_sessions(app_name="a", user_id="u")
        assert len(listed.sessions) == 2 * CHUNK + 2
        assert chunks == [CHUNK, CHUNK, 2]
