"""The memory text normaliser: what is stored and what a query looks for (pure)."""

from __future__ import annotations

import pytest

from adk_sqlite.codec.memory_text import MAX_QUERY_TERMS, query_terms, searchable_text


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        ("My favorite fruit is apple.", "What is my favorite fruit?"),
        ("École d'été", "ecole"),
        ("e\u0301cole", "\u00e9cole"),  # NFD stored, NFC asked
        ("ＡＤＫ full width", "adk"),
        ("Привет мир", "МИР"),
        ("안녕하세요 세계", "세계"),
        ("私はPythonでADKを使っています", "python"),
        ("私はPythonでADKを使っています", "ADK"),
        ("東京タワーに行きました", "東京"),
        ("party time 🎉", "🎉"),
        ("Try (ADK) now", "How about ADK?"),
        ("100% done", "100%"),
    ],
)
def test_a_query_finds_what_was_stored(stored: str, query: str) -> None:
    assert set(query_terms(query)) & set(searchable_text(stored).split())


@pytest.mark.parametrize(
    ("stored", "query"),
    [("Python", "thon"), ("1000 items", "100%"), ("cat", "category")],
)
def test_words_match_whole(stored: str, query: str) -> None:
    assert not set(query_terms(query)) & set(searchable_text(stored).split())


def test_kana_keep_their_voicing_marks() -> None:
    assert "で" in searchable_text("でんき")
    assert "て" not in searchable_text("でんき")


@pytest.mark.parametrize(
    "query",
    ['"', "NEAR(a b)", "*", "-", "()", "' OR 1=1 --", '"; DROP TABLE x; --', "AND OR NOT"],
)
def test_query_terms_hold_only_word_characters(query: str) -> None:
    for term in query_terms(query):
        assert term.replace("_", "").isalnum(), term


@pytest.mark.parametrize("query", ["", "   ", "?!.,", "\n\t"])
def test_a_query_without_words_has_no_terms(query: str) -> None:
    assert query_terms(query) == []


def test_terms_are_distinct_and_bounded() -> None:
    assert query_terms("Ready ready READY") == ["ready"]
    many = " ".join(f"w{i}" for i in range(500))
    assert len(query_terms(many)) == MAX_QUERY_TERMS
