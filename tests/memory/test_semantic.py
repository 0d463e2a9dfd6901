"""Hybrid (keyword and semantic) search, on the three layouts.

`MemoryService(store, embedder=...)` with the offline `HashingEmbedder`: a labelled set
of queries shows what hybrid search finds that keyword search misses; each memory is
embedded once; an embedder that fails or returns unusable vectors is a clear
`EmbeddingError` with nothing written; vectors stay scoped to their user and go with
their memory.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from google.adk.events.event import Event
from google.adk.memory.memory_entry import MemoryEntry
from google.adk.sessions.session import Session
from google.genai import types

from adk_sqlite import EmbeddingError, MemoryService, SqliteStore
from adk_sqlite.memory_store import MemoryStore
from adk_sqlite.testing import HashingEmbedder

from .labelled_queries import MEMORIES, QUERIES, SYNONYMS, TOP

APP = "notes"
USER = "ada"
OTHER_USER = "bob"
LAYOUTS = ("sqlite", "sqlite-per-session", "postgres")

# Where each open store keeps its vectors: how to count them from outside the store.
_VECTOR_COUNTERS: dict[int, Callable[[], Awaitable[int]]] = {}
_COUNT_VECTORS = "SELECT count(*) FROM adk_memories_vectors"


@asynccontextmanager
async def _store(layout: str, tmp_path: Path) -> AsyncIterator[MemoryStore]:
    async with AsyncExitStack() as stack:
        if layout == "postgres":
            from adk_sqlite.postgres import PostgresStore
            from support.postgres import fresh_schema

            dsn = await stack.enter_async_context(fresh_schema())
            store: Any = PostgresStore(dsn)

            async def count() -> int:
                connection = await asyncpg.connect(dsn)
                try:
                    return int(await connection.fetchval(_COUNT_VECTORS))
                finally:
                    await connection.close()

        else:
            if layout == "sqlite":
                store, database = SqliteStore(tmp_path / "memory.db"), tmp_path / "memory.db"
            else:
                folder = tmp_path / "agent-sessions"
                store, database = SqliteStore.per_session_files(folder), folder / "catalog.db"

            async def count() -> int:
                with sqlite3.connect(database) as connection:
                    return int(connection.execute(_COUNT_VECTORS).fetchone()[0])

        _VECTOR_COUNTERS[id(store)] = count
        try:
            yield store
        finally:
            del _VECTOR_COUNTERS[id(store)]
            await store.close()


@pytest.fixture(params=LAYOUTS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MemoryStore]:
    async with _store(request.param, tmp_path) as opened:
        yield opened


def _entry(key: str, text: str, *, timestamp: float = 1_700_000_000.0) -> MemoryEntry:
    return MemoryEntry(
        id=key,
        content=types.Content(role="user", parts=[types.Part(text=text)]),
        author="user",
        timestamp=datetime.fromtimestamp(timestamp, tz=UTC).isoformat(),
    )


def _event(number: int, text: str) -> Event:
    return Event(
        id=f"e{number}",
        invocation_id="inv",
        author="user",
        timestamp=1_700_000_000.0 + number,
        content=types.Content(role="user", parts=[types.Part(text=text)]),
    )


async def _add_corpus(service: MemoryService, user_id: str = USER) -> None:
    await service.add_memory(
        app_name=APP,
        user_id=user_id,
        memories=[
            _entry(key, text, timestamp=1_700_000_000.0 + index)
            for index, (key, text) in enumerate(MEMORIES.items())
        ],
    )


async def _found(service: MemoryService, query: str, user_id: str = USER) -> list[str]:
    response = await service.search_memory(app_name=APP, user_id=user_id, query=query)
    return [str(memory.custom_metadata["event_id"]) for memory in response.memories]


def _embedder() -> HashingEmbedder:
    return HashingEmbedder(256, synonyms=SYNONYMS)


async def test_hybrid_search_finds_what_keyword_search_misses(store: MemoryStore) -> None:
    keyword = MemoryService(store)
    hybrid = MemoryService(store, embedder=_embedder())
    await _add_corpus(hybrid)
    keyword_hits = hybrid_hits = 0
    for labelled in QUERIES:
        by_keyword = (await _found(keyword, labelled.query))[:TOP]
        by_both = (await _found(hybrid, labelled.query))[:TOP]
        assert labelled.expected in by_both, (labelled, by_both)
        hybrid_hits += 1
        if labelled.shares_a_word:
            assert by_keyword[0] == labelled.expected, (labelled, by_keyword)
            assert by_both[0] == labelled.expected, (labelled, by_both)
            keyword_hits += 1
        else:
            assert labelled.expected not in by_keyword, (labelled, by_keyword)
    # Recall at TOP: every query for hybrid search; only those sharing a word for keywords.
    assert hybrid_hits == len(QUERIES)
    assert keyword_hits == sum(labelled.shares_a_word for labelled in QUERIES) < len(QUERIES)


async def test_each_memory_is_embedded_once_as_a_session_grows(store: MemoryStore) -> None:
    embedder = _embedder()
    service = MemoryService(store, embedder=embedder)
    session = Session(id="s1", app_name=APP, user_id=USER)
    texts = list(MEMORIES.values())
    for number, text in enumerate(texts):
        session.events.append(_event(number, text))
        await service.add_session_to_memory(session)
        await service.add_session_to_memory(session)  # again: nothing new to embed
    assert embedder.texts_embedded == len(texts)
    assert "e0" in await _found(service, "automobile")


async def test_the_embedder_is_called_in_batches(store: MemoryStore) -> None:
    embedder = _embedder()
    service = MemoryService(store, embedder=embedder, embedding_batch_size=5)
    await _add_corpus(service)
    assert embedder.calls == math.ceil(len(MEMORIES) / 5)
    assert embedder.texts_embedded == len(MEMORIES)


class _Broken:
    """An embedder that fails in one of several ways."""

    def __init__(self, how: str) -> None:
        self.how = how
        self.good = HashingEmbedder(16)

    async def __call__(self, texts: Sequence[str]) -> Any:
        vectors = await self.good(texts)
        if self.how == "raises":
            raise RuntimeError("quota exceeded")
        if self.how == "too few":
            return vectors[:-1]
        if self.how == "not a list":
            return "nope"
        if self.how == "nan":
            return [[math.nan] * 16 for _ in texts]
        if self.how == "zero":
            return [[0.0] * 16 for _ in texts]
        if self.how == "ragged":
            return [vector[: 16 - index % 2] for index, vector in enumerate(vectors)]
        if self.how == "strings":
            return [["x"] * 16 for _ in texts]
        raise AssertionError(self.how)


@pytest.mark.parametrize(
    "how", ["raises", "too few", "not a list", "nan", "zero", "ragged", "strings"]
)
async def test_a_failing_embedder_is_an_embedding_error_and_nothing_is_written(
    store: MemoryStore, how: str
) -> None:
    broken = MemoryService(store, embedder=_Broken(how))
    session = Session(id="s1", app_name=APP, user_id=USER)
    session.events.extend(_event(number, text) for number, text in enumerate(MEMORIES.values()))
    with pytest.raises(EmbeddingError) as raised:
        await broken.add_session_to_memory(session)
    if how == "raises":
        assert "quota exceeded" in str(raised.value)
        assert isinstance(raised.value.__cause__, RuntimeError)
    keyword = MemoryService(store)
    assert await _found(keyword, "Tokyo") == []
    # Nothing recorded either: a working service indexes the whole session.
    working = MemoryService(store, embedder=HashingEmbedder(16))
    await working.add_session_to_memory(session)
    assert await _found(keyword, "Tokyo") == ["e4"]
    assert (await _found(working, "Tokyo"))[0] == "e4"


async def test_vectors_of_another_dimension_are_refused_before_writing(
    store: MemoryStore,
) -> None:
    await _add_corpus(MemoryService(store, embedder=HashingEmbedder(32)))
    other_model = MemoryService(store, embedder=HashingEmbedder(48))
    with pytest.raises(EmbeddingError, match="dimensions"):
        await other_model.add_memory(
            app_name=APP, user_id=USER, memories=[_entry("new", "A brand new Tokyo memory")]
        )
    assert "new" not in await _found(MemoryService(store), "brand")
    with pytest.raises(EmbeddingError):
        await other_model.add_memory(
            app_name=APP, user_id=OTHER_USER, memories=[_entry("new", "brand new")]
        )
    # A search with a vector of another dimension ranks by keywords alone.
    assert (await _found(other_model, "Tokyo"))[0] == "flight"


async def test_memories_without_vectors_are_found_by_their_words(store: MemoryStore) -> None:
    await _add_corpus(MemoryService(store))  # no embedder
    hybrid = MemoryService(store, embedder=_embedder())
    await hybrid.add_memory(
        app_name=APP, user_id=USER, memories=[_entry("sedan2", "A blue vehicle")]
    )
    assert (await _found(hybrid, "Tokyo"))[0] == "flight"
    assert (await _found(hybrid, "automobile"))[0] == "sedan2"


async def test_a_memory_stored_again_without_a_vector_loses_its_old_one(
    store: MemoryStore,
) -> None:
    hybrid = MemoryService(store, embedder=_embedder())
    await _add_corpus(hybrid)
    assert "car" in await _found(hybrid, "automobile")
    # The text changes and the new text has no vector: the old vector must not
    # keep matching the old meaning.
    await MemoryService(store).add_memory(
        app_name=APP, user_id=USER, memories=[_entry("car", "Bananas are yellow")]
    )
    assert "car" not in await _found(hybrid, "automobile")
    assert "car" in await _found(hybrid, "bananas")


async def test_hybrid_search_stays_in_its_user_and_app(store: MemoryStore) -> None:
    hybrid = MemoryService(store, embedder=_embedder())
    await _add_corpus(hybrid, user_id=OTHER_USER)
    await hybrid.add_memory(
        app_name=APP, user_id=USER, memories=[_entry("mine", "Nothing alike at all")]
    )
    for labelled in QUERIES:
        assert set(await _found(hybrid, labelled.query)) <= {"mine"}
    response = await hybrid.search_memory(app_name="other-app", user_id=OTHER_USER, query="car")
    assert response.memories == []


async def test_min_similarity_drops_what_only_a_distant_vector_found(store: MemoryStore) -> None:
    loose = MemoryService(store, embedder=_embedder())
    await _add_corpus(loose)
    # With no threshold, the nearest memories compete even when far.
    assert len(await _found(loose, "quantum chromodynamics")) > 0
    strict = MemoryService(store, embedder=_embedder(), min_similarity=0.2)
    assert await _found(strict, "quantum chromodynamics") == []
    assert (await _found(strict, "automobile"))[0] == "car"
    assert (await _found(strict, "Tokyo"))[0] == "flight"


async def test_deleting_memories_deletes_their_vectors(store: MemoryStore) -> None:
    hybrid = MemoryService(store, embedder=_embedder())
    await _add_corpus(hybrid)
    await hybrid.delete_memory(app_name=APP, user_id=USER, memory_id=await _id_of(hybrid, "car"))
    assert "car" not in await _found(hybrid, "automobile")
    await hybrid.delete_memory(app_name=APP, user_id=USER, all_of_user=True)
    for labelled in QUERIES:
        assert await _found(hybrid, labelled.query) == []
    assert await _vector_rows(store) == 0


async def _id_of(service: MemoryService, key: str) -> str:
    response = await service.search_memory(app_name=APP, user_id=USER, query=MEMORIES[key])
    (memory,) = [m for m in response.memories if m.custom_metadata["event_id"] == key]
    assert memory.id is not None
    return memory.id


async def _vector_rows(store: MemoryStore) -> int:
    return await _VECTOR_COUNTERS[id(store)]()


async def test_unusable_vector_bytes_in_the_file_are_skipped(tmp_path: Path) -> None:
    """A vector blob of the wrong length (a damaged or hostile file) is not an error."""
    path = tmp_path / "memory.db"
    async with SqliteStore(path) as store:
        await _add_corpus(MemoryService(store, embedder=_embedder()))
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE adk_memories_vectors SET vector = x'0102' WHERE row_id ="
            " (SELECT row_id FROM adk_memories WHERE event_id = 'car')"
        )
    async with SqliteStore(path) as store:
        hybrid = MemoryService(store, embedder=_embedder())
        assert "car" not in await _found(hybrid, "automobile")
        assert (await _found(hybrid, "Tokyo"))[0] == "flight"


async def test_vectors_cached_by_one_store_follow_writes_of_another(tmp_path: Path) -> None:
    """A search keeps a user's vectors in memory; a write through another store (or
    process) on the same file changes the scope's version, so the copy is not reused."""
    path = tmp_path / "memory.db"
    async with SqliteStore(path) as reader_store, SqliteStore(path) as writer_store:
        reader = MemoryService(reader_store, embedder=_embedder())
        writer = MemoryService(writer_store, embedder=_embedder())
        await _add_corpus(writer)
        assert (await _found(reader, "automobile"))[0] == "car"
        await writer.add_memory(
            app_name=APP, user_id=USER, memories=[_entry("new-car", "A vehicle, my second")]
        )
        assert "new-car" in (await _found(reader, "automobile"))[:2]
        await writer.delete_memory(app_name=APP, user_id=USER, all_of_user=True)
        await writer.add_memory(
            app_name=APP, user_id=USER, memories=[_entry("only", "Bananas are yellow")]
        )
        assert await _found(reader, "automobile") == ["only"]
