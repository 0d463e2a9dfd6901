"""A busy server over PostgreSQL: a long read turns its rows into records in chunks.

`adk_sqlite.postgres.jobs.converted_in_chunks` converts ``CONVERT_CHUNK`` rows per turn
of the event loop, so that other tasks run while a long session, event page or listing
is built; a read that fits in one chunk takes no extra turn. What the reads return is
compared with the rows converted in one go, as the store did before. Counted in turns
and chunks, never timed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

import asyncpg
import pytest
from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import SessionService, records
from adk_sqlite.postgres import PostgresStore, jobs, page_jobs
from adk_sqlite.postgres.jobs import converted_in_chunks
from adk_sqlite.postgres.sql import EVENT_COLUMNS
from support.turns import counting_turns

T = TypeVar("T")

CHUNK = jobs.CONVERT_CHUNK
LONG = 2 * CHUNK + 44  # three chunks, the last one short
SESSIONS = CHUNK + 30  # two chunks of sessions, each of its own user
APP, USER, SESSION = "app", "reader", "long"


def make_event(index: int) -> Event:
    return Event(
        id=f"e{index:05d}",
        invocation_id=f"inv{index}",
        author="agent",
        timestamp=1_700_000_000 + index,
        content=types.Content(role="model", parts=[types.Part(text=f"event {index}")]),
    )


@pytest.fixture
async def store(dsn: str) -> AsyncIterator[PostgresStore]:
    """A store holding one session of ``LONG`` events and ``SESSIONS`` sessions of
    users with a ``user:`` state each."""
    async with PostgresStore(dsn) as store:
        service = SessionService(store)
        session = await service.create_session(app_name=APP, user_id=USER, session_id=SESSION)
        for index in range(LONG):
            await service.append_event(session, make_event(index))
        for index in range(SESSIONS):
            await service.create_session(
                app_name=APP, user_id=f"u{index:04d}", state={"user:n": index}
            )
        yield store


async def records_in_one_go(dsn: str) -> list[records.EventRecord]:
    """The long session's records as the store built them before: every row at once."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            f"SELECT {EVENT_COLUMNS} FROM adk_events ORDER BY timestamp_unix, seq"
        )
    finally:
        await connection.close()
    assert len(rows) == LONG
    return [jobs.event_record(row) for row in rows]


class ChunkWatch:
    """Counts the chunks of each conversion a read does, and what another task saw.

    `watched` wraps the real `jobs.converted_in_chunks` (it still converts); a ticker
    task, spinning on the loop meanwhile, notes at each of its turns how far the
    conversion in progress, if any, has got.
    """

    def __init__(self) -> None:
        self.chunks: list[int] = []  # per conversion, in order
        self.seen: set[tuple[int, int]] = set()  # (conversion, its chunks done so far)
        self._converting = False

    async def watched(
        self, rows: Sequence[Any], convert: Callable[[Sequence[Any]], list[Any]]
    ) -> list[Any]:
        conversion = len(self.chunks)
        self.chunks.append(0)

        def counted(chunk: Sequence[Any]) -> list[Any]:
            self.chunks[conversion] += 1
            return convert(chunk)

        self._converting = True
        try:
            return await converted_in_chunks(rows, counted)
        finally:
            self._converting = False

    async def watching(self, call: Awaitable[T]) -> T:
        running = True

        async def tick() -> None:
            while running:
                if self._converting:
                    self.seen.add((len(self.chunks) - 1, self.chunks[-1]))
                await asyncio.sleep(0)

        ticker = asyncio.ensure_future(tick())
        try:
            return await call
        finally:
            running = False
            await ticker

    def interrupted(self) -> list[bool]:
        """Per conversion: whether another task ran after its first chunk, before its last."""
        return [
            any((conversion, done) in self.seen for done in range(1, chunks))
            for conversion, chunks in enumerate(self.chunks)
        ]


@pytest.fixture
def watch(monkeypatch: pytest.MonkeyPatch) -> ChunkWatch:
    """Every conversion of the PostgreSQL store's reads, watched."""
    watch = ChunkWatch()
    monkeypatch.setattr(jobs, "converted_in_chunks", watch.watched)
    monkeypatch.setattr(page_jobs, "converted_in_chunks", watch.watched)
    return watch


# --- the conversion itself ------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "turns"),
    [(1, 0), (CHUNK, 0), (CHUNK + 1, 1), (LONG, 2)],
)
async def test_other_tasks_run_once_between_two_chunks(
    store: PostgresStore, dsn: str, rows: int, turns: int
) -> None:
    del store  # fills the table
    event_rows = await _event_rows(dsn, rows)
    converted, during = await counting_turns(converted_in_chunks(event_rows, jobs.event_records))
    assert during == turns
    assert converted == [jobs.event_record(row) for row in event_rows]


async def _event_rows(dsn: str, count: int) -> list[Any]:
    connection = await asyncpg.connect(dsn)
    try:
        rows: list[Any] = await connection.fetch(
            f"SELECT {EVENT_COLUMNS} FROM adk_events ORDER BY timestamp_unix, seq LIMIT $1",
            count,
        )
    finally:
        await connection.close()
    assert len(rows) == count
    return rows


# --- the store's reads ----------------------------------------------------------------


async def test_a_long_session_read_lets_other_tasks_run_and_reads_the_same_events(
    store: PostgresStore, dsn: str, watch: ChunkWatch
) -> None:
    snapshot = await watch.watching(
        store.read_session(app_name=APP, user_id=USER, session_id=SESSION)
    )
    assert snapshot is not None
    assert snapshot.events == await records_in_one_go(dsn)
    assert watch.chunks == [3]
    assert watch.interrupted() == [True]


async def test_the_newest_events_come_oldest_first_as_before(
    store: PostgresStore, dsn: str, watch: ChunkWatch
) -> None:
    everything = await records_in_one_go(dsn)
    newest = LONG - 10
    query = records.EventQuery(limit=newest)
    snapshot = await watch.watching(
        store.read_session(app_name=APP, user_id=USER, session_id=SESSION, events=query)
    )
    assert snapshot is not None
    assert snapshot.events == everything[-newest:]
    events = await watch.watching(
        store.get_events(app_name=APP, user_id=USER, session_id=SESSION, query=query)
    )
    assert events == everything[-newest:]
    assert watch.chunks == [3, 3]
    assert watch.interrupted() == [True, True]


async def test_a_short_read_is_converted_in_one_chunk(
    store: PostgresStore, dsn: str, watch: ChunkWatch
) -> None:
    query = records.EventQuery(limit=CHUNK)
    snapshot = await watch.watching(
        store.read_session(app_name=APP, user_id=USER, session_id=SESSION, events=query)
    )
    assert snapshot is not None
    assert snapshot.events == (await records_in_one_go(dsn))[-CHUNK:]
    assert watch.chunks == [1]
    assert watch.interrupted() == [False]


@pytest.mark.parametrize("newest_first", [False, True])
async def test_a_long_event_page_lets_other_tasks_run_and_reads_the_same_events(
    store: PostgresStore, dsn: str, watch: ChunkWatch, newest_first: bool
) -> None:
    everything = await records_in_one_go(dsn)
    in_order = everything[::-1] if newest_first else everything
    query = records.EventPageQuery(limit=LONG - 1, newest_first=newest_first)
    page = await watch.watching(
        store.read_event_page(app_name=APP, user_id=USER, session_id=SESSION, page=query)
    )
    assert page is not None
    assert page.events == in_order[:-1]
    assert page.next is not None
    query = records.EventPageQuery(limit=LONG, newest_first=newest_first, after=page.next)
    rest = await watch.watching(
        store.read_event_page(app_name=APP, user_id=USER, session_id=SESSION, page=query)
    )
    assert rest is not None
    assert rest.events == in_order[-1:]
    assert rest.next is None
    assert watch.chunks == [3, 1]
    assert watch.interrupted() == [True, False]


async def test_a_long_listing_lets_other_tasks_run_and_lists_every_session(
    store: PostgresStore, watch: ChunkWatch
) -> None:
    listing = await watch.watching(store.list_sessions(app_name=APP))
    users = [f"u{index:04d}" for index in range(SESSIONS)]
    assert [session.user_id for session in listing.sessions] == [USER, *users]
    # The reader has no user state, so no row: as before, it is left out.
    assert listing.user_states == {user: {"n": index} for index, user in enumerate(users)}
    assert watch.chunks == [2, 2]  # the sessions, then their users' states
    assert watch.interrupted() == [True, True]


async def test_a_long_session_page_lets_other_tasks_run_and_lists_every_session(
    store: PostgresStore, watch: ChunkWatch
) -> None:
    query = records.SessionPageQuery(limit=SESSIONS + 1)
    page = await watch.watching(store.list_session_page(app_name=APP, page=query))
    users = [f"u{index:04d}" for index in range(SESSIONS)]
    assert [session.user_id for session in page.sessions] == [USER, *users]
    assert page.user_states == {user: {"n": index} for index, user in enumerate(users)}
    assert not page.has_more
    assert watch.chunks == [2, 2]
    assert watch.interrupted() == [True, True]
