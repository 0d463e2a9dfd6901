"""Pure conversion between ADK events and event records, and between time scales.

An ``Event`` is spread over the columns of the seed schema (``content`` and the
other metadata as JSON text, ``actions`` as a restricted pickle, flags as
0/1/NULL) and every field without a column of its own goes, as JSON, into
``extra``: a field ADK adds later round-trips with no schema change.

Decoding does not re-validate what pydantic validated when the event was
built: a text-only message is assembled directly (`model_builder`), every
other JSON column is rebuilt from its JSON by `json_models` when the result is
known in advance, and validated in pydantic's JSON mode when it is not, so
bytes (base64 in JSON) and exact floats stay intact either way.

``actions`` is NULL when the event carries default (empty) actions: nothing to
pickle, nothing to unpickle.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

import msgspec
from google.adk.events.event import Event, NodeInfo
from google.adk.events.event_actions import EventActions
from google.genai import types
from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic_core import PydanticSerializationError, to_json

from adk_sqlite.codec.actions_pickle import UnsafePickleError, dumps_actions, loads_actions
from adk_sqlite.codec.exact_json import json_form, may_hold_tags, tag, untag
from adk_sqlite.codec.fast.gc_pause import paused_gc
from adk_sqlite.codec.fast.json_models import NotPlainJsonError, json_converter
from adk_sqlite.codec.fast.model_builder import ModelBuilder
from adk_sqlite.codec.model_json import (
    dump_json,
    fields_to_check,
    holds_any,
    needs_preparing,
    prepared,
)
from adk_sqlite.codec.state import json_safe
from adk_sqlite.errors import CorruptRecordError, UnencodableValueError, UnsafePayloadError
from adk_sqlite.records import EventRecord

__all__ = [
    "COLUMN_FIELDS",
    "decode_event",
    "decode_events",
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
_json_decoder = msgspec.json.Decoder()
_raw_object_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])
_DEFAULT_ACTIONS = EventActions()


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
def _field_adapter(name: str) -> TypeAdapter[Any]:
    annotation = _annotation(name)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return TypeAdapter(annotation)  # a model brings its own configuration
    return TypeAdapter(annotation, config=_EVENT_JSON_CONFIG)


@functools.cache
def _field_converter(name: str) -> Callable[[Any], Any]:
    return json_converter(_annotation(name))


@functools.cache
def _field_holds_any(name: str) -> bool:
    return holds_any(_annotation(name))


def _decode_field_json(name: str, text: str | bytes) -> Any:
    """One event field's value from its JSON: converted if plain, else validated."""
    if may_hold_tags(text):
        return _decode_tagged(_field_converter(name), _field_adapter(name), text)
    try:
        return _field_converter(name)(_json_decoder.decode(text))
    except (msgspec.DecodeError, NotPlainJsonError):
        return _field_adapter(name).validate_json(text)


def _decode_tagged(
    converter: Callable[[Any], Any], adapter: TypeAdapter[Any], text: str | bytes
) -> Any:
    """A value whose JSON holds tags (non-finite floats, escaped objects)."""
    try:
        return converter(untag(_json_decoder.decode(text)))
    except NotPlainJsonError:
        # The converter rebuilds in place (base64 text already turned into
        # bytes, say), so the text is read afresh, then validated in JSON
        # mode, as untagged JSON is, so that bytes are read as base64;
        # pydantic's JSON reader takes the NaN/Infinity constants.
        data = untag(_json_decoder.decode(text))
        return adapter.validate_json(to_json(data, inf_nan_mode="constants"))


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
        actions=_encode_actions(event, state_delta),
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


# What pydantic raises when a value cannot be written: a lone surrogate, an
# integer too long, a circular reference, an object of no JSON form.
_SERIALIZATION_ERRORS = (PydanticSerializationError, ValueError, TypeError, RecursionError)


def _model_json(event: Event, name: str) -> str | None:
    value = getattr(event, name)
    if value is None:
        return None
    try:
        return dump_json(value)
    except _SERIALIZATION_ERRORS as exc:
        raise _unencodable(event, name, exc) from exc


def _custom_metadata_json(event: Event) -> str | None:
    metadata = event.custom_metadata
    if metadata is None:
        return None
    try:
        return _encoder.encode(tag(json_form(metadata))).decode()
    except _SERIALIZATION_ERRORS as exc:
        raise _unencodable(event, "custom_metadata", exc) from exc


def _encode_actions(event: Event, state_delta: Mapping[str, Any] | None) -> bytes | None:
    actions = event.actions
    updates: dict[str, Any] = {}
    if actions.state_delta:
        updates["state_delta"] = (
            json_safe(actions.state_delta) if state_delta is None else dict(state_delta)
        )
    # Every field that can reach an Any value (the compaction's content holds
    # function call arguments too), not only those needs_load_check names.
    check = any(
        (value := getattr(actions, name)) is not None and (value or type(value) not in (dict, list))
        for name in _ACTIONS_FIELDS_REACHING_ANY
    )
    if check:
        try:
            updates.update(_json_forms_of_any_fields(actions))
        except _SERIALIZATION_ERRORS as exc:
            raise UnencodableValueError(
                f"event {event.id!r}: its actions cannot be stored: {exc}"
            ) from exc
    if updates:
        # Built, not copied with update=, so that model_fields_set stays the caller's.
        actions = EventActions.model_construct(
            _fields_set=set(actions.model_fields_set), **{**dict(actions), **updates}
        )
    if actions == _DEFAULT_ACTIONS and not actions.model_fields_set:
        return None
    try:
        return dumps_actions(actions, check=check)
    except UnsafePickleError as exc:
        raise UnencodableValueError(
            f"event {event.id!r}: its actions cannot be stored safely: {exc}"
        ) from exc


_ACTIONS_FIELDS_REACHING_ANY = tuple(
    name for name in fields_to_check(EventActions) if name != "state_delta"
)


def _json_forms_of_any_fields(actions: EventActions) -> dict[str, Any]:
    """The Any-typed values of ``actions`` that are not JSON data, as their JSON form.

    Stored as ADK's database services store them (a model as the dict of its
    fields, a tuple as a list, bytes as base64 text): the restricted unpickler
    could not load an application's class back, and the invariant says what a
    JSON store keeps. An ``AuthConfig`` stays itself: the unpickler knows it.
    Every field is looked at, set or not: ADK fills these dicts in place.
    """
    updates: dict[str, Any] = {}
    for name, any_typed in fields_to_check(EventActions).items():
        value = getattr(actions, name)
        if value is None or name == "state_delta":
            continue
        if name == "requested_auth_configs":
            if any(_auth_config_needs_json_form(item) for item in value.values()):
                updates[name] = {
                    key: json_form(item) if _auth_config_needs_json_form(item) else item
                    for key, item in value.items()
                }
        elif needs_preparing(value, in_any=any_typed, tags=False):
            try:
                updates[name] = prepared(value, in_any=any_typed, tags=False)
            except _SERIALIZATION_ERRORS as exc:
                raise ValueError(f"actions.{name} holds a value with no JSON form: {exc}") from exc
    return updates


def _auth_config_needs_json_form(value: Any) -> bool:
    # Imported here: most events hold no auth configs, and the auth models are
    # heavy to import (see _pickle.allowed_globals).
    from google.adk.auth.auth_tool import AuthConfig

    return not isinstance(value, AuthConfig) and needs_preparing(value, in_any=True, tags=False)


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
                    getattr(event, name), _field_adapter(name), in_any=_field_holds_any(name)
                )
            except _SERIALIZATION_ERRORS as exc:
                raise _unencodable(event, name, exc) from exc
            members.append(f'"{name}":{text}')
    if negative_zero:
        members.append('"timestamp":-0.0')
    return "{" + ",".join(members) + "}"


# --- decoding ---------------------------------------------------------------------------

_EXTRA_FIELD_ORDER = tuple(name for name in Event.model_fields if name in extra_fields())
_EVENT = ModelBuilder(Event)
_EVENT_TEMPLATE = _EVENT.template
_assemble_event = _EVENT.assemble
_new_node_info = ModelBuilder(NodeInfo).build_default
_EVENT_FIELD_NAMES = frozenset(Event.model_fields)
_CONTENT = ModelBuilder(types.Content)
_PART = ModelBuilder(types.Part)
_CONTENT_TEMPLATE = _CONTENT.template
_PART_TEMPLATE = _PART.template
_ACTIONS = ModelBuilder(EventActions)
_new_actions = _ACTIONS.build_default
_assemble_part = _PART.assemble
_assemble_content = _CONTENT.assemble
_CONTENT_FROM_JSON = json_converter(types.Content)
_CONTENT_ADAPTER: TypeAdapter[types.Content] = TypeAdapter(types.Content)


def decode_events(records: list[EventRecord]) -> list[Event]:
    """Decodes a session's events, with the garbage collector paused (see `gc_pause`)."""
    with paused_gc():
        return [decode_event(record) for record in records]


def decode_event(record: EventRecord) -> Event:
    """Rebuilds the ``Event`` that `encode_event` stored, field for field.

    Raises:
        UnsafePayloadError: The row's actions blob names a forbidden type or is
            malformed (nothing from it is executed).
        CorruptRecordError: The row's JSON columns are invalid.
    """
    blob = record.actions
    actions = _new_actions() if blob is None else _load_actions(blob, record)
    try:
        text = record.content
        content = None if text is None else _decode_content(text)
        # Spelled out here, not looped nor called: most events set none of
        # these, and this runs for every event read.
        if not (
            record.extra is None
            and record.usage_metadata is None
            and record.branch is None
            and record.long_running_tool_ids_json is None
            and record.custom_metadata is None
            and record.grounding_metadata is None
            and record.citation_metadata is None
            and record.input_transcription is None
            and record.output_transcription is None
            and record.partial is None
            and record.turn_complete is None
            and record.interrupted is None
            and record.error_code is None
            and record.error_message is None
        ):
            values: dict[str, Any] = {
                "id": record.id,
                "invocation_id": record.invocation_id,
                "author": record.author,
                "timestamp": record.timestamp,
                "actions": actions,
            }
            if content is not None:
                values["content"] = content
            _decode_rarely_set_fields(record, values)
            return _EVENT.build(values)
    except (msgspec.DecodeError, ValueError, TypeError) as exc:
        raise CorruptRecordError(
            f"event {record.id!r} of session {record.session_id!r} is corrupt: {exc}"
        ) from exc
    # Most events: only the always-set fields, and maybe content. Built here
    # without the general path's dict of values.
    data = _EVENT_TEMPLATE.copy()
    data["id"] = record.id
    data["invocation_id"] = record.invocation_id
    data["author"] = record.author
    data["timestamp"] = record.timestamp
    data["actions"] = actions
    data["node_info"] = _new_node_info()
    if content is None:
        return _assemble_event(data, {"id", "invocation_id", "author", "timestamp", "actions"})
    data["content"] = content
    return _assemble_event(
        data, {"id", "invocation_id", "author", "timestamp", "actions", "content"}
    )


def _decode_rarely_set_fields(record: EventRecord, values: dict[str, Any]) -> None:
    if record.extra is not None:
        for name, raw in _raw_object_decoder.decode(record.extra).items():
            if name in _EVENT_FIELD_NAMES:  # unknown names: ignored, as Event ignores them
                values[name] = _decode_field_json(name, bytes(raw))
    for name in _MODEL_JSON_COLUMNS[1:]:
        text = getattr(record, name)
        if text is not None:
            values[name] = _decode_field_json(name, text)
    if record.custom_metadata is not None:
        values["custom_metadata"] = _json_object(record.custom_metadata)
    if record.long_running_tool_ids_json is not None:
        values["long_running_tool_ids"] = set(
            _json_decoder.decode(record.long_running_tool_ids_json)
        )
    for name in (
        "branch",
        "partial",
        "turn_complete",
        "interrupted",
        "error_code",
        "error_message",
    ):
        value = getattr(record, name)
        if value is not None:
            values[name] = value


def _json_object(text: str) -> dict[str, Any]:
    value = _json_decoder.decode(text)
    if may_hold_tags(text):
        value = untag(value)
    if type(value) is not dict:
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


def _decode_content(text: str) -> types.Content:
    if may_hold_tags(text):
        content: types.Content = _decode_tagged(_CONTENT_FROM_JSON, _CONTENT_ADAPTER, text)
        return content
    try:
        raw = _json_decoder.decode(text)
    except msgspec.DecodeError:
        return types.Content.model_validate_json(text)  # raises the clearer error
    # A message of text parts only, the commonest by far, is assembled here in
    # one pass; any other shape goes through the converter (or validation).
    if (
        type(raw) is dict
        and type(parts := raw.get("parts")) is list
        and type(role := raw.get("role")) is str
        and len(raw) == 2
    ):
        for part in parts:
            if not (type(part) is dict and len(part) == 1 and type(part.get("text")) is str):
                break
        else:
            for index, part in enumerate(parts):  # replaced in place
                data = _PART_TEMPLATE.copy()
                data["text"] = part["text"]
                parts[index] = _assemble_part(data, {"text"})
            data = _CONTENT_TEMPLATE.copy()
            data["parts"] = parts
            data["role"] = role
            return _assemble_content(data, {"parts", "role"})
    try:
        content = _CONTENT_FROM_JSON(raw)
    except NotPlainJsonError:
        return types.Content.model_validate_json(text)
    return content


def _load_actions(blob: bytes, record: EventRecord) -> EventActions:
    try:
        return loads_actions(blob)
    except UnsafePickleError as exc:
        raise UnsafePayloadError(
            f"event {record.id!r} of session {record.session_id!r}: its actions blob"
            f" was refused and nothing in it was run: {exc}"
        ) from exc
