"""The keyword search's window (``MemoryService(search_window=...)``) on every layout.

A search ranks the user's newest ``search_window`` memories that hold a query word,
and of the older ones those that hold a rare word (one at most
`RARE_WORD_LIMIT` older memories hold); ``search_window=None`` ranks them all.
Here 1,200 memories hold "flight": the 1,100 older ones are short (bm25 ranks a short
memory first), the 100 newest long, and one old memory also holds "zebra".
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event
from google.adk.sessions.session import Session
from google.genai import types

from adk_sqlite import ConfigurationError, MemoryService, SqliteStore
from adk_sqlite.memory_records import RARE_WORD_LIMIT

APP, USER = "app", "u"
TOTAL, WINDOW = 1_200, 100
ZEBRA = 3  # the old memory that also holds a rare word
LONG_TAIL = " ".join(f"word{n}" for n in range(30))

OpenStore = Callable[[Path], Any]


@asynccontextmanager
async def _postgres_store(tmp_path: Path) -> AsyncIterator[Any]:
    from adk_sqlite import PostgresStore
    from support.postgres import fresh_schema

    async with AsyncExitStack() as stack:
        dsn = await stack.enter_async_context(fresh_schema())
        async with PostgresStore(dsn) as store:
            yield store


@asynccontextmanager
async def _sqlite_store(tmp_path: Path) -> AsyncIterator[Any]:
    async with SqliteStore(tmp_path / "memory.db") as store:
        yield store


@asynccontextmanager
async def _per_session_store(tmp_path: Path) -> AsyncIterator[Any]:
    async with SqliteStore.per_session_files(tmp_path / "sessions") as store:
        yield store


LAYOUTS = {"sqlite": _sqlite_store, "per-session": _per_session_store, "postgres": _postgres_store}


def _text(index: int) -> str:
    if index == ZEBRA:
        return "flight zebra"
    return "flight" if index < TOTAL - WINDOW else f"flight {LONG_TAIL}"


def _session() -> Session:
    events = [
        Event(
            id=f"e{index:05d}",
            invocation_id=f"i{index}",
            author="user",
            timestamp=1_700_000_000 + index,
            content=types.Content(role="user", parts=[types.Part(text=_text(index))]),
        )
        for index in range(TOTAL)
    ]
    return Session(id="s", app_name=APP, user_id=USER, events=events, last_update_time=0)


@pytest.fixture(params=sorted(LAYOUTS))
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    async with LAYOUTS[request.param](tmp_path) as opened:
        await MemoryService(opened).add_session_to_memory(_session())
        yield opened


async def _event_indexes(service: MemoryService, query: str) -> list[int]:
    """The events (by index) a search finds, best first."""
    response = await service.search_memory(app_name=APP, user_id=USER, query=query)
    return [int(memory.custom_metadata["event_id"][1:]) for memory in response.memories]


async def test_a_common_word_is_ranked_among_the_newest_memories_only(store: Any) -> None:
    found = await _event_indexes(MemoryService(store, search_window=WINDOW), "flight")

    assert found
    assert all(index >= TOTAL - WINDOW for index in found), found


async def test_without_a_window_every_memory_is_ranked(store: Any) -> None:
    found = await _event_indexes(MemoryService(store, search_window=None), "flight")

    # bm25 ranks the short old memories first.
    assert found
    assert all(index < TOTAL - WINDOW for index in found), found


async def test_a_rare_word_finds_an_old_memory_through_the_window(store: Any) -> None:
    assert TOTAL - WINDOW > RARE_WORD_LIMIT  # "flight" is common among the older ones

    windowed = await _event_indexes(MemoryService(store, search_window=WINDOW), "flight zebra")
    alone = await _event_indexes(MemoryService(store, search_window=WINDOW), "zebra")

    assert windowed[0] == ZEBRA
    assert alone == [ZEBRA]


async def test_a_window_larger_than_the_memories_ranks_them_all(store: Any) -> None:
    found = await _event_indexes(MemoryService(store, search_window=TOTAL), "flight")
    everything = await _event_indexes(MemoryService(store, search_window=None), "flight")

    assert found == everything


@pytest.mark.parametrize("window", [0, -1, 1.5, True, "10"])
def test_a_window_that_is_not_a_positive_integer_is_refused(window: Any) -> None:
    with pytest.raises(ConfigurationError, match="search_window"):
        MemoryService(SqliteStore(":memory:"), search_window=window)


async def test_a_table_from_before_the_window_is_searched_whole_until_a_write_indexes_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "memory.db"
    async with SqliteStore(path) as store:
        await MemoryService(store).add_session_to_memory(_session())
    with sqlite3.connect(path) as connection:  # as a release before the window made it
        connection.execute('DROP INDEX "adk_memories_recent"')

    async with SqliteStore(path) as store:
        service = MemoryService(store, search_window=WINDOW)
        before = await _event_indexes(service, "flight")
        await service.add_memory(
            app_name=APP,
            user_id=USER,
            memories=[_memory_entry("a later memory")],
        )
        after = await _event_indexes(service, "flight")

    assert all(index < TOTAL - WINDOW for index in before), before  # whole: short old ones
    assert all(index >= TOTAL - WINDOW for index in after), after
    with sqlite3.connect(path) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "adk_memories_recent" in names


def _memory_entry(text: str) -> Any:
    from google.adk.memory.memory_entry import MemoryEntry

    return MemoryEntry(content=types.Content(role="user", parts=[types.Part(text=text)]))
