"""`HashingEmbedder`: a deterministic, offline embedder for tests and demos.

It is not a language model: it hashes the words of a text (as
`adk_sqlite.codec.memory_text` splits them) into a fixed number of dimensions, after
mapping each word through an optional table of synonyms. Two texts are similar when
they share words or synonyms, which is enough to show what a semantic search finds
that a keyword search does not, with no network and no API key.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence

from adk_sqlite.codec.memory_text import query_terms

__all__ = ["HashingEmbedder"]


class HashingEmbedder:
    """An async embedder: ``await embedder(texts)`` returns one vector per text.

    Args:
        dimensions: The length of every vector.
        synonyms: Word to concept: words mapped to the same concept embed alike
            (``{"automobile": "car", "vehicle": "car"}``). Keys are matched after
            the same folding as search terms (lower case, no accents).

    Attributes:
        calls: How many times it was called; ``texts_embedded``: how many texts in all.
    """

    def __init__(self, dimensions: int = 64, *, synonyms: Mapping[str, str] | None = None) -> None:
        if not isinstance(dimensions, int) or dimensions < 2:
            raise ValueError(f"dimensions={dimensions!r}: expected an integer >= 2")
        self.dimensions = dimensions
        self._concepts = {
            term: concept
            for word, concept in (synonyms or {}).items()
            for term in query_terms(word)
        }
        self.calls = 0
        self.texts_embedded = 0

    async def __call__(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls += 1
        self.texts_embedded += len(texts)
        return [self.embed(text) for text in texts]

    def embed(self, text: str) -> list[float]:
        """The vector of one text (synchronous)."""
        vector = [0.0] * self.dimensions
        words = [self._concepts.get(term, term) for term in query_terms(text)] or [""]
        for word in words:
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            slot = int.from_bytes(digest[:4], "little") % self.dimensions
            vector[slot] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(value * value for value in vector)) or 1.0
        if not any(vector):
            vector[0] = 1.0  # words whose signs cancelled: still a direction
            norm = 1.0
        return [value / norm for value in vector]
