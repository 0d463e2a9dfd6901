"""Memory service, "Beyond what ADK's suites exercise": ``add_memory`` and ``delete_memory``.

Covers adk-services.md, Memory service / Beyond what ADK's suites exercise: both
are optional in `BaseMemoryService` (they raise ``NotImplementedError``); ADK's
in-memory service implements ``delete_memory`` and then refuses to re-ingest a
deleted id; we implement both. Neither reference implements ``add_memory``, so
its tests are ``ours_only``; ADK's SQLite service implements no
``delete_memory`` (strict xfail there, ``raises=NotImplementedError``).

What these tests assume of our ``MemoryService`` (base_memory_service.py:97
and :142 give only the signatures):

``add_memory(*, app_name, user_id, memories: Sequence[MemoryEntry], custom_metadata=None)``
  - stores each entry as one memory of that app and user, found by the words of
    its content's text parts like an event (thought parts aside), returned with
    that content and author;
  - its ``timestamp`` (an ISO string) comes back as the same instant; an entry
    without one gets an ISO timestamp of when it was added;
  - an entry's ``id``, when set, is its identity, as an event id is: adding that
    id again replaces the memory. The `MemoryEntry.id` a search returns is the
    service's own (as for event memories), non-empty and distinct;
  - the entry's ``custom_metadata`` and the call's both come back in the result's
    ``custom_metadata``, merged, as ADK's Vertex AI Memory Bank service merges
    them (vertex_ai_memory_bank_service.py:981, ``_merge_custom_metadata_for_memory``).
  Left open: which side wins a key both set (Vertex: the entry's), an empty
  ``memories`` (Vertex raises ``ValueError``), entries without text, whether two
  id-less entries with the same content are one memory, and where an entry's own
  id shows in the result.

``delete_memory(*, app_name, user_id, memory_id=None)``
  - ``memory_id`` is a `MemoryEntry.id` a search of that app and user returned
    (base_memory_service.py:151); that memory, and only it, is gone from then on;
  - an unknown id, an id already deleted, or another scope's id: a no-op, never
    an error;
  - no id at all (``None``, ``""``): a no-op, as in ADK's in-memory service
    (in_memory_memory_service.py:209 ``if not memory_id: return``), not "every
    memory of the user";
  - a deleted event is not indexed again when its session is added again, as in
    ADK's in-memory service (in_memory_memory_service.py:110); the session's
    later events still are. Left open: an explicit ``add_events_to_memory`` of
    the deleted event.
"""

from __future__ import annotations

import time

import pytest
from google.adk.memory.base_memory_service import BaseMemoryService
from google.adk.memory.memory_entry import MemoryEntry
from google.genai import types

from ._support import (
    ADK_SQLITE,
    APP,
    OTHER_APP,
    OTHER_USER,
    T0,
    USER,
    add_events,
    found,
    instant,
    make_session,
    search,
    text_event,
    text_of,
    xfail_on,
)
from .conftest import OpenService

_NO_DELETE = (
    "SqliteMemoryService implements no delete_memory; the base raises "
    "NotImplementedError: base_memory_service.py:163"
)


def entry(
    text: str,
    *,
    memory_id: str | None = None,
    author: str | None = None,
    custom_metadata: dict[str, object] | None = None,
) -> MemoryEntry:
    """A `MemoryEntry` of one text part."""
    return MemoryEntry(
        content=types.Content(role="user", parts=[types.Part(text=text)]),
        id=memory_id,
        author=author,
        custom_metadata=dict(custom_metadata or {}),
    )


async def add_memory(
    service: BaseMemoryService,
    *entries: MemoryEntry,
    app: str = APP,
    user: str = USER,
    custom_metadata: dict[str, object] | None = None,
) -> None:
    await service.add_memory(
        app_name=app, user_id=user, memories=list(entries), custom_metadata=custom_metadata
    )


async def delete(
    service: BaseMemoryService, memory_id: str | None, *, app: str = APP, user: str = USER
) -> None:
    await service.delete_memory(app_name=app, user_id=user, memory_id=memory_id)


async def the_id_of(service: BaseMemoryService, query: str) -> str:
    """The id of the one memory ``query`` finds."""
    [found_entry] = await search(service, query)
    assert found_entry.id
    return found_entry.id


# --- add_memory -------------------------------------------------------------------------


@pytest.mark.ours_only
async def test_an_added_memory_is_found_with_its_content_author_and_timestamp(
    memory_service: BaseMemoryService,
) -> None:
    given = MemoryEntry(
        content=types.Content(
            role="user",
            parts=[
                types.Part(text="I prefer window seats"),
                types.Part(text="private aside", thought=True),
            ],
        ),
        author="user",
        timestamp="2023-11-14T22:13:20.250000+00:00",
    )
    await add_memory(memory_service, given)

    [result] = await search(memory_service, "Which seats?")

    assert result.content == given.content
    assert result.author == "user"
    assert instant(result) == pytest.approx(T0, abs=1e-3)
    assert await found(memory_service, "aside") == []


@pytest.mark.ours_only
async def test_added_memories_are_seen_only_in_their_app_and_user(
    memory_service: BaseMemoryService,
) -> None:
    await add_memory(memory_service, entry("likes jazz mine"), entry("likes tea mine"))
    await add_memory(memory_service, entry("likes jazz theirs"), user=OTHER_USER)
    await add_memory(memory_service, entry("likes jazz other app"), app=OTHER_APP)

    assert sorted(await found(memory_service, "likes")) == ["likes jazz mine", "likes tea mine"]
    assert await found(memory_service, "jazz", user=OTHER_USER) == ["likes jazz theirs"]
    assert await found(memory_service, "jazz", app=OTHER_APP) == ["likes jazz other app"]


@pytest.mark.ours_only
async def test_an_added_memory_without_a_timestamp_gets_the_time_it_was_added(
    memory_service: BaseMemoryService,
) -> None:
    before = time.time()
    await add_memory(memory_service, entry("allergic to peanuts"))
    after = time.time()

    [result] = await search(memory_service, "peanuts")

    assert before - 1 <= instant(result) <= after + 1


@pytest.mark.ours_only
async def test_an_entry_id_is_its_identity(memory_service: BaseMemoryService) -> None:
    await add_memory(memory_service, entry("lives in Porto", memory_id="home"), entry("owns a cat"))
    await add_memory(memory_service, entry("lives in Braga", memory_id="home", author="user"))

    [home] = await search(memory_service, "lives")
    assert text_of(home) == "lives in Braga"
    assert home.author == "user"
    [cat] = await search(memory_service, "cat")
    assert home.id
    assert cat.id
    assert home.id != cat.id
    assert await found(memory_service, "Porto") == []


@pytest.mark.ours_only
async def test_the_entrys_and_the_calls_custom_metadata_come_back(
    memory_service: BaseMemoryService,
) -> None:
    await add_memory(
        memory_service,
        entry("speaks Finnish", custom_metadata={"confidence": 0.9, "tags": ["lang"]}),
        entry("speaks Welsh"),
        custom_metadata={"source": "import", "batch": 7},
    )

    [finnish] = await search(memory_service, "Finnish")
    [welsh] = await search(memory_service, "Welsh")
    assert finnish.custom_metadata["confidence"] == 0.9
    assert finnish.custom_metadata["tags"] == ["lang"]
    assert finnish.custom_metadata["source"] == "import"
    assert finnish.custom_metadata["batch"] == 7
    assert welsh.custom_metadata["source"] == "import"
    assert welsh.custom_metadata["batch"] == 7
    assert "confidence" not in welsh.custom_metadata


@pytest.mark.ours_only
async def test_added_memories_and_event_memories_are_found_together(
    memory_service: BaseMemoryService,
) -> None:
    await memory_service.add_session_to_memory(make_session(text_event("hiking on Sunday")))
    await add_memory(memory_service, entry("hiking boots size 43", memory_id="boots"))

    assert sorted(await found(memory_service, "hiking")) == [
        "hiking boots size 43",
        "hiking on Sunday",
    ]


@pytest.mark.ours_only
async def test_an_added_memory_can_be_deleted_by_its_id(memory_service: BaseMemoryService) -> None:
    await add_memory(
        memory_service,
        entry("drinks oat milk", memory_id="milk"),
        entry("drinks cola"),
        entry("drinks water"),
    )

    await delete(memory_service, await the_id_of(memory_service, "milk"))
    await delete(memory_service, await the_id_of(memory_service, "cola"))

    assert await found(memory_service, "drinks") == ["drinks water"]


# --- delete_memory ----------------------------------------------------------------------


@xfail_on(ADK_SQLITE, reason=_NO_DELETE, raises=NotImplementedError)
async def test_delete_removes_that_memory_and_only_it(memory_service: BaseMemoryService) -> None:
    await memory_service.add_session_to_memory(
        make_session(
            text_event("gym on monday", timestamp=T0),
            text_event("gym on tuesday", timestamp=T0 + 1),
            text_event("gym on friday", timestamp=T0 + 2),
        )
    )

    await delete(memory_service, await the_id_of(memory_service, "tuesday"))

    assert sorted(await found(memory_service, "gym")) == ["gym on friday", "gym on monday"]
    assert await found(memory_service, "tuesday") == []


@xfail_on(ADK_SQLITE, reason=_NO_DELETE, raises=NotImplementedError)
async def test_delete_with_an_unknown_id_is_a_no_op(memory_service: BaseMemoryService) -> None:
    await add_events(memory_service, text_event("swim at dawn", event_id="e1"))
    memory_id = await the_id_of(memory_service, "swim")

    for unknown in ["no-such-memory", "e2", "0", "999999", f"{memory_id}0", "' OR 1=1 --"]:
        await delete(memory_service, unknown)
    await delete(memory_service, memory_id, app="no_app", user="nobody")

    assert await found(memory_service, "swim") == ["swim at dawn"]


@xfail_on(ADK_SQLITE, reason=_NO_DELETE, raises=NotImplementedError)
@pytest.mark.parametrize("memory_id", [None, ""], ids=repr)
async def test_delete_with_no_id_is_a_no_op(
    memory_service: BaseMemoryService, memory_id: str | None
) -> None:
    await add_events(memory_service, text_event("swim at dawn"), text_event("swim at dusk"))
    await add_events(memory_service, text_event("swim at noon"), session_id=None)

    await delete(memory_service, memory_id)

    assert sorted(await found(memory_service, "swim")) == [
        "swim at dawn",
        "swim at dusk",
        "swim at noon",
    ]


@xfail_on(ADK_SQLITE, reason=_NO_DELETE, raises=NotImplementedError)
async def test_deleting_twice_is_a_no_op(memory_service: BaseMemoryService) -> None:
    await add_events(memory_service, text_event("yoga class"), text_event("yoga mat"))
    memory_id = await the_id_of(memory_service, "class")

    await delete(memory_service, memory_id)
    await delete(memory_service, memory_id)

    assert await found(memory_service, "yoga") == ["yoga mat"]


@xfail_on(ADK_SQLITE, reason=_NO_DELETE, raises=NotImplementedError)
async def test_delete_in_another_scope_touches_nothing(memory_service: BaseMemoryService) -> None:
    await add_events(memory_service, text_event("tennis lesson", event_id="e1"))
    for app, user in [(APP, OTHER_USER), (OTHER_APP, USER)]:
        await add_events(
            memory_service, text_event("tennis racket", event_id="e2"), app=app, user=user
        )
    memory_id = await the_id_of(memory_service, "tennis")

    await delete(memory_service, memory_id, user=OTHER_USER)
    await delete(memory_service, memory_id, app=OTHER_APP)
    assert await found(memory_service, "tennis") == ["tennis lesson"]

    await delete(memory_service, memory_id)
    assert await found(memory_service, "tennis") == []
    assert await found(memory_service, "tennis", user=OTHER_USER) == ["tennis racket"]
    assert await found(memory_service, "tennis", app=OTHER_APP) == ["tennis racket"]


@xfail_on(ADK_SQLITE, reason=_NO_DELETE, raises=NotImplementedError)
async def test_a_deleted_event_is_not_indexed_again_when_its_session_is_added_again(
    memory_service: BaseMemoryService,
) -> None:
    session = make_session(
        text_event("piano at six", event_id="e1", timestamp=T0),
        text_event("piano at seven", event_id="e2", timestamp=T0 + 1),
    )
    await memory_service.add_session_to_memory(session)
    await delete(memory_service, await the_id_of(memory_service, "six"))

    await memory_service.add_session_to_memory(session)
    session.events.append(text_event("piano at eight", event_id="e3", timestamp=T0 + 2))
    await memory_service.add_session_to_memory(session)

    assert sorted(await found(memory_service, "piano")) == ["piano at eight", "piano at seven"]
    assert await found(memory_service, "six") == []


@xfail_on(ADK_SQLITE, reason=_NO_DELETE, raises=NotImplementedError)
async def test_a_second_instance_no_longer_finds_a_deleted_memory(
    memory_service: BaseMemoryService, open_second_service: OpenService
) -> None:
    await add_events(memory_service, text_event("chess club"), text_event("chess book"))

    async with open_second_service() as second:
        await delete(second, await the_id_of(second, "club"))

        assert await found(second, "chess") == ["chess book"]
    assert await found(memory_service, "chess") == ["chess book"]
