"""Memory service, search safety: any query text is a plain query, in its scope.

Covers the brief's "search safety" line, on top of adk-services.md, Memory
service / Search ("Empty or blank queries return nothing"; scope): any query
text, full-text syntax (quotes, ``NEAR``, ``*``, ``-``, ``(``, ``)``, ``AND``,
``OR``, ``NOT``, ``^``, column filters), SQL (``' OR 1=1 --``, ``"; DROP TABLE
x; --``), placeholders, NUL, a lone surrogate, emoji, an empty string, whitespace
only, a 10,000-character query, never raises and returns only the right app's and
user's memories: exactly those its words find. Memories whose own text is such
syntax are stored and found like any other, and nothing is lost to a query.

Both references pass all of it, so nothing here is ``ours_only``. Left open: a
long query's words past the first few dozen (ours keeps the first 64 terms), so
the long-query tests put the word to find first.
"""

from __future__ import annotations

import pytest
from google.adk.memory.base_memory_service import BaseMemoryService

from ._support import APP, OTHER_APP, OTHER_USER, T0, USER, add_events, found, text_event

_LONG_WORDS = " ".join(f"w{i}" for i in range(2000))[:10_000]

HOSTILE_QUERIES: list[tuple[str, str]] = [
    ("quote", '"'),
    ("two-quotes", '""'),
    ("open-quote", '"a'),
    ("near", "NEAR"),
    ("near-group", "NEAR(a b)"),
    ("near-distance", "a NEAR/2 b"),
    ("star", "*"),
    ("prefix-star", "a*"),
    ("minus", "-"),
    ("minus-word", "-a"),
    ("open-paren", "("),
    ("close-paren", ")"),
    ("parens", "(()"),
    ("and", "AND"),
    ("or", "OR"),
    ("not", "NOT"),
    ("a-and-b", "a AND b"),
    ("not-a", "NOT a"),
    ("caret", "^a"),
    ("column", "col:a"),
    ("fts-column", "search_text:a"),
    ("column-set", "{a b}:c"),
    ("plus", "a + b"),
    ("sql-or", "' OR 1=1 --"),
    ("sql-drop", '"; DROP TABLE x; --'),
    ("sql-delete", "'; DELETE FROM memory_events; --"),
    ("sql-select", "SELECT * FROM memory_events"),
    ("sql-comment", "/* -- */"),
    ("semicolon", ";"),
    ("percent", "%"),
    ("underscore", "_"),
    ("printf", "%s %d"),
    ("format", "{0} {}"),
    ("placeholders", "$1 ? :name @p"),
    ("backslash", "\\"),
    ("apostrophe", "'"),
    ("nul", "\x00"),
    ("nul-inside", "a\x00b"),
    ("surrogate", "\ud800"),
    ("emoji", "\U0001f600"),
    ("empty", ""),
    ("space", " "),
    ("whitespace", "\t\n\r \u3000"),
    ("ten-thousand-x", "x" * 10_000),
    ("ten-thousand-chars-of-words", _LONG_WORDS),
]

# Every word of the hostile queries, in the scopes a search must not see.
_BAIT = (
    "kiwi a b c x near and or not col search_text sql drop table delete from select "
    "memory_events 1 s d 0 name p w0 w1 w5 w1999 \U0001f600 " + "x" * 10_000
)
_OTHER_SCOPES = [
    (APP, OTHER_USER),
    (OTHER_APP, USER),
    (f"{APP}/{USER}", "x"),
    (APP, f"{USER}/x"),
]


async def _fill(service: BaseMemoryService) -> None:
    await add_events(
        service,
        text_event("kiwi smoothie", timestamp=T0),
        text_event("banana bread", timestamp=T0 + 1),
    )
    for app, user in _OTHER_SCOPES:
        await add_events(service, text_event(_BAIT, timestamp=T0 + 2), app=app, user=user)


@pytest.mark.parametrize(
    "query", [q for _, q in HOSTILE_QUERIES], ids=[i for i, _ in HOSTILE_QUERIES]
)
async def test_a_hostile_query_finds_nothing_it_should_not(
    memory_service: BaseMemoryService, query: str
) -> None:
    await _fill(memory_service)

    assert await found(memory_service, query) == []


@pytest.mark.parametrize(
    "query", [q for _, q in HOSTILE_QUERIES], ids=[i for i, _ in HOSTILE_QUERIES]
)
async def test_a_hostile_query_with_a_word_finds_that_word_in_its_scope_only(
    memory_service: BaseMemoryService, query: str
) -> None:
    await _fill(memory_service)

    assert await found(memory_service, f"kiwi {query}") == ["kiwi smoothie"]
    if len(query.split()) < 64:  # a word after a long query's first 64 is left open
        assert await found(memory_service, f"{query} bread") == ["banana bread"]


async def test_long_queries_find_their_words(memory_service: BaseMemoryService) -> None:
    await _fill(memory_service)

    assert await found(memory_service, ("kiwi " * 2000)[:10_000]) == ["kiwi smoothie"]
    assert await found(memory_service, f"kiwi {_LONG_WORDS}") == ["kiwi smoothie"]
    assert await found(memory_service, "bread " + "y" * 10_000) == ["banana bread"]


async def test_no_query_changes_what_is_stored(memory_service: BaseMemoryService) -> None:
    await _fill(memory_service)

    for _, query in HOSTILE_QUERIES:
        await found(memory_service, query)
        await found(memory_service, f"kiwi {query}")

    assert await found(memory_service, "kiwi banana") in (
        ["banana bread", "kiwi smoothie"],
        ["kiwi smoothie", "banana bread"],
    )
    for app, user in _OTHER_SCOPES:
        assert await found(memory_service, "kiwi", app=app, user=user) == [_BAIT]


@pytest.mark.parametrize(
    "text",
    [
        "Robert'); DROP TABLE memory_events;-- said hello",
        '" OR "1"="1 said hello',
        "NEAR(a b) * -c AND NOT said hello",
        "50% said hello \\ done",
    ],
    ids=["sql", "quotes", "fts-syntax", "percent"],
)
async def test_a_memory_whose_text_is_query_syntax_is_stored_and_found(
    memory_service: BaseMemoryService, text: str
) -> None:
    await add_events(memory_service, text_event(text), text_event("kiwi smoothie"))

    assert await found(memory_service, "said") == [text]
    assert await found(memory_service, "hello") == [text]
    assert await found(memory_service, "kiwi") == ["kiwi smoothie"]
