"""`MemoryService` on `PostgresStore`: the tables, the search, and writers at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from google.adk.events.event import Event
from google.adk.sessions.session import Session
from google.genai import types

from adk_sqlite import MemoryService, PostgresStore
from adk_sqlite.errors import ConfigurationError, UnencodableValueError
from adk_sqlite.memory_records import MemoryRecord
from adk_sqlite.memory_store import MemoryStore

APP, USER = "app", "u"


@pytest.fixture
async def store(dsn: str) -> AsyncIterator[PostgresStore]:
    async with PostgresStore(dsn) as opened:
        yield opened


@pytest.fixture
def memory(store: PostgresStore) -> MemoryService:
    return MemoryService(store)


def _event(text: str, event_id: str, *, timestamp: float = 1_700_000_000.0) -> Event:
    return Event(
        id=event_id,
        invocation_id="inv",
        author="user",
        timestamp=timestamp,
        content=types.Content(role="user", parts=[types.Part(text=text)]),
    )


def _session(*texts: str, app: str = APP, user: str = USER, session_id: str = "s1") -> Session:
    events = [_event(text, f"e{n}", timestamp=1_700_000_000.0 + n) for n, text in enumerate(texts)]
    return Session(id=session_id, app_name=app, user_id=user, events=events)


async def _found(
    service: MemoryService, query: str, *, app: str = APP, user: str = USER
) -> list[str]:
    response = await service.search_memory(app_name=app, user_id=user, query=query)
    return [entry.content.parts[0].text or "" for entry in response.memories if entry.content.parts]


async def _table_exists(sql: asyncpg.Connection, name: str) -> bool:
    return bool(await sql.fetchval("SELECT to_regclass(quote_ident($1)) IS NOT NULL", name))


# --- adding and finding -----------------------------------------------------------------


def test_postgres_store_is_a_memory_store() -> None:
    assert isinstance(PostgresStore("postgresql://localhost/db"), MemoryStore)


async def test_a_session_added_is_found_by_one_of_its_words(memory: MemoryService) -> None:
    await memory.add_session_to_memory(_session("The invoice is due Friday", "Nothing here"))

    assert await _found(memory, "when is the INVOICE due?") == ["The invoice is due Friday"]


async def test_a_word_with_an_underscore_is_found_whole(memory: MemoryService) -> None:
    await memory.add_session_to_memory(_session("call my_function twice", "my other function"))

    assert await _found(memory, "my_function") == ["call my_function twice"]


async def test_memories_holding_more_query_terms_come_first(memory: MemoryService) -> None:
    await memory.add_session_to_memory(
        _session("apples", "apples and pears", "pears alone", "nothing at all")
    )

    found = await _found(memory, "apples pears")

    assert found[0] == "apples and pears"
    assert sorted(found[1:]) == ["apples", "pears alone"]


async def test_adding_a_session_again_stores_each_event_once(
    memory: MemoryService, sql: asyncpg.Connection
) -> None:
    session = _session("alpha one", "alpha two")
    await memory.add_session_to_memory(session)
    await memory.add_session_to_memory(session)
    session.events.append(_event("alpha three", "e2", timestamp=1_700_000_010.0))
    await memory.add_session_to_memory(session)

    assert sorted(await _found(memory, "alpha")) == ["alpha one", "alpha three", "alpha two"]
    assert await sql.fetchval("SELECT count(*) FROM adk_memories") == 3
    mark = await memory.store.memory_watermark(app_name=APP, user_id=USER, session_id="s1")
    assert mark is not None
    assert (mark.events, mark.last_event_id) == (3, "e2")


async def test_memories_are_scoped_by_app_and_user(memory: MemoryService) -> None:
    await memory.add_session_to_memory(_session("secret plan"))

    assert await _found(memory, "secret") == ["secret plan"]
    assert await _found(memory, "secret", user="someone_else") == []
    assert await _found(memory, "secret", app="other_app") == []


@pytest.mark.parametrize(
    "query",
    [
        "' | ! & <-> :* ( ) \\",
        "a' OR 1=1 --",
        "'''",
        "\x00 nul",
        "日本語の文章",
        "🙂 " * 100,
        "x" * 5000,
        "",
        "   ",
    ],
)
async def test_hostile_queries_never_raise(memory: MemoryService, query: str) -> None:
    await memory.add_session_to_memory(_session("an ordinary memory"))

    await memory.search_memory(app_name=APP, user_id=USER, query=query)


async def test_a_word_too_long_for_a_lexeme_is_stored(memory: MemoryService) -> None:
    await memory.add_session_to_memory(_session("token " + "z" * 3000))

    assert await _found(memory, "token") == ["token " + "z" * 3000]


async def test_reads_before_any_write_find_nothing_and_create_no_table(
    store: PostgresStore, memory: MemoryService, sql: asyncpg.Connection
) -> None:
    assert await _found(memory, "anything") == []
    assert await store.memory_watermark(app_name=APP, user_id=USER, session_id="s1") is None
    assert await store.delete_memories(app_name=APP, user_id=USER) == 0
    assert not await _table_exists(sql, "adk_memories")


async def test_a_nul_in_an_id_is_refused_before_anything_is_written(
    store: PostgresStore, sql: asyncpg.Connection
) -> None:
    record = MemoryRecord(
        session_id="s\x00",
        event_id="e",
        author=None,
        timestamp=0.0,
        content="{}",
        search_text="word",
        custom_metadata="{}",
    )

    with pytest.raises(UnencodableValueError, match="session_id"):
        await store.add_memories(app_name=APP, user_id=USER, memories=[record])
    assert not await _table_exists(sql, "adk_memories")
    assert await store.delete_memories(app_name=APP, user_id=USER, session_id="s\x00") == 0


# --- deleting ---------------------------------------------------------------------------


async def test_delete_by_id_removes_that_memory_only(memory: MemoryService) -> None:
    await memory.add_session_to_memory(_session("keep this note", "drop this note"))
    response = await memory.search_memory(app_name=APP, user_id=USER, query="drop")
    (dropped,) = response.memories
    assert dropped.id is not None

    await memory.delete_memory(app_name=APP, user_id=USER, memory_id=dropped.id)

    assert await _found(memory, "note") == ["keep this note"]


async def test_delete_by_id_of_another_user_or_not_a_number_removes_nothing(
    store: PostgresStore, memory: MemoryService
) -> None:
    await memory.add_session_to_memory(_session("a note"))
    response = await memory.search_memory(app_name=APP, user_id=USER, query="note")
    memory_id = response.memories[0].id
    assert memory_id is not None

    for user, given in (("other", memory_id), (USER, "x1"), (USER, "9" * 40), (USER, "١")):
        assert await store.delete_memories(app_name=APP, user_id=user, memory_id=given) == 0
    assert await _found(memory, "note") == ["a note"]


async def test_delete_by_session_removes_its_memories_and_watermark(
    store: PostgresStore, memory: MemoryService
) -> None:
    await memory.add_session_to_memory(_session("first topic", session_id="s1"))
    await memory.add_session_to_memory(_session("second topic", session_id="s2"))

    deleted = await store.delete_memories(app_name=APP, user_id=USER, session_id="s1")

    assert deleted == 1
    assert await _found(memory, "topic") == ["second topic"]
    assert await store.memory_watermark(app_name=APP, user_id=USER, session_id="s1") is None
    assert await store.memory_watermark(app_name=APP, user_id=USER, session_id="s2") is not None


async def test_delete_by_user_removes_all_of_theirs_and_no_one_elses(
    store: PostgresStore, memory: MemoryService
) -> None:
    await memory.add_session_to_memory(_session("mine one", "mine two"))
    await memory.add_session_to_memory(_session("mine too", user="other"))

    assert await store.delete_memories(app_name=APP, user_id=USER) == 2

    assert await _found(memory, "mine") == []
    assert await _found(memory, "mine", user="other") == ["mine too"]
    assert await store.memory_watermark(app_name=APP, user_id=USER, session_id="s1") is None


# --- the tables -------------------------------------------------------------------------


async def test_a_custom_memory_table_holds_the_memories(dsn: str, sql: asyncpg.Connection) -> None:
    async with PostgresStore(dsn, memory_table="agent_memory") as store:
        assert store.memory_table == "agent_memory"
        service = MemoryService(store)
        await service.add_session_to_memory(_session("stored elsewhere"))

        assert await _found(service, "elsewhere") == ["stored elsewhere"]
    assert await sql.fetchval("SELECT count(*) FROM agent_memory") == 1
    assert await sql.fetchval("SELECT count(*) FROM agent_memory_sessions") == 1
    assert await _table_exists(sql, "agent_memory_search")
    assert not await _table_exists(sql, "adk_memories")


@pytest.mark.parametrize("name", ["adk_sessions", "bad name", "x" * 60])
def test_an_invalid_memory_table_is_refused(name: str) -> None:
    with pytest.raises(ConfigurationError, match="memory_table"):
        PostgresStore("postgresql://localhost/db", memory_table=name)


# --- writers at once --------------------------------------------------------------------


async def test_two_stores_adding_one_session_at_once_keep_one_memory_per_event(
    dsn: str, sql: asyncpg.Connection
) -> None:
    # Both start on an empty schema, so they also race to create the tables.
    session = _session(*(f"event number {n}" for n in range(30)))
    async with (
        PostgresStore(dsn, max_pool_size=4) as first,
        PostgresStore(dsn, max_pool_size=4) as second,
    ):
        services = [MemoryService(first), MemoryService(second)] * 4

        await asyncio.gather(*(service.add_session_to_memory(session) for service in services))

        rows = await sql.fetch("SELECT event_id, count(*) FROM adk_memories GROUP BY event_id")
        assert sorted(row[0] for row in rows) == sorted(f"e{n}" for n in range(30))
        assert {row[1] for row in rows} == {1}
        assert len(await _found(MemoryService(second), "number")) == 30
