"""A small labelled set for hybrid search: memories, queries, and the memory each
query must find.

Half the queries share no word with the memory they look for (a synonym, another
form of the word): keyword search cannot find those, and a semantic search should.
The others share a rare word with their memory: keyword search finds them, and the
hybrid search must keep finding them. `SYNONYMS` is what the offline
`adk_sqlite.testing.HashingEmbedder` is told, standing in for what a language model
knows about words.
"""

from __future__ import annotations

from typing import NamedTuple

SYNONYMS = {
    "automobile": "car",
    "sedan": "car",
    "vehicle": "car",
    "physician": "doctor",
    "kitten": "cat",
    "feline": "cat",
    "home": "house",
    "purchased": "buy",
    "purchase": "buy",
    "flight": "airplane",
    "plane": "airplane",
    "allergic": "allergy",
    "born": "birthday",
    "occupation": "job",
    "work": "job",
}

MEMORIES = {
    "car": "My car is a red Toyota sedan",
    "doctor": "I visit my physician every March",
    "kitten": "We adopted a kitten named Miso",
    "house": "I purchased a home in Lisbon last year",
    "flight": "My flight to Tokyo leaves on Friday",
    "allergy": "I am allergic to peanuts",
    "birthday": "I was born on the fourth of July",
    "job": "I work as a nurse at the city hospital",
    "weather": "The weather was lovely on the beach today",
    "music": "I like jazz and old vinyl records",
    "call": "Remind me to call my sister on Sunday",
    "garden": "The tomatoes in the garden need water",
}


class LabelledQuery(NamedTuple):
    query: str
    expected: str  # the key in MEMORIES of the memory it must find
    shares_a_word: bool  # whether keyword search can find it at all


QUERIES = (
    LabelledQuery("automobile", "car", shares_a_word=False),
    LabelledQuery("doctor appointment", "doctor", shares_a_word=False),
    LabelledQuery("pet cat", "kitten", shares_a_word=False),
    LabelledQuery("house purchase", "house", shares_a_word=False),
    LabelledQuery("airplane trip", "flight", shares_a_word=False),
    LabelledQuery("food allergy", "allergy", shares_a_word=False),
    LabelledQuery("birthday", "birthday", shares_a_word=False),
    LabelledQuery("occupation", "job", shares_a_word=False),
    LabelledQuery("Tokyo", "flight", shares_a_word=True),
    LabelledQuery("peanuts", "allergy", shares_a_word=True),
    LabelledQuery("jazz records", "music", shares_a_word=True),
    LabelledQuery("tomatoes", "garden", shares_a_word=True),
    LabelledQuery("Lisbon", "house", shares_a_word=True),
)

TOP = 3
"""A query finds its memory when the memory is among the first `TOP` results."""
