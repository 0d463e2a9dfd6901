"""The checksum of a session's events, computed the same way on SQLite and PostgreSQL. Pure.

The export verifies what it copied by comparing, for every session, a SHA-256
computed from the source rows in Python with one computed from the target rows
in SQL. Both follow this definition:

* an event row is the 23 columns of `adk_sqlite.records.EventRecord`, in
  `DIGEST_COLUMNS` order, each encoded as ``00`` when NULL, else ``01``
  followed by the value: text (JSON columns included) as a 4-byte big-endian
  byte length and its UTF-8 bytes, ``actions`` the same with its raw bytes,
  ``timestamp_unix`` as the 8 bytes of the IEEE double (big-endian), a flag as
  one byte ``00`` or ``01``;
* the row digest is SHA-256 of that encoding;
* the session digest is SHA-256 of the concatenated row digests, rows in
  append order (``seq``).

Append order is the stricter choice: the export inserts each session's events
in the source's append order, so equal digests mean equal rows in equal append
order, hence also equal read order (``timestamp_unix``, then append order),
which is what the API returns. It is also the order both databases read
cheapest (SQLite scans its table by rowid, no sort). Hashing row digests rather
than the rows themselves keeps the SQL side's aggregate at 32 bytes per event,
however large the events are.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from typing import Any, Literal

__all__ = ["DIGEST_COLUMNS", "ColumnKind", "SessionDigest", "event_row_digest"]

ColumnKind = Literal["text", "json", "bytes", "float", "flag"]

# The order of EventRecord's fields (and of the backends' EVENT_COLUMNS).
DIGEST_COLUMNS: tuple[tuple[str, ColumnKind], ...] = (
    ("id", "text"),
    ("app_name", "text"),
    ("user_id", "text"),
    ("session_id", "text"),
    ("invocation_id", "text"),
    ("author", "text"),
    ("timestamp_unix", "float"),
    ("actions", "bytes"),
    ("long_running_tool_ids_json", "json"),
    ("branch", "text"),
    ("content", "json"),
    ("grounding_metadata", "json"),
    ("custom_metadata", "json"),
    ("usage_metadata", "json"),
    ("citation_metadata", "json"),
    ("input_transcription", "json"),
    ("output_transcription", "json"),
    ("partial", "flag"),
    ("turn_complete", "flag"),
    ("interrupted", "flag"),
    ("error_code", "text"),
    ("error_message", "text"),
    ("extra", "json"),
)

_NULL = b"\x00"
_TRUE = b"\x01\x01"
_FALSE = b"\x01\x00"
_pack_length = struct.Struct(">i").pack
_pack_double = struct.Struct(">d").pack
_sha256 = hashlib.sha256


def _encode_value(value: Any, kind: ColumnKind) -> bytes:
    if value is None:
        return _NULL
    if kind == "float":
        return b"\x01" + _pack_double(value)
    if kind == "flag":
        return _TRUE if value else _FALSE
    data = value.encode() if isinstance(value, str) else bytes(value)
    return b"\x01" + _pack_length(len(data)) + data


_KINDS = tuple(kind for _, kind in DIGEST_COLUMNS)


def event_row_digest(row: Sequence[Any]) -> bytes:
    """SHA-256 of one event row, its 23 values in `DIGEST_COLUMNS` order.

    Flags may be bools or SQLite's 0/1; text may be ``str`` or UTF-8 bytes.
    """
    return _sha256(b"".join(map(_encode_value, row, _KINDS))).digest()


class SessionDigest:
    """Accumulates a session's row digests, in append order, into its checksum."""

    __slots__ = ("_hash", "events")

    def __init__(self) -> None:
        self._hash = _sha256()
        self.events = 0

    def add(self, row_digest: bytes) -> None:
        self._hash.update(row_digest)
        self.events += 1

    def hexdigest(self) -> str:
        return self._hash.hexdigest()
