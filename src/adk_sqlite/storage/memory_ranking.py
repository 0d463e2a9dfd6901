"""How a hybrid memory search merges its two rankings: reciprocal rank fusion.

A keyword ranking (the backend's full-text rank) and a vector ranking (cosine
similarity) measure different things on different scales, so they are merged by rank,
not by score: a memory scores ``1 / (RANK_OFFSET + rank)`` in each list it appears in,
and the sums decide. A memory both rankings place high wins; one found only by meaning
still surfaces, which is the point of the vector side. Every backend uses this one
function, so the three layouts order results alike.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

__all__ = ["RANK_OFFSET", "fuse_rankings"]

RANK_OFFSET = 60
"""The constant of reciprocal rank fusion (the value its authors found robust)."""

K = TypeVar("K", bound=Hashable)


def fuse_rankings(keyword: Sequence[K], semantic: Sequence[K], limit: int) -> list[K]:
    """The best ``limit`` keys of two best-first rankings, fused by reciprocal rank.

    Ties keep the keyword ranking's order, then the vector ranking's.
    """
    scores: dict[K, float] = {}
    for ranking in (keyword, semantic):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (RANK_OFFSET + rank)
    first_seen: dict[K, int] = {}
    for index, key in enumerate([*keyword, *semantic]):
        first_seen.setdefault(key, index)
    return sorted(scores, key=lambda key: (-scores[key], first_seen[key]))[:limit]
