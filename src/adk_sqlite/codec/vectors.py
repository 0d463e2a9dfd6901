"""Embedding vectors as the stores keep them: unit-length float32s, little-endian.

A vector is normalised once, when it is stored or searched for, so cosine similarity
is a plain dot product everywhere (sqlite-vec, pgvector, or the Python fallback here).
Every check an embedder's output needs is made here, before anything is written.
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from collections.abc import Sequence

from adk_sqlite.errors import EmbeddingError

__all__ = ["MAX_DIMENSIONS", "dimensions_of", "dot", "pack_vector", "unpack_vector"]

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
    norm = math.sqrt(math.fsum(value * value for value in floats))
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


def dot(left: bytes, right: bytes) -> float | None:
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
