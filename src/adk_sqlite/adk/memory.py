"""`MemoryService`: ADK's memory service over an adk-sqlite store.

The service knows ADK's semantics (which events are memories, event ids, the
``MemoryEntry`` it returns) and normalises text (`adk_sqlite.codec.memory_text`); the
store keeps the memories and their full-text index (`adk_sqlite.memory_store`).
"""

from __future__ import annotations

import collections
import hashlib
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec
from google.adk.memory.base_memory_service import BaseMemoryService, SearchMemoryResponse
from google.adk.memory.memory_entry import MemoryEntry
from google.genai import types

from adk_sqlite.adk.store_argument import StoreService, store_or_url
from adk_sqlite.codec.fast.slices import decoded_in_slices
from adk_sqlite.codec.memory_text import query_terms, searchable_text
from adk_sqlite.codec.vectors import pack_vector
from adk_sqlite.errors import (
    ConfigurationError,
    EmbeddingError,
    InvalidArgumentError,
    MemoryTooLargeError,
)
from adk_sqlite.memory_records import (
    DEFAULT_SEARCH_WINDOW,
    MemoryRecord,
    MemoryWatermark,
    StoredMemory,
)
from adk_sqlite.memory_store import MemoryStore

if TYPE_CHECKING:
    from google.adk.events.event import Event
    from google.adk.sessions.session import Session

__all__ = [
    "DEFAULT_EMBEDDING_BATCH_SIZE",
    "DEFAULT_MAX_MEMORY_BYTES",
    "DEFAULT_MAX_RESULTS",
    "DEFAULT_SEARCH_WINDOW",
    "Embedder",
    "MemoryService",
]

Embedder = Callable[[list[str]], Awaitable[Sequence[Sequence[float]]]]
"""An async callable from texts to one vector (a sequence of floats) per text."""

DEFAULT_MAX_RESULTS = 50
"""Memories a search returns at most (as ADK's SQLite memory service)."""
DEFAULT_MAX_MEMORY_BYTES = 262_144
"""The largest text of one memory, in UTF-8 bytes (ADK's SQLite service's index limit)."""
DEFAULT_EMBEDDING_BATCH_SIZE = 100
"""Texts given to the embedder in one call at most (Gemini's API takes 100 a request)."""

_encoder = msgspec.json.Encoder()


class MemoryService(StoreService[MemoryStore], BaseMemoryService):
    """ADK's ``BaseMemoryService`` over an adk-sqlite store: keyword search, and hybrid
    (keyword and semantic) search when given an embedder.

    Give it the store the app's `adk_sqlite.SessionService` uses, and sessions, artifacts
    and memory live in one database; add a session to it once a turn has run::

        store = SqliteStore("./agent.db")
        sessions, memory = SessionService(store), MemoryService(store)
        runner = Runner(
            agent=agent,  # e.g. LlmAgent(..., tools=[preload_memory_tool])
            app_name="support",
            session_service=sessions,
            memory_service=memory,
        )
        # after a turn:
        session = await sessions.get_session(app_name="support", user_id="ada", session_id=sid)
        await memory.add_session_to_memory(session)

    Every event with text becomes one memory (thought parts left out), found by its
    words whatever their case, accents or script. Adding a session again indexes only
    the events added since (the store remembers how far it got), and an event id is
    stored once: adding it again replaces its text.

    With ``embedder``, each memory's text is embedded once, when it is added, and a
    search embeds its query and fuses the keyword ranking with the ranking by cosine
    similarity (reciprocal rank fusion), so a memory that shares no word with the query
    but means the same is found too.

    Args:
        store: A store that keeps memories (`SqliteStore`).
        max_results: Memories a search returns at most.
        max_memory_bytes: The largest text of one memory in UTF-8 bytes; a larger one
            raises `MemoryTooLargeError` and nothing of that call is written.
        uri: Instead of ``store``: a service URL (``adk-sqlite:///agent.db``), as ADK's
            ``--memory_service_uri`` and ``services.yaml`` give it.
        agents_dir: Accepted because ADK passes it with ``uri``; not used.
        embedder: An async callable from a list of texts to one vector per text, all of
            one dimension (see `Embedder`; `adk_sqlite.testing.HashingEmbedder` is an
            offline one for tests). If it raises or returns unusable vectors, the call
            raises `EmbeddingError` and nothing is written.
        min_similarity: With an embedder: the least cosine similarity for a memory to
            be found by meaning alone (None: the nearest ones always compete).
        embedding_batch_size: Texts given to the embedder in one call at most.
        search_window: A keyword search ranks, of the user's newest ``search_window``
            memories, those that hold a query word, and of the older ones those that hold a
            rare word (one that at most 1,000 of them hold), so a search costs the
            same at 5,000 memories and at a million; a memory with a rare word is found
            at any age. None ranks every memory that holds a query word (bm25 over all
            of them). The vector side of a hybrid search always ranks every memory.

    Raises:
        ConfigurationError: The store keeps no memories, or an option is invalid.
    """

    def __init__(
        self,
        store: MemoryStore | None = None,
        *,
        max_results: int = DEFAULT_MAX_RESULTS,
        max_memory_bytes: int = DEFAULT_MAX_MEMORY_BYTES,
        uri: str | None = None,
        agents_dir: str | os.PathLike[str] | None = None,
        embedder: Embedder | None = None,
        min_similarity: float | None = None,
        embedding_batch_size: int = DEFAULT_EMBEDDING_BATCH_SIZE,
        search_window: int | None = DEFAULT_SEARCH_WINDOW,
    ) -> None:
        store = store_or_url(store, uri, service="MemoryService")
        if not isinstance(store, MemoryStore):
            raise ConfigurationError(f"{type(store).__name__} does not keep memories")
        for option, value in (
            ("max_results", max_results),
            ("max_memory_bytes", max_memory_bytes),
            ("embedding_batch_size", embedding_batch_size),
        ):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigurationError(f"{option}={value!r}: expected an integer >= 1")
        if search_window is not None and (
            not isinstance(search_window, int)
            or isinstance(search_window, bool)
            or search_window < 1
        ):
            raise ConfigurationError(
                f"search_window={search_window!r}: expected an integer >= 1, or None"
            )
        if embedder is not None and not callable(embedder):
            raise ConfigurationError(f"embedder={embedder!r}: expected an async callable")
        if min_similarity is not None and (
            isinstance(min_similarity, bool)
            or not isinstance(min_similarity, int | float)
            or not -1.0 <= min_similarity <= 1.0
        ):
            raise ConfigurationError(
                f"min_similarity={min_similarity!r}: expected a number from -1 to 1"
            )
        self._store = store
        self._search_window = search_window
        self._max_results = max_results
        self._max_bytes = max_memory_bytes
        self._embedder = embedder
        self._min_similarity = None if min_similarity is None else float(min_similarity)
        self._batch_size = embedding_batch_size

    # --- ingestion ------------------------------------------------------------------

    async def add_session_to_memory(self, session: Session) -> None:
        app_name, user_id = _scope(session.app_name, session.user_id)
        events = list(session.events)
        mark = await self._store.memory_watermark(
            app_name=app_name, user_id=user_id, session_id=session.id
        )
        start = 0
        if (
            mark is not None
            and 0 < mark.events <= len(events)
            and events[mark.events - 1].id == mark.last_event_id
        ):
            start = mark.events  # the events before are indexed already
        memories = await self._embedded(await self._memories_of(events[start:], session.id, None))
        watermark = None
        if events:
            watermark = (session.id, MemoryWatermark(len(events), events[-1].id))
        if memories or (watermark is not None and start < len(events)):
            await self._store.add_memories(
                app_name=app_name, user_id=user_id, memories=memories, watermark=watermark
            )

    async def add_events_to_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        events: Sequence[Event],
        session_id: str | None = None,
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        app_name, user_id = _scope(app_name, user_id)
        memories = await self._embedded(
            await self._memories_of(list(events), session_id or "", custom_metadata)
        )
        if memories:
            await self._store.add_memories(app_name=app_name, user_id=user_id, memories=memories)

    async def add_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        memories: Sequence[MemoryEntry],
        custom_metadata: Mapping[str, object] | None = None,
    ) -> None:
        """Stores entries as given (each must hold text); an entry's id keys it."""
        app_name, user_id = _scope(app_name, user_id)
        unembedded = []
        for entry in memories:
            text = _text_of(entry.content)
            if not text:
                raise InvalidArgumentError("a memory entry must hold at least one text part")
            metadata = {**entry.custom_metadata, **(custom_metadata or {})}
            unembedded.append(
                self._record(
                    entry.content,
                    text,
                    session_id=str(metadata.get("session_id") or ""),
                    event_id=entry.id,
                    author=entry.author,
                    timestamp=_parse_time(entry.timestamp),
                    metadata=metadata,
                )
            )
        records = await self._embedded(unembedded)
        if records:
            await self._store.add_memories(app_name=app_name, user_id=user_id, memories=records)

    async def _memories_of(
        self, events: list[Event], session_id: str, metadata: Mapping[str, object] | None
    ) -> list[_Unembedded]:
        """The memories of the events that hold text, built a slice per turn of the event
        loop: a whole session's are hundreds of milliseconds of work (10,000 events:
        650 ms, in one piece before)."""

        def memory_of(event: Event) -> _Unembedded | None:
            text = _text_of(event.content)
            if not text or event.content is None:
                return None
            return self._record(
                event.content,
                text,
                session_id=session_id,
                event_id=event.id,
                author=event.author or None,
                timestamp=float(event.timestamp),
                metadata=dict(metadata or {}),
            )

        return await decoded_in_slices(collections.deque(events), memory_of, most=len(events))

    def _record(
        self,
        content: types.Content,
        text: str,
        *,
        session_id: str,
        event_id: str | None,
        author: str | None,
        timestamp: float,
        metadata: Mapping[str, object],
    ) -> _Unembedded:
        """The memory of ``content`` (searchable text ``text``); without an ``event_id``,
        its id is `_digest`'s."""
        content_json = content.model_dump_json(exclude_none=True)
        event_id = event_id or _digest(author or "", timestamp, content_json)
        size = len(text.encode("utf-8"))
        if size > self._max_bytes:
            raise MemoryTooLargeError(
                f"memory {event_id!r} holds {size} bytes of text, more than this service's"
                f" max_memory_bytes ({self._max_bytes})"
            )
        try:
            encoded_metadata = _encoder.encode(dict(metadata)).decode()
        except (TypeError, msgspec.EncodeError) as exc:
            raise InvalidArgumentError(f"custom_metadata has no JSON form: {exc}") from exc
        record = MemoryRecord(
            session_id=session_id,
            event_id=event_id,
            author=author,
            timestamp=timestamp,
            content=content_json,
            search_text=searchable_text(text),
            custom_metadata=encoded_metadata,
        )
        return _Unembedded(record, text)

    async def _embedded(self, memories: list[_Unembedded]) -> list[MemoryRecord]:
        """The records, each with the vector of its text when there is an embedder."""
        if self._embedder is None or not memories:
            return [memory.record for memory in memories]
        vectors = await self._embed([memory.text for memory in memories])
        return [
            msgspec.structs.replace(memory.record, vector=vector)
            for memory, vector in zip(memories, vectors, strict=True)
        ]

    async def _embed(self, texts: list[str]) -> list[bytes]:
        """One packed unit vector per text, all of one dimension; any failure of the
        embedder becomes `EmbeddingError`, before anything is written."""
        assert self._embedder is not None
        vectors: list[bytes] = []
        dimensions: int | None = None
        for start in range(0, len(texts), self._batch_size):
            batch = texts[start : start + self._batch_size]
            try:
                result: object = await self._embedder(batch)
            except EmbeddingError:
                raise
            except Exception as exc:  # the embedder is the app's code: any failure
                raise EmbeddingError(
                    f"the embedder failed on {len(batch)} text(s): {type(exc).__name__}: {exc}"
                ) from exc
            if isinstance(result, str | bytes) or not isinstance(result, Sequence):
                raise EmbeddingError(
                    f"the embedder returned {type(result).__name__}; expected a list of vectors"
                )
            if len(result) != len(batch):
                raise EmbeddingError(
                    f"the embedder returned {len(result)} vector(s) for {len(batch)} text(s)"
                )
            for values in result:
                vector = pack_vector(values, expected=dimensions)
                dimensions = len(vector) // 4
                vectors.append(vector)
        return vectors

    # --- search and forgetting ------------------------------------------------------

    async def search_memory(
        self, *, app_name: str, user_id: str, query: str
    ) -> SearchMemoryResponse:
        app_name, user_id = _scope(app_name, user_id)
        terms = query_terms(query) if isinstance(query, str) else []
        if not terms:
            return SearchMemoryResponse()
        vector = None
        if self._embedder is not None:
            (vector,) = await self._embed([query])
        found = await self._store.search_memories(
            app_name=app_name,
            user_id=user_id,
            terms=terms,
            limit=self._max_results,
            vector=vector,
            min_similarity=self._min_similarity,
            window=self._search_window,
        )
        return SearchMemoryResponse(memories=[_entry(stored) for stored in found])

    async def delete_memory(
        self,
        *,
        app_name: str,
        user_id: str,
        memory_id: str | None = None,
        session_id: str | None = None,
        all_of_user: bool = False,
    ) -> None:
        """Deletes one memory by its id (`MemoryEntry.id`), or a scope of them.

        ``session_id`` deletes the memories of that session; ``all_of_user=True``
        every memory of the user in the app. With none of the three, nothing is
        deleted (as ADK's services do when given no id).
        """
        app_name, user_id = _scope(app_name, user_id)
        if memory_id is None and session_id is None and not all_of_user:
            return
        await self._store.delete_memories(
            app_name=app_name, user_id=user_id, memory_id=memory_id, session_id=session_id
        )

    def __repr__(self) -> str:
        return f"MemoryService({self._store!r})"


class _Unembedded(msgspec.Struct, frozen=True):
    """A record before its vector is added, with the text the embedder is given."""

    record: MemoryRecord
    text: str


def _scope(app_name: object, user_id: object) -> tuple[str, str]:
    for name, value in (("app_name", app_name), ("user_id", user_id)):
        if not isinstance(value, str) or not value:
            raise InvalidArgumentError(f"{name} must be a non-empty str, not {value!r}")
    return app_name, user_id  # type: ignore[return-value]


def _text_of(content: types.Content | None) -> str:
    """The searchable text of a content: its text parts, thoughts left out."""
    if content is None or not content.parts:
        return ""
    texts = [part.text for part in content.parts if part.text and not part.thought]
    return " ".join(texts).strip()


def _digest(author: str, timestamp: float, content: str) -> str:
    """The id of an event without one: a hash of author, timestamp and content (as ADK)."""
    return hashlib.sha256(f"{author}:{timestamp}:{content}".encode()).hexdigest()[:32]


def _parse_time(text: str | None) -> float:
    if not text:
        return time.time()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidArgumentError(f"timestamp {text!r} is not an ISO 8601 time") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _entry(stored: StoredMemory) -> MemoryEntry:
    record = stored.record
    metadata: dict[str, Any] = msgspec.json.decode(record.custom_metadata)
    if record.session_id:
        metadata["session_id"] = record.session_id
    metadata["event_id"] = record.event_id
    return MemoryEntry(
        id=stored.id,
        content=types.Content.model_validate_json(record.content),
        author=record.author,
        timestamp=datetime.fromtimestamp(record.timestamp, tz=UTC).isoformat(),
        custom_metadata=metadata,
    )
