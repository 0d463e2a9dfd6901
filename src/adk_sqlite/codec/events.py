"""Pure conversion between ADK events and event records, and between time scales.

An ``Event`` is spread over the columns of the seed schema (``content`` and the
other metadata as JSON text, ``actions`` as a restricted pickle, flags as
0/1/NULL) and every field without a column of its own goes, as JSON, into
``extra``: a field ADK adds later round-trips with no schema change.

`decode_event_validated` is the reference decoding: every JSON column goes
through pydantic validation (in JSON mode, so bytes, as base64, and exact floats
stay intact) and the event through ``Event.model_validate``. Reads normally
use `adk_sqlite.codec.fast`, which builds the same events without
re-validating and checks itself against this module on first use; the helpers
both share (actions, ``extra``, ``custom_metadata``, errors) live here.

``actions`` is NULL when the event carries default (empty) actions: nothing to
pickle, nothing to unpickle.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types
from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic_core import to_json

from adk_sqlite.codec.actions_column import encode_actions, load_actions
from adk_sqlite.codec.exact_json import json_form, may_hold_tags, tag, untag
from adk_sqlite.codec.model_json import SERIALIZATION_ERRORS, dump_json, holds_any
from adk_sqlite.errors import CorruptRecordError, UnencodableValueError
from adk_sqlite.records import EventRecord

__all__ = [
    "COLUMN_FIELDS",
    "MODEL_JSON_COLUMNS",
    "SCALAR_FIELDS_SET_OR_NULL",
    "corrupt_record",
    "decode_event_validated",
    "encode_event",
    "event_values",
    "extra_fields",
    "field_adapter",
    "json_object",
    "julian_day_from_unix",
    "load_actions",
    "unix_from_julian_day",
    "validate_field_json",
    "validate_tagged_json",
]

# Unix epoch 1970-01-01T00:00:00Z as a Julian day, and seconds per day.
_UNIX_EPOCH_JULIAN_DAY = 2440587.5
_SECONDS_PER_DAY = 86400.0

# Event fields stored as pydantic-model JSON text in a column of the same name.
MODEL_JSON_COLUMNS = (
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
    (*MODEL_JSON_COLUMNS, *_SCALAR_COLUMNS, "custom_metadata", "actions", "long_running_tool_ids")
)

_encoder = msgspec.json.Encoder()
_json_decoder = msgspec.json.Decoder()
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


@functools.cache
def _extra_defaults() -> dict[str, Any]:
    return {
        name: Event.model_fields[name].get_default(call_default_factory=True)
        for name in extra_fields()
    }


def _annotation(name: str) -> Any:
    return Event.model_fields[name].annotation


# Bytes in the Event's own fields are base64 in JSON, as Event's configuration says.
_EVENT_JSON_CONFIG = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")


@functools.cache
def field_adapter(name: str) -> TypeAdapter[Any]:
    """The adapter that validates one Event field's value (its JSON configuration included)."""
    annotation = _annotation(name)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return TypeAdapter(annotation)  # a model brings its own configuration
    return TypeAdapter(annotation, config=_EVENT_JSON_CONFIG)


@functools.cache
def _field_holds_any(name: str) -> bool:
    return holds_any(_annotation(name))


def validate_tagged_json(adapter: TypeAdapter[Any], text: str | bytes) -> Any:
    """Validates JSON that holds tags (non-finite floats, escaped objects) once untagged.

    The untagged data is written back as JSON and validated in JSON mode, as
    untagged text is, so that bytes are read as base64; pydantic's JSON reader
    takes the NaN/Infinity constants.
    """
    data = untag(_json_decoder.decode(text))
    return adapter.validate_json(to_json(data, inf_nan_mode="constants"))


def validate_field_json(name: str, text: str | bytes) -> Any:
    """One event field's value from its stored JSON, through pydantic validation."""
    if may_hold_tags(text):
        return validate_tagged_json(field_adapter(name), text)
    return field_adapter(name).validate_json(text)


# --- encoding ---------------------------------------------------------------------------


def encode_event(
    event: Event,
    *,
    app_name: str,
    user_id: str,
    session_id: str,
    state_delta: Mapping[str, Any] | None = None,
) -> EventRecord:
    """Spreads ``event`` over the columns of one events-table row.

    Args:
        event: The event to store.
        app_name: The session's app.
        user_id: The session's user.
        session_id: The session's id.
        state_delta: The JSON-safe form of ``event.actions.state_delta`` (see
            `adk_sqlite.codec.state.json_safe`), if the caller already made it. The
            stored event carries this form, so it always agrees with the state
            tables that received it.

    Raises:
        UnencodableValueError: A field holds a value that cannot be stored (a
            non-finite timestamp, a string with a lone surrogate, a circular
            reference...); the message names the field. Nothing is written.
    """
    _check_text_fields(event)
    timestamp = event.timestamp
    if not math.isfinite(timestamp):
        raise UnencodableValueError(
            f"event {event.id!r}: timestamp must be a finite number of seconds, not {timestamp!r}"
        )
    return EventRecord(
        id=event.id,
        app_name=app_name,
        user_id=user_id,
        session_id=session_id,
        invocation_id=event.invocation_id,
        author=event.author,
        timestamp=event.timestamp,
        actions=encode_actions(event, state_delta),
        long_running_tool_ids_json=(
            None
            if event.long_running_tool_ids is None
            else _encoder.encode(sorted(event.long_running_tool_ids)).decode()
        ),
        branch=event.branch,
        content=_model_json(event, "content"),
        grounding_metadata=_model_json(event, "grounding_metadata"),
        custom_metadata=_custom_metadata_json(event),
        usage_metadata=_model_json(event, "usage_metadata"),
        citation_metadata=_model_json(event, "citation_metadata"),
        input_transcription=_model_json(event, "input_transcription"),
        output_transcription=_model_json(event, "output_transcription"),
        partial=event.partial,
        turn_complete=event.turn_complete,
        interrupted=event.interrupted,
        error_code=event.error_code,
        error_message=event.error_message,
        extra=_encode_extra(event),
    )


_TEXT_COLUMNS = ("id", "invocation_id", "author", "branch", "error_code", "error_message")


def _check_text_fields(event: Event) -> None:
    """Refuses a lone surrogate in a text column before the driver meets it."""
    texts = [(name, getattr(event, name)) for name in _TEXT_COLUMNS]
    texts += [("long_running_tool_ids", tool_id) for tool_id in event.long_running_tool_ids or ()]
    for name, value in texts:
        if value is not None and not value.isascii():  # ASCII always encodes
            try:
                value.encode()
            except UnicodeEncodeError as exc:
                raise _unencodable(event, name, exc) from exc


def _unencodable(event: Event, name: str, exc: Exception) -> UnencodableValueError:
    return UnencodableValueError(
        f"event {event.id!r}: its {name} cannot be stored ({type(exc).__name__}: {exc})"
    )


def _model_json(event: Event, name: str) -> str | None:
    value = getattr(event, name)
    if value is None:
        return None
    try:
        return dump_json(value)
    except SERIALIZATION_ERRORS as exc:
        raise _unencodable(event, name, exc) from exc


def _custom_metadata_json(event: Event) -> str | None:
    metadata = event.custom_metadata
    if metadata is None:
        return None
    try:
        return _encoder.encode(tag(json_form(metadata))).decode()
    except SERIALIZATION_ERRORS as exc:
        raise _unencodable(event, "custom_metadata", exc) from exc


def _encode_extra(event: Event) -> str | None:
    # Most events leave every extra field at its default: find out cheaply before
    # asking pydantic to serialise anything. A field still at its default value
    # was never assigned, so only assigned fields need comparing, plus node_info,
    # whose default object ADK mutates in place (``event.node_info.path = ...``).
    candidates = event.model_fields_set & extra_fields()
    candidates.add("node_info")
    defaults = _extra_defaults()
    # A model equal to its default still counts when fields were set on it
    # (NodeInfo(path="")): its model_fields_set is part of what round-trips.
    changed = {
        name
        for name in candidates
        if (value := getattr(event, name)) is not (default := defaults[name])
        and (value != default or (isinstance(value, BaseModel) and value.model_fields_set))
    }
    # SQLite's REAL column turns -0.0 into 0.0: the sign is kept here.
    negative_zero = event.timestamp == 0.0 and math.copysign(1.0, event.timestamp) < 0
    if not changed and not negative_zero:
        return None
    # Field by field, in the Event's order: each value is written with its set
    # fields only (read back with the same model_fields_set), and without
    # loss (see _model_json).
    members = []
    for name in _EXTRA_FIELD_ORDER:
        if name in changed:
            try:
                text = dump_json(
                    getattr(event, name), field_adapter(name), in_any=_field_holds_any(name)
                )
            except SERIALIZATION_ERRORS as exc:
                raise _unencodable(event, name, exc) from exc
            members.append(f'"{name}":{text}')
    if negative_zero:
        members.append('"timestamp":-0.0')
    return "{" + ",".join(members) + "}"


# --- decoding ---------------------------------------------------------------------------

_EXTRA_FIELD_ORDER = tuple(name for name in Event.model_fields if name in extra_fields())
_EVENT_FIELD_NAMES = frozenset(Event.model_fields)
# Event fields with a scalar column of their own that is NULL when the field is unset.
SCALAR_FIELDS_SET_OR_NULL = (
    "branch",
    "partial",
    "turn_complete",
    "interrupted",
    "error_code",
    "error_message",
)


def decode_event_validated(record: EventRecord) -> Event:
    """Rebuilds the ``Event`` that `encode_event` stored, through pydantic validation.

    The reference decoding: every JSON column is validated by its field's
    adapter and the event by ``Event.model_validate``. `adk_sqlite.codec.fast`
    builds the same events without validating and checks itself against this.

    Raises:
        UnsafePayloadError: The row's actions blob names a forbidden type or is
            malformed (nothing from it is executed).
        CorruptRecordError: The row's JSON columns are invalid.
    """
    blob = record.actions
    actions = EventActions() if blob is None else load_actions(blob, record)
    try:
        text = record.content
        content = None if text is None else validate_field_json("content", text)
        return Event.model_validate(event_values(record, actions, content, validate_field_json))
    except (msgspec.DecodeError, ValueError, TypeError) as exc:
        raise corrupt_record(record, exc) from exc


def event_values(
    record: EventRecord,
    actions: EventActions,
    content: types.Content | None,
    decode_field_json: Callable[[str, str | bytes], Any],
) -> dict[str, Any]:
    """The values, by field name, that the ``Event`` of ``record`` is made from.

    ``actions`` and ``content`` (None: the row has none) come decoded.
    ``decode_field_json`` turns each other field's JSON (from ``extra`` or from
    a model column) into its value: validated, or rebuilt by the fast path.
    """
    values: dict[str, Any] = {
        "id": record.id,
        "invocation_id": record.invocation_id,
        "author": record.author,
        "timestamp": record.timestamp,
        "actions": actions,
    }
    if content is not None:
        values["content"] = content
    if record.extra is not None:
        for name, raw in _raw_object_decoder.decode(record.extra).items():
            if name in _EVENT_FIELD_NAMES:  # unknown names: ignored, as Event ignores them
                values[name] = decode_field_json(name, bytes(raw))
    for name in MODEL_JSON_COLUMNS[1:]:
        text = getattr(record, name)
        if text is not None:
            values[name] = decode_field_json(name, text)
    if record.custom_metadata is not None:
        values["custom_metadata"] = json_object(record.custom_metadata)
    if record.long_running_tool_ids_json is not None:
        values["long_running_tool_ids"] = set(
            _json_decoder.decode(record.long_running_tool_ids_json)
        )
    for name in SCALAR_FIELDS_SET_OR_NULL:
        value = getattr(record, name)
        if value is not None:
            values[name] = value
    return values


def json_object(text: str) -> dict[str, Any]:
    """A JSON object column (``custom_metadata``), its tags undone."""
    value = _json_decoder.decode(text)
    if may_hold_tags(text):
        value = untag(value)
    if type(value) is not dict:
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


def corrupt_record(record: EventRecord, exc: Exception) -> CorruptRecordError:
    """The error for a row whose columns cannot be decoded, naming the event and session."""
    return CorruptRecordError(
        f"event {record.id!r} of session {record.session_id!r} is corrupt: {exc}"
    )
