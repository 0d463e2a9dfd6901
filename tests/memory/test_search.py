"""Memory service, "Search": scope, word matching, punctuation, blank queries, entries.

Covers adk-services.md, Memory service / Search:
- ``search_memory`` sees only that app's and that user's memories;
  ``app/other-user`` + ``user`` never aliases ``app`` + ``other-user/user``.
- Whole words, case-insensitive, any query word counting: "What is my favorite
  fruit?" finds "My favorite fruit is apple"; ``thon`` does not match
  ``Python``; common words such as "is" are not dropped.
- Punctuation ignored on both sides ("Which fruit?", "How about ADK?" and
  "(ADK)"); ``%`` and ``_`` in a query are literal (``100%`` finds "100%", not
  "1000").
- Empty or blank queries return nothing.
- Each `MemoryEntry` carries the event's content (text intact), its author and
  an ISO timestamp (never None); ``custom_metadata`` carries ``session_id`` and
  ``event_id`` (our choice, ADK's SQLite service's); ids are non-empty and
  distinct.

Unicode is in test_unicode.py, ranking and result size in
test_ranking_and_limits.py, hostile query text in test_query_safety.py.
"""

from __future__ import annotations

import pytest
from google.adk.memory.base_memory_service import BaseMemoryService
from google.genai import types

from ._support import (
    ADK_SQLITE,
    APP,
    IN_MEMORY,
    OTHER_APP,
    OTHER_SESSION,
    OTHER_USER,
    SESSION,
    T0,
    USER,
    add_events,
    found,
    instant,
    make_session,
    parts_event,
    search,
    text_event,
    xfail_on,
)

# --- scope ------------------------------------------------------------------------------


async def test_search_sees_only_its_apps_and_users_memories(
    memory_service: BaseMemoryService,
) -> None:
    scopes = [(APP, USER), (APP, OTHER_USER), (OTHER_APP, USER), (OTHER_APP, OTHER_USER)]
    for app, user in scopes:
        await memory_service.add_session_to_memory(
            make_session(text_event(f"apple of {app} {user}"), app=app, user=user)
        )
        await add_events(
            memory_service, text_event(f"apple delta {app} {user}"), app=app, user=user
        )

    for app, user in scopes:
        assert sorted(await found(memory_service, "apple", app=app, user=user)) == [
            f"apple delta {app} {user}",
            f"apple of {app} {user}",
        ]
    assert await found(memory_service, "apple", app="third_app", user=USER) == []
    assert await found(memory_service, "apple", app=APP, user="user2") == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("app/other-user", "user"), ("app", "other-user/user")),
        (("app:other-user", "user"), ("app", "other-user:user")),
        (("app|other-user", "user"), ("app", "other-user|user")),
        (("app", "user"), ("ap", "puser")),
    ],
    ids=["slash", "colon", "pipe", "split"],
)
async def test_scopes_that_join_to_the_same_text_never_alias(
    memory_service: BaseMemoryService, first: tuple[str, str], second: tuple[str, str]
) -> None:
    await add_events(memory_service, text_event("apple first"), app=first[0], user=first[1])
    await add_events(memory_service, text_event("apple second"), app=second[0], user=second[1])

    assert await found(memory_service, "apple", app=first[0], user=first[1]) == ["apple first"]
    assert await found(memory_service, "apple", app=second[0], user=second[1]) == ["apple second"]


# --- words ------------------------------------------------------------------------------


async def test_any_query_word_counts_case_insensitively(memory_service: BaseMemoryService) -> None:
    await add_events(
        memory_service,
        text_event("My favorite fruit is apple", timestamp=T0),
        text_event("The weather was cold", timestamp=T0 + 1),
        text_event("I drive a truck", timestamp=T0 + 2),
    )

    assert await found(memory_service, "What is my favorite fruit?") == [
        "My favorite fruit is apple"
    ]
    assert await found(memory_service, "APPLE") == ["My favorite fruit is apple"]
    assert await found(memory_service, "weather forecast zebra") == ["The weather was cold"]
    assert await found(memory_service, "zebra giraffe") == []


@pytest.mark.parametrize("query", ["thon", "Pyth", "ytho", "Pythons", "Py thon"])
async def test_a_part_of_a_word_does_not_match_it(
    memory_service: BaseMemoryService, query: str
) -> None:
    await add_events(memory_service, text_event("I write Python every day"))

    assert await found(memory_service, query) == []


@pytest.mark.parametrize("query", ["Python", "python", "PYTHON", "pYtHoN"])
async def test_the_whole_word_matches_in_any_case(
    memory_service: BaseMemoryService, query: str
) -> None:
    await add_events(memory_service, text_event("I write Python every day"))

    assert await found(memory_service, query) == ["I write Python every day"]


async def test_common_words_are_not_dropped(memory_service: BaseMemoryService) -> None:
    await add_events(
        memory_service,
        text_event("This island is big", timestamp=T0),
        text_event("this was it", timestamp=T0 + 1),
        text_event("Is it?", timestamp=T0 + 2),
    )

    assert sorted(await found(memory_service, "is")) == ["Is it?", "This island is big"]
    assert sorted(await found(memory_service, "the a it")) == ["Is it?", "this was it"]


# --- punctuation, % and _ ---------------------------------------------------------------


async def test_punctuation_is_ignored_on_both_sides(memory_service: BaseMemoryService) -> None:
    await add_events(
        memory_service,
        text_event("My favorite fruit is apple.", timestamp=T0),
        text_event("We build agents with (ADK).", timestamp=T0 + 1),
        text_event("Hello, world! Done... ok?", timestamp=T0 + 2),
    )

    assert await found(memory_service, "Which fruit?") == ["My favorite fruit is apple."]
    assert await found(memory_service, "How about ADK?") == ["We build agents with (ADK)."]
    assert await found(memory_service, "apple") == ["My favorite fruit is apple."]
    assert await found(memory_service, '"apple"!!!') == ["My favorite fruit is apple."]
    assert await found(memory_service, "world") == ["Hello, world! Done... ok?"]
    assert await found(memory_service, "done; OK.") == ["Hello, world! Done... ok?"]


async def test_percent_and_underscore_in_a_query_are_literal(
    memory_service: BaseMemoryService,
) -> None:
    await add_events(
        memory_service,
        text_event("I am 100% sure", timestamp=T0),
        text_event("We sold 1000 units", timestamp=T0 + 1),
        text_event("the x_y field", timestamp=T0 + 2),
        text_event("the xzy field", timestamp=T0 + 3),
        text_event("abc", timestamp=T0 + 4),
    )

    assert await found(memory_service, "100%") == ["I am 100% sure"]
    assert await found(memory_service, "100") == ["I am 100% sure"]
    assert await found(memory_service, "x_y") == ["the x_y field"]
    for query in ["%", "_", "%%", "10%", "1%0", "a%c", "a_c", "x_z", "x%z", "%bc", "ab_", "__"]:
        assert await found(memory_service, query) == [], query


@xfail_on(
    ADK_SQLITE,
    reason="SqliteMemoryService's FTS5 tokenizer, tokenize='unicode61' "
    "(_sqlite_memory_service.py:84), splits words at '_', so x_y is the words x and y",
)
async def test_an_underscore_joins_a_word(memory_service: BaseMemoryService) -> None:
    # Our choice where ADK's services disagree: a word is a run of \w characters,
    # as ADK's in-memory service reads it (in_memory_memory_service.py:52).
    await add_events(
        memory_service,
        text_event("set snake_case names", timestamp=T0),
        text_event("the x y pair", timestamp=T0 + 1),
    )

    assert await found(memory_service, "snake_case") == ["set snake_case names"]
    assert await found(memory_service, "snake") == []
    assert await found(memory_service, "case") == []
    assert await found(memory_service, "x_y") == []
    assert await found(memory_service, "snake%case") == []


# --- blank queries ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["", " ", "   ", "\t\n", "\u3000", "?", "...", "!?,;:", "- -"], ids=repr
)
async def test_empty_or_blank_queries_return_nothing(
    memory_service: BaseMemoryService, query: str
) -> None:
    await add_events(memory_service, text_event("apple pie"), text_event("- - ?"))

    assert await search(memory_service, query) == []


# --- the entries ------------------------------------------------------------------------


async def test_an_entry_carries_the_events_content_author_and_iso_timestamp(
    memory_service: BaseMemoryService,
) -> None:
    spaced = "  Line one about apricots\n\n\tline two  "
    event = parts_event(
        types.Part(text=spaced),
        types.Part(text="second part"),
        author="travel_agent",
        timestamp=T0 + 0.5,
    )
    await memory_service.add_session_to_memory(make_session(event))

    [entry] = await search(memory_service, "apricots")

    assert entry.content == event.content
    assert entry.content.role == "model"
    assert entry.content.parts is not None
    assert [part.text for part in entry.content.parts] == [spaced, "second part"]
    assert entry.author == "travel_agent"
    assert instant(entry) == pytest.approx(T0 + 0.5, abs=1e-3)


async def test_every_entry_has_an_iso_timestamp_and_a_distinct_id(
    memory_service: BaseMemoryService,
) -> None:
    await memory_service.add_session_to_memory(make_session(text_event("pear one")))
    await add_events(memory_service, text_event("pear two"), session_id=OTHER_SESSION)
    await add_events(memory_service, text_event("pear three"), session_id=None)

    entries = await search(memory_service, "pear")

    assert len(entries) == 3
    for entry in entries:
        assert entry.timestamp is not None
        instant(entry)
        assert entry.id
    assert len({entry.id for entry in entries}) == 3


@xfail_on(
    IN_MEMORY,
    reason="InMemoryMemoryService builds MemoryEntry(id=, content=, author=, timestamp=) "
    "and no custom_metadata: in_memory_memory_service.py:183",
)
async def test_custom_metadata_carries_the_session_id_and_event_id(
    memory_service: BaseMemoryService,
) -> None:
    await memory_service.add_session_to_memory(
        make_session(text_event("plum one", event_id="e1"), text_event("other", event_id="e2"))
    )
    await add_events(memory_service, text_event("plum two", event_id="e3"), session_id="s9")
    await add_events(
        memory_service, text_event("plum three", event_id="e1"), session_id=OTHER_SESSION
    )

    entries = await search(memory_service, "plum")

    assert sorted(
        (entry.custom_metadata["session_id"], entry.custom_metadata["event_id"])
        for entry in entries
    ) == [(SESSION, "e1"), (OTHER_SESSION, "e1"), ("s9", "e3")]
