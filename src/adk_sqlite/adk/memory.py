"""`MemoryService`: ADK's memory service over an adk-sqlite store.

The service knows ADK's semantics (which events are memories, event ids, the
``MemoryEntry`` it returns) and normalises text (`adk_sqlite.codec.memory_text`); the
store keeps the memories and their full-text index (`adk_sqlite.memory_store`).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import msgspec
from google.adk.memory.base_memory_service import BaseMemoryService, SearchMemoryResponse
from google.adk.memory.memory_entry import MemoryEntry
from google.genai import types

from adk_sqlite.adk.store_argument import StoreService, store_or_url
from adk_sqlite.codec.memory_text import query_terms, searchable_text
from adk_sqlite.errors import ConfigurationError, InvalidArgumentError, MemoryTooLargeError
from adk_sqlite.memory_records import MemoryRecord, MemoryWatermark, StoredMemory
from adk_sqlite.memory_store import MemoryStore

if TYPE_CHECKING:
    from google.adk.events.event import Event
    from google.adk.sessions.session import Session

__all__ = ["DEFAULT_MAX_MEMORY_BYTES", "DEFAULT_MAX_RESULTS", "MemoryService"]

DEFAULT_MAX_RESULTS = 50
"""Memories a search returns at most (as ADK's SQLite memory service)."""
DEFAULT_MAX_MEMORY_BYTES = 262_144
"""The largest text of one memory, in UTF-8 bytes (ADK's SQLite service's index limit)."""

_encoder = msgspec.json.Encoder()


class MemoryService(StoreService[MemoryStore], BaseMemoryService):
    """ADK's ``BaseMemoryService`` over an adk-sqlite store, with keyword search.

    Give it the store the app's `adk_sqlite.SessionService` uses, and sessions, artifacts
    and memory live in one database::

        store = SqliteStore("./agent.db")
        runner = Runner(
            agent=agent,
            app_name="support",
            session_service=SessionService(store),
            memory_service=MemoryService(store),
        )

    Every event with text becomes one memory (thought parts left out), found by its
    words whatever their case, accents or script. Adding a session again indexes only
    the events added since (the store remembers how far it got), and an event id is
    stored once: adding it again replaces its text.

    Args:
        store: A store that keeps memories (`SqliteStore`).
        max_results: Memories a search returns at most.
        max_memory_bytes: The largest text of one memory in UTF-8 bytes; a larger one
            raises `MemoryTooLargeError` and nothing of that call is written.
        uri: Instead of ``store``: a service URL (``adk-sqlite:///agent.db``), as ADK's
            ``--memory_service_uri`` and ``services.yaml`` give it.
        agents_dir: Accepted because ADK passes it with ``uri``; not used.

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
    ) -> None:
        store = store_or_url(store, uri, service="MemoryService")
        if not isinstance(store, MemoryStore):
            raise ConfigurationError(f"{type(store).__name__} does not keep memories")
        for option, value in (("max_results", max_results), ("max_memory_bytes", max_memory_bytes)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigurationError(f"{option}={value!r}: expected an integer >= 1")
        self._store = store
        self._max_results = max_results
        self._max_bytes = max_memory_bytes

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
        memories = self._memories_of(events[start:], session.id, None)
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
        memories = self._memories_of(list(events), session_id or "", custom_metadata)
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
        records = []
        for entry in memories:
            text = _text_of(entry.content)
            if not text:
                raise InvalidArgumentError("a memory entry must hold at least one text part")
            timestamp = _parse_time(entry.timestamp)
            content = entry.content.model_dump_json(exclude_none=True)
            metadata = {**entry.custom_metadata, **(custom_metadata or {})}
            records.append(
                self._record(
                    session_id=str(metadata.get("session_id") or ""),
                    event_id=entry.id or _digest(entry.author or "", timestamp, content),
                    author=entry.author,
                    timestamp=timestamp,
                    content=content,
                    text=text,
                    metadata=metadata,
                )
            )
        if records:
            await self._store.add_memories(app_name=app_name, user_id=user_id, memories=records)

    def _memories_of(
        self, events: list[Event], session_id: str, metadata: Mapping[str, object] | None
    ) -> list[MemoryRecord]:
        records = []
        for event in events:
            text = _text_of(event.content)
            if not text or event.content is None:
                continue
            content = event.content.model_dump_json(exclude_none=True)
            timestamp = float(event.timestamp)
            author = event.author or None
            records.append(
                self._record(
                    session_id=session_id,
                    event_id=event.id or _digest(event.author or "", timestamp, content),
                    author=author,
                    timestamp=timestamp,
                    content=content,
                    text=text,
                    metadata=dict(metadata or {}),
                )
            )
        return records

    def _record(
        self,
        *,
        session_id: str,
        event_id: str,
        author: str | None,
        timestamp: float,
        content: str,
        text: str,
        metadata: Mapping[str, object],
    ) -> MemoryRecord:
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
        return MemoryRecord(
            session_id=session_id,
            event_id=event_id,
            author=author,
            timestamp=timestamp,
            content=content,
            search_text=searchable_text(text),
            custom_metadata=encoded_metadata,
        )

    # --- search and forgetting ------------------------------------------------------

    async def search_memory(
        self, *, app_name: str, user_id: str, query: str
    ) -> SearchMemoryResponse:
        app_name, user_id = _scope(app_name, user_id)
        terms = query_terms(query) if isinstance(query, str) else []
        if not terms:
            return SearchMemoryResponse()
        found = await self._store.search_memories(
            app_name=app_name, user_id=user_id, terms=terms, limit=self._max_results
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
