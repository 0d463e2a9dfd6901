"""Pure conversion between ADK events and event records, and between time scales.

An ``Event`` is spread over the columns of the seed schema (``content`` and the
other metadata as JSON text, ``actions`` as a restricted pickle, flags as
0/1/NULL) and every field without a column of its own goes, as JSON, into
``extra``: a field ADK adds later round-trips with no schema change.

Decoding rebuilds one JSON document from the columns with `msgspec.Raw` (no
re-parsing of the stored JSON) and validates it once with pydantic in JSON
mode, which is what keeps bytes (base64 in JSON) and exact floats intact.
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from ._pickle import UnsafePickleError, dumps_actions, loads_actions
from ._state import json_safe
from .errors import CorruptRecordError, UnsafePayloadError
from .records import EventRecord

__all__ = [
    "COLUMN_FIELDS",
    "decode_event",
    "encode_event",
    "extra_fields",
    "julian_day_from_unix",
    "unix_from_julian_day",
]

# Unix epoch 1970-01-01T00:00:00Z as a Julian day, and seconds per day.
_UNIX_EPOCH_JULIAN_DAY = 2440587.5
_SECONDS_PER_DAY = 86400.0

# Event fields stored as pydantic-model JSON text in a column of the same name.
_MODEL_JSON_COLUMNS = (
    "content",
    "grounding_metadata",
    "usage_metadata",
    "citation_metadata",
    "input_transcription",
    "output_transcription",
)
_SCALAR_COLUMNS = (
    "id",
    "invocation_id",
    "author",
    "branch",
    "timestamp",
    "partial",
    "turn_complete",
    "interrupted",
    "error_code",
    "error_message",
)
# Every Event field that has a column of its own; the rest goes to ``extra``.
COLUMN_FIELDS: frozenset[str] = frozenset(
    (*_MODEL_JSON_COLUMNS, *_SCALAR_COLUMNS, "custom_metadata", "actions", "long_running_tool_ids")
)

_encoder = msgspec.json.Encoder()
_raw_object_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])


def julian_day_from_unix(seconds: float) -> float:
    """Unix epoch seconds to a Julian day, the scale of SQLite's ``julianday()``."""
    return seconds / _SECONDS_PER_DAY + _UNIX_EPOCH_JULIAN_DAY


def unix_from_julian_day(julian_day: float) -> float:
    """A Julian day back to Unix epoch seconds (to ~20 µs: doubles run out of bits)."""
    return (julian_day - _UNIX_EPOCH_JULIAN_DAY) * _SECONDS_PER_DAY


@functools.cache
def extra_fields() -> frozenset[str]:
    """The Event fields that live in the ``extra`` JSON column (derived, not listed)."""
    return frozenset(Event.model_fields) - COLUMN_FIELDS


def encode_event(event: Event, *, app_name: str, user_id: str, session_id: str) -> EventRecord:
    """Spreads ``event`` over the columns of one events-table row.

    The stored ``state_delta`` is the JSON-safe form that the state tables
    receive, so the event and the state it produced always agree.

    Raises:
        UnsafePayloadError: The actions hold a value that could not be loaded
            back safely; nothing is written.
    """
    actions = event.actions
    if actions.state_delta:
        actions = actions.model_copy(update={"state_delta": json_safe(actions.state_delta)})
    try:
        actions_blob = dumps_actions(actions)
    except UnsafePickleError as exc:
        raise UnsafePayloadError(
            f"event {event.id!r}: its actions cannot be stored safely: {exc}"
        ) from exc

    model_json: dict[str, str | None] = {}
    for name in _MODEL_JSON_COLUMNS:
        value = getattr(event, name)
        model_json[name] = None if value is None else value.model_dump_json(exclude_none=True)

    extra = event.model_dump_json(include=set(extra_fields()), exclude_defaults=True)
    return EventRecord(
        id=event.id,
        app_name=app_name,
        user_id=user_id,
        session_id=session_id,
        invocation_id=event.invocation_id,
        author=event.author,
        timestamp=event.timestamp,
        actions=actions_blob,
        long_running_tool_ids_json=(
            None
            if event.long_running_tool_ids is None
            else _encoder.encode(sorted(event.long_running_tool_ids)).decode()
        ),
        branch=event.branch,
        custom_metadata=(
            None
            if event.custom_metadata is None
            else _encoder.encode(json_safe(event.custom_metadata)).decode()
        ),
        partial=event.partial,
        turn_complete=event.turn_complete,
        interrupted=event.interrupted,
        error_code=event.error_code,
        error_message=event.error_message,
        extra=None if extra == "{}" else extra,
        **model_json,
    )


def decode_event(record: EventRecord) -> Event:
    """Rebuilds the ``Event`` that `encode_event` stored, field for field.

    Raises:
        UnsafePayloadError: The row's actions blob names a forbidden type or is
            malformed (nothing from it is executed).
        CorruptRecordError: The row's JSON columns are invalid.
    """
    document: dict[str, Any] = {}
    try:
        if record.extra is not None:
            document.update(_raw_object_decoder.decode(record.extra))
        for name in _MODEL_JSON_COLUMNS:
            text = getattr(record, name)
            if text is not None:
                document[name] = msgspec.Raw(text.encode())
        if record.custom_metadata is not None:
            document["custom_metadata"] = msgspec.Raw(record.custom_metadata.encode())
        if record.long_running_tool_ids_json is not None:
            document["long_running_tool_ids"] = msgspec.Raw(
                record.long_running_tool_ids_json.encode()
            )
        document["id"] = record.id
        document["invocation_id"] = record.invocation_id
        document["author"] = record.author
        document["timestamp"] = record.timestamp
        for name in ("branch", "partial", "turn_complete", "interrupted"):
            value = getattr(record, name)
            if value is not None:
                document[name] = value
        if record.error_code is not None:
            document["error_code"] = record.error_code
        if record.error_message is not None:
            document["error_message"] = record.error_message
        event = Event.model_validate_json(_encoder.encode(document))
    except (msgspec.DecodeError, ValueError) as exc:
        raise CorruptRecordError(
            f"event {record.id!r} of session {record.session_id!r} is corrupt: {exc}"
        ) from exc
    event.actions = _decode_actions(record)
    return event


def _decode_actions(record: EventRecord) -> EventActions:
    if record.actions is None:
        return EventActions()
    try:
        return loads_actions(record.actions)
    except UnsafePickleError as exc:
        raise UnsafePayloadError(
            f"event {record.id!r} of session {record.session_id!r}: its actions blob"
            f" was refused and nothing in it was run: {exc}"
        ) from exc
