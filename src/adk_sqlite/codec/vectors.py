"""Embedding vectors as the stores keep them: unit-length float32s, little-endian.

A vector is normalised once, when it is stored or searched for, so cosine similarity
is a plain dot product everywhere (sqlite-vec, pgvector, or the Python fallback here).
Every check an embedder's output needs is made here, before anything is written.
"""

from __future__ import annotations

import heapq
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
    "nearest_in_matrix",
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
    pairs = list(candidates)
    if not pairs:
        return []
    keys, matrix = _usable(pairs, size)
    return nearest_in_matrix(query, keys, matrix, count, min_similarity=min_similarity)


def nearest_in_matrix(
    query: bytes,
    keys: Sequence[K],
    matrix: bytes,
    count: int,
    *,
    min_similarity: float | None = None,
) -> list[tuple[K, float]]:
    """As `nearest`, for vectors already joined into one ``matrix`` (``len(keys)``
    vectors of the query's size, in the order of ``keys``), as a database can hand
    them over in one value."""
    if count <= 0 or not keys or len(matrix) != len(query) * len(keys):
        return []
    found = []
    for index, score in _best(query, matrix, len(keys), count):
        if not math.isfinite(score) or (min_similarity is not None and score < min_similarity):
            continue
        found.append((keys[index], score))
    return found


def _usable(pairs: list[tuple[K, object]], size: int) -> tuple[list[K], bytes]:
    """The keys of the pairs whose vector is ``size`` bytes, and those vectors joined:
    all of them at once when they all are (the usual case), one by one otherwise."""
    keys, blobs = map(list, zip(*pairs, strict=True))
    try:
        joined = b"".join(blobs)
    except TypeError:  # a value that is not bytes
        joined = b""
    if len(joined) == size * len(blobs) and all(len(blob) == size for blob in blobs):
        return keys, joined
    usable = [
        (key, bytes(blob))
        for key, blob in pairs
        if isinstance(blob, bytes | memoryview) and len(blob) == size
    ]
    return [key for key, _ in usable], b"".join(blob for _, blob in usable)


def _best(query: bytes, matrix: bytes, rows: int, count: int) -> list[tuple[int, float]]:
    """The (row, similarity) of the ``count`` rows of ``matrix`` nearest to ``query``."""
    np = _numpy_or_none()
    if np is not None:
        # float32 throughout: the vectors are unit length, so a product cannot
        # overflow, and the matrix is used in place (no copy of a large scan).
        vectors = np.frombuffer(matrix, dtype="<f4").reshape(rows, -1)
        scores = np.nan_to_num(vectors @ np.frombuffer(query, dtype="<f4"), nan=-np.inf)
        top = np.argpartition(-scores, count - 1)[:count] if count < rows else np.arange(rows)
        ordered = top[np.argsort(-scores[top], kind="stable")]
        return [(int(row), float(scores[row])) for row in ordered]
    width = len(query)
    shape = f"<{width // _FLOAT32}f"
    wanted = struct.unpack(shape, query)
    scores = [
        sum(map(operator.mul, struct.unpack_from(shape, matrix, row * width), wanted))
        for row in range(rows)
    ]
    best = heapq.nlargest(count, range(rows), key=lambda row: (scores[row], -row))
    return [(row, scores[row]) for row in best]


# numpy, None where it is not installed, or _NOT_LOADED before the first scan: numpy
# takes ~35 ms to import, which a command that never scans (``adk-sqlite check``
# of a session folder reaches this module) should not pay.
_NOT_LOADED: Any = object()
_numpy: Any = _NOT_LOADED


def _numpy_or_none() -> Any:
    global _numpy
    if _numpy is _NOT_LOADED:
        try:
            _numpy = importlib.import_module("numpy")
        except ImportError:  # numpy is optional (the `vector` extra): pure Python is exact too
            _numpy = None
    return _numpy
