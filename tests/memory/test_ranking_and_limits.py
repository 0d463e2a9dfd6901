"""Memory service, "Search" / ranking and result size.

Covers adk-services.md, Memory service / Search:
- Ranking: more query words matched first ("The deploy status is ready." before
  "The deploy is ready." before "Ready."), also when the memory matching fewer
  words is shorter (ADK's SQLite service ranks by bm25 alone and fails that);
  ties newest first (our choice, ADK's SQLite service's; its in-memory service
  keeps insertion order).
- Result size: up to 50 by default (our choice, ADK's SQLite service's; its
  in-memory service returns at most 10); the best-ranked, then the newest, are
  the ones kept; other scopes take no places.
"""

from __future__ import annotations

import pytest
from google.adk.events.event import Event
from google.adk.memory.base_memory_service import BaseMemoryService

from ._support import (
    ADK_SQLITE,
    IN_MEMORY,
    OTHER_APP,
    OTHER_SESSION,
    OTHER_USER,
    T0,
    USER,
    add_events,
    found,
    make_session,
    text_event,
    xfail_on,
)

_TEN_LIMIT = (
    "InMemoryMemoryService returns at most 10: in_memory_memory_service.py:36 "
    "`_MAX_SEARCH_RESULTS = 10`"
)
_INSERTION_ORDER = (
    "InMemoryMemoryService keeps equal matches in insertion order: "
    "in_memory_memory_service.py:196 (a stable sort on the match count alone)"
)

# --- more words matched first -----------------------------------------------------------


async def test_more_query_words_matched_come_first(memory_service: BaseMemoryService) -> None:
    # Added fewest-matches-first and newest-last, so neither insertion order nor
    # recency gives the expected order.
    await add_events(
        memory_service,
        text_event("Ready.", timestamp=T0 + 3),
        text_event("The deploy is ready.", timestamp=T0 + 2),
        text_event("The deploy status is ready.", timestamp=T0 + 1),
        text_event("Lunch at noon.", timestamp=T0 + 4),
    )

    assert await found(memory_service, "Is the deploy status ready?") == [
        "The deploy status is ready.",
        "The deploy is ready.",
        "Ready.",
    ]


@xfail_on(
    ADK_SQLITE,
    reason="SqliteMemoryService orders by bm25 alone, where a short memory matching one "
    "word outscores a long one matching two: _sqlite_memory_service.py:408 "
    "`ORDER BY bm25(memory_events_fts), memory_events.timestamp DESC`",
)
async def test_more_query_words_matched_come_first_even_against_a_shorter_memory(
    memory_service: BaseMemoryService,
) -> None:
    filler = " ".join(f"filler{i}" for i in range(40))
    long_two_words = f"banana apple {filler}"
    await add_events(
        memory_service,
        text_event(long_two_words, timestamp=T0),
        text_event("apple", timestamp=T0 + 1),
        *[text_event(f"banana {i}", timestamp=T0 + 2 + i) for i in range(3)],
    )

    results = await found(memory_service, "apple banana")

    assert results[0] == long_two_words
    assert sorted(results[1:]) == ["apple", "banana 0", "banana 1", "banana 2"]


# --- ties -------------------------------------------------------------------------------


@xfail_on(IN_MEMORY, reason=_INSERTION_ORDER)
async def test_ties_come_newest_first(memory_service: BaseMemoryService) -> None:
    # Equal matches: one word each, in texts of one length.
    await add_events(
        memory_service,
        text_event("apple one", timestamp=T0 + 2),
        text_event("apple two", timestamp=T0 + 4),
        text_event("apple six", timestamp=T0 + 1),
    )
    await memory_service.add_session_to_memory(
        make_session(
            text_event("apple ten", timestamp=T0 + 3),
            text_event("apple egg", timestamp=T0 + 5),
            session_id=OTHER_SESSION,
        )
    )
    await add_events(memory_service, text_event("apple fig", timestamp=T0), session_id=None)

    assert await found(memory_service, "apple") == [
        "apple egg",
        "apple two",
        "apple ten",
        "apple one",
        "apple six",
        "apple fig",
    ]


@xfail_on(IN_MEMORY, reason=_INSERTION_ORDER)
async def test_equal_matches_of_different_words_come_newest_first(
    memory_service: BaseMemoryService,
) -> None:
    await add_events(
        memory_service,
        text_event("red apple", timestamp=T0 + 1),
        text_event("red pear", timestamp=T0 + 2),
        text_event("red kiwi", timestamp=T0 + 3),
        text_event("green apple", timestamp=T0 + 4),
        text_event("green pear", timestamp=T0 + 5),
    )

    assert await found(memory_service, "apple pear") == [
        "green pear",
        "green apple",
        "red pear",
        "red apple",
    ]


# --- result size ------------------------------------------------------------------------


def _equal_matches(count: int, *, start: float = T0) -> list[Event]:
    # Oldest first; the same number of words in each, so all tie.
    return [text_event(f"apple {i}", timestamp=start + i) for i in range(count)]


@pytest.mark.parametrize("count", [1, 3, 10])
async def test_every_match_comes_back_up_to_ten(
    memory_service: BaseMemoryService, count: int
) -> None:
    await add_events(memory_service, *_equal_matches(count))

    assert sorted(await found(memory_service, "apple")) == sorted(
        f"apple {i}" for i in range(count)
    )


@xfail_on(IN_MEMORY, reason=_TEN_LIMIT)
@pytest.mark.parametrize(("count", "expected"), [(11, 11), (50, 50), (51, 50), (80, 50)])
async def test_up_to_fifty_results_by_default(
    memory_service: BaseMemoryService, count: int, expected: int
) -> None:
    await add_events(memory_service, *_equal_matches(count))

    results = await found(memory_service, "apple")

    assert len(results) == expected
    assert len(set(results)) == expected


@xfail_on(IN_MEMORY, reason=_TEN_LIMIT)
async def test_the_limit_keeps_the_newest_of_equal_matches_newest_first(
    memory_service: BaseMemoryService,
) -> None:
    events = _equal_matches(60)
    # Added in an order unrelated to their timestamps.
    await add_events(memory_service, *events[1::2])
    await add_events(memory_service, *events[::2])

    assert await found(memory_service, "apple") == [f"apple {i}" for i in range(59, 9, -1)]


async def test_the_limit_keeps_the_best_matches(memory_service: BaseMemoryService) -> None:
    await add_events(memory_service, text_event("apple banana cherry", timestamp=T0 - 100))
    await add_events(memory_service, *_equal_matches(60))

    results = await found(memory_service, "apple banana cherry")

    assert results[0] == "apple banana cherry"
    assert len(results) in (10, 50)
    assert set(results[1:]) <= {f"apple {i}" for i in range(60)}


async def test_other_scopes_take_no_places_in_the_results(
    memory_service: BaseMemoryService,
) -> None:
    await add_events(memory_service, *_equal_matches(60, start=T0 + 100), user=OTHER_USER)
    await add_events(memory_service, *_equal_matches(60, start=T0 + 100), app=OTHER_APP)
    await add_events(memory_service, *_equal_matches(4))

    assert sorted(await found(memory_service, "apple", user=USER)) == [
        f"apple {i}" for i in range(4)
    ]
