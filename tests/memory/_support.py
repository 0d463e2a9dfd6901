"""Names, builders and the per-reference xfail mark shared by the memory contract tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import pytest
from google.adk.events.event import Event
from google.adk.memory.base_memory_service import BaseMemoryService
from google.adk.memory.memory_entry import MemoryEntry
from google.adk.sessions.session import Session
from google.genai import types

from ._backends import BACKENDS, REFERENCE_BACKENDS

APP = "my_app"
USER = "user0"
SESSION = "s1"
OTHER_SESSION = "s2"
OTHER_USER = "user1"
OTHER_APP = "other_app"

# A fixed clock, so that "newest" is decided by the test and not by the machine.
T0 = 1_700_000_000.25

IN_MEMORY = "adk-memory"
ADK_SQLITE = "adk-sqlite-memory"

_Test = TypeVar("_Test", bound=Callable[..., Any])
_XFAIL_ATTRIBUTE = "_memory_contract_xfail_on"


def xfail_on(
    backend: str, *, reason: str, raises: type[BaseException] | None = None
) -> Callable[[_Test], _Test]:
    """Marks a test strict-xfail on one reference backend only.

    For a line where we chose one ADK service's behaviour and the other reference
    does otherwise: the test states what our backends must do, and the reference
    is expected to fail it (strict: should it ever pass, the mark is stale).
    ``reason`` cites the ADK source line. Stack it once per reference.
    """
    assert backend in REFERENCE_BACKENDS, f"xfail_on is for references, not {backend!r}"
    assert backend in BACKENDS, backend

    def mark(test: _Test) -> _Test:
        table: dict[str, pytest.MarkDecorator] = test.__dict__.setdefault(_XFAIL_ATTRIBUTE, {})
        table[backend] = pytest.mark.xfail(strict=True, reason=reason, raises=raises)
        return test

    return mark


def xfail_marks(test: Callable[..., Any], backend: str) -> list[pytest.MarkDecorator]:
    """The `xfail_on` marks ``test`` carries for ``backend``."""
    table: dict[str, pytest.MarkDecorator] = getattr(test, _XFAIL_ATTRIBUTE, {})
    return [table[backend]] if backend in table else []


# --- building sessions and events -------------------------------------------------------


def text_event(
    text: str,
    *,
    author: str = "user",
    timestamp: float | None = None,
    event_id: str | None = None,
) -> Event:
    """An event whose content is one text part (role ``user`` for the user, else ``model``)."""
    return parts_event(types.Part(text=text), author=author, timestamp=timestamp, event_id=event_id)


def parts_event(
    *parts: types.Part,
    author: str = "model",
    timestamp: float | None = None,
    event_id: str | None = None,
) -> Event:
    """An event whose content is ``parts``."""
    fields: dict[str, Any] = {}
    if timestamp is not None:
        fields["timestamp"] = timestamp
    if event_id is not None:
        fields["id"] = event_id
    role = "user" if author == "user" else "model"
    return Event(
        invocation_id="inv",
        author=author,
        content=types.Content(role=role, parts=list(parts)),
        **fields,
    )


def make_session(
    *events: Event, app: str = APP, user: str = USER, session_id: str = SESSION
) -> Session:
    """A `Session` holding ``events`` (the same objects, in order)."""
    return Session(id=session_id, app_name=app, user_id=user, events=list(events))


# --- adding and searching --------------------------------------------------------------


async def add_events(
    service: BaseMemoryService,
    *events: Event,
    app: str = APP,
    user: str = USER,
    session_id: str | None = SESSION,
) -> None:
    """``add_events_to_memory`` of ``events`` in one call."""
    await service.add_events_to_memory(
        app_name=app, user_id=user, events=list(events), session_id=session_id
    )


async def search(
    service: BaseMemoryService, query: str, *, app: str = APP, user: str = USER
) -> list[MemoryEntry]:
    """The memories ``query`` finds in the app and user's scope, in result order."""
    response = await service.search_memory(app_name=app, user_id=user, query=query)
    return list(response.memories)


def text_of(entry: MemoryEntry) -> str:
    """The entry's text as ADK's memory tools read it: its text parts joined by a space."""
    return " ".join(part.text for part in entry.content.parts or [] if part.text)


async def found(
    service: BaseMemoryService, query: str, *, app: str = APP, user: str = USER
) -> list[str]:
    """The texts of the memories ``query`` finds, in result order."""
    return [text_of(entry) for entry in await search(service, query, app=app, user=user)]


def instant(entry: MemoryEntry) -> float:
    """The entry's timestamp, which must be an ISO 8601 string, as Unix seconds.

    A timestamp without a UTC offset is read as local time, as ADK writes it
    (``datetime.fromtimestamp(ts).isoformat()``, google/adk/memory/_utils.py:23).
    """
    assert isinstance(entry.timestamp, str), entry.timestamp
    return datetime.fromisoformat(entry.timestamp).timestamp()
