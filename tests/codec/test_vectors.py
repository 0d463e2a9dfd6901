"""The vector codec: what an embedder's output must be, and the exact nearest scan."""

from __future__ import annotations

import math
import random
import struct

import pytest

from adk_sqlite.codec import vectors
from adk_sqlite.codec.vectors import dimensions_of, dot, nearest, pack_vector, unpack_vector
from adk_sqlite.errors import EmbeddingError


def test_a_vector_is_stored_unit_length_little_endian() -> None:
    packed = pack_vector([3, 4])
    assert packed == struct.pack("<2f", 0.6, 0.8)
    assert dimensions_of(packed) == 2
    assert unpack_vector(packed) == pytest.approx([0.6, 0.8])
    assert dot(packed, packed) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ([], "dimensions"),
        ("abc", "sequence of numbers"),
        (b"\x00\x00", "sequence of numbers"),
        (None, "sequence of numbers"),
        ([1.0, math.nan], "NaN"),
        ([1.0, math.inf], "NaN or an infinity"),
        ([0.0, 0.0], "no direction"),
        ([1.0, "x"], "not a number"),
    ],
)
def test_unusable_embeddings_are_refused(values: object, message: str) -> None:
    with pytest.raises(EmbeddingError, match=message):
        pack_vector(values)


def test_huge_and_tiny_values_normalise_without_overflow() -> None:
    assert unpack_vector(pack_vector([1e300, 1e300])) == pytest.approx([0.7071068] * 2)
    assert unpack_vector(pack_vector([1e-300, 0.0])) == pytest.approx([1.0, 0.0])


def test_the_dimension_is_checked_when_one_is_expected() -> None:
    pack_vector([1.0, 2.0], expected=2)
    with pytest.raises(EmbeddingError, match="3 dimensions; this index holds 2"):
        pack_vector([1.0, 2.0, 3.0], expected=2)


def test_too_many_dimensions_are_refused() -> None:
    with pytest.raises(EmbeddingError):
        pack_vector([1.0] * (vectors.MAX_DIMENSIONS + 1))


def test_dot_of_unusable_bytes_is_none() -> None:
    assert dot(b"\x00\x00\x80?", b"\x00\x00") is None
    assert dot(b"abc", b"abc") is None
    assert dot("text", "text") is None


def _random_vectors(count: int, dimensions: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [pack_vector([rng.gauss(0, 1) for _ in range(dimensions)]) for _ in range(count)]


@pytest.fixture(params=["numpy", "pure-python"])
def scan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test with the numpy scan and again with the pure-Python one."""
    if request.param == "numpy":
        pytest.importorskip("numpy")
        if vectors._numpy_or_none() is None:
            pytest.skip("numpy was not importable when the codec loaded")
    else:
        monkeypatch.setattr(vectors, "_numpy", None)
    return str(request.param)


def test_nearest_is_the_exact_order_of_similarity(scan: str) -> None:
    stored = _random_vectors(300, 24, seed=1)
    (query,) = _random_vectors(1, 24, seed=2)
    expected = sorted(range(300), key=lambda index: -(dot(stored[index], query) or 0.0))[:10]
    found = nearest(query, enumerate(stored), 10)
    assert [index for index, _ in found] == expected
    for index, similarity in found:
        assert similarity == pytest.approx(dot(stored[index], query), abs=1e-6)


def test_nearest_skips_what_is_not_a_vector_of_the_query_length(scan: str) -> None:
    good = pack_vector([1.0, 0.0])
    candidates: list[tuple[str, object]] = [
        ("short", b"\x00\x00\x80?"),
        ("text", "not bytes"),
        ("none", None),
        ("good", good),
        ("odd", b"\x00" * 7),
    ]
    assert [key for key, _ in nearest(good, candidates, 5)] == ["good"]


def test_nearest_keeps_what_reaches_min_similarity(scan: str) -> None:
    east, north_east, north = pack_vector([1, 0]), pack_vector([1, 1]), pack_vector([0, 1])
    found = nearest(east, [("e", east), ("ne", north_east), ("n", north)], 3, min_similarity=0.5)
    assert [key for key, _ in found] == ["e", "ne"]
    assert nearest(east, [("e", east)], 0) == []
