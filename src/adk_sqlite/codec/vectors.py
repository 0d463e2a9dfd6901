"""Embedding vectors as the stores keep them: unit-length float32s, little-endian.

A vector is normalised once, when it is stored or searched for, so cosine similarity
is a plain dot product everywhere (sqlite-vec, pgvector, or the Python fallback here).
Every check an embedder's output needs is made here, before anything is written.
"""

from __future__ import annotations

import importlib
import math
import operator
import struct
import sys
from array import array
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from adk_sqlite.errors import EmbeddingError

__all__ = [
    "MAX_DIMENSIONS",
    "dimensions_of",
    "dot",
    "nearest",
    "pack_vector",
    "unpack_vector",
]

K = TypeVar("K")

MAX_DIMENSIONS = 8192
"""The most dimensions a vector may have (Gemini's and OpenAI's models use up to 3072)."""
_FLOAT32 = 4


def pack_vector(values: object, *, expected: int | None = None) -> bytes:
    """``values`` (a sequence of numbers) as a unit-length float32 vector.

    Raises:
        EmbeddingError: Not a sequence of finite numbers, empty, too long, all zero,
            or not ``expected`` long.
    """
    if isinstance(values, str | bytes | bytearray) or not isinstance(values, Sequence):
        raise EmbeddingError(
            f"an embedding must be a sequence of numbers, not {type(values).__name__}"
        )
    count = len(values)
    if count == 0 or count > MAX_DIMENSIONS:
        raise EmbeddingError(f"an embedding has {count} dimensions; expected 1 to {MAX_DIMENSIONS}")
    if expected is not None and count != expected:
        raise EmbeddingError(f"an embedding has {count} dimensions; this index holds {expected}")
    try:
        floats = [float(value) for value in values]
    except (TypeError, ValueError) as exc:
        raise EmbeddingError(f"an embedding holds a value that is not a number: {exc}") from exc
    if not all(math.isfinite(value) for value in floats):
        raise EmbeddingError("an embedding holds NaN or an infinity")
    norm = math.hypot(*floats)  # scaled internally: no overflow for huge values
    if norm == 0.0 or not math.isfinite(norm):
        raise EmbeddingError("an embedding has no direction (all zeros)")
    packed = array("f", (value / norm for value in floats))
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def unpack_vector(blob: bytes) -> list[float]:
    """The floats of a packed vector (read from a database: its length is checked)."""
    if len(blob) % _FLOAT32 or not blob:
        raise EmbeddingError(f"a stored vector of {len(blob)} bytes is not float32s")
    return list(struct.unpack(f"<{len(blob) // _FLOAT32}f", blob))


def dimensions_of(blob: bytes) -> int:
    """How many dimensions a packed vector has."""
    return len(blob) // _FLOAT32


def dot(left: object, right: object) -> float | None:
    """The dot product (cosine similarity) of two packed vectors; None when they differ
    in length or are not vectors (bytes from a file are untrusted)."""
    if not isinstance(left, bytes) or not isinstance(right, bytes):
        return None
    if len(left) != len(right) or len(left) % _FLOAT32 or not left:
        return None
    count = len(left) // _FLOAT32
    return math.fsum(
        a * b
        for a, b in zip(
            struct.unpack(f"<{count}f", left), struct.unpack(f"<{count}f", right), strict=True
        )
    )


def nearest(
    query: bytes,
    candidates: Iterable[tuple[K, object]],
    count: int,
    *,
    min_similarity: float | None = None,
) -> list[tuple[K, float]]:
    """The ``count`` candidates most similar to ``query``, best first, with their
    similarity: an exact scan, with numpy when it is installed.

    Candidates are (key, packed vector) pairs read from a database: one that is not a
    vector of the query's length is skipped, never an error.
    """
    if count <= 0:
        return []
    size = len(query)
    keys: list[K] = []
    blobs: list[bytes] = []
    for key, blob in candidates:
        if isinstance(blob, bytes | memoryview) and len(blob) == size:
            keys.append(key)
            blobs.append(bytes(blob))
    if not keys:
        return []
    scores = _scores(query, blobs)
    ranked = sorted(range(len(keys)), key=lambda index: -scores[index])
    found = []
    for index in ranked[:count]:
        score = scores[index]
        if not math.isfinite(score) or (min_similarity is not None and score < min_similarity):
            continue
        found.append((keys[index], score))
    return found


def _scores(query: bytes, blobs: list[bytes]) -> list[float]:
    if _numpy is not None:
        matrix = _numpy.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), -1)
        vector = _numpy.frombuffer(query, dtype="<f4").astype(_numpy.float64)
        scored: list[float] = (matrix.astype(_numpy.float64) @ vector).tolist()
        return scored
    shape = f"<{len(query) // _FLOAT32}f"
    wanted = struct.unpack(shape, query)
    return [sum(map(operator.mul, struct.unpack(shape, blob), wanted)) for blob in blobs]


def _load_numpy() -> Any:
    try:
        numpy = importlib.import_module("numpy")
    except ImportError:  # numpy is optional (the `vector` extra): pure Python is exact too
        return None
    return numpy


_numpy = _load_numpy()
