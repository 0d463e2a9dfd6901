"""Decoding an event record without re-validating: the fast twin of `decode_event_validated`.

Every value read back was written by ``model_dump_json`` of models pydantic had
validated, so wherever the validated result is known in advance it is built
directly: a text-only message in one pass (`model_builder`), every other JSON
column by `json_models`' converters, and the event itself by its builder. What
the converters do not rebuild is validated in pydantic's JSON mode, exactly as
`adk_sqlite.codec.events` does it, so bytes (base64 in JSON) and exact floats
stay intact either way.

Imported only through `adk_sqlite.codec.fast`, once its self-check has found
every private hook in place: the builders below are made at import time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import msgspec
from google.adk.events.event import Event, NodeInfo
from google.adk.events.event_actions import EventActions
from google.genai import types
from pydantic import TypeAdapter

from adk_sqlite.codec.events import (
    corrupt_record,
    event_values,
    field_adapter,
    load_actions,
    validate_tagged_json,
)
from adk_sqlite.codec.exact_json import may_hold_tags, untag
from adk_sqlite.codec.fast.json_models import NotPlainJsonError, json_converter
from adk_sqlite.codec.fast.model_builder import ModelBuilder
from adk_sqlite.records import EventRecord

__all__ = ["decode_event"]

_json_decoder = msgspec.json.Decoder()

_EVENT = ModelBuilder(Event)
_EVENT_TEMPLATE = _EVENT.template
_assemble_event = _EVENT.assemble
_new_node_info = ModelBuilder(NodeInfo).build_default
_CONTENT = ModelBuilder(types.Content)
_PART = ModelBuilder(types.Part)
_CONTENT_TEMPLATE = _CONTENT.template
_PART_TEMPLATE = _PART.template
_new_actions = ModelBuilder(EventActions).build_default
_assemble_part = _PART.assemble
_assemble_content = _CONTENT.assemble
_CONTENT_FROM_JSON = json_converter(types.Content)
_CONTENT_ADAPTER: TypeAdapter[types.Content] = TypeAdapter(types.Content)


def decode_event(record: EventRecord) -> Event:
    """Rebuilds the ``Event`` that `encode_event` stored, field for field, without validating.

    Raises:
        UnsafePayloadError, CorruptRecordError: As `decode_event_validated`
            raises them (a refused actions blob, invalid JSON columns).
    """
    blob = record.actions
    actions = _new_actions() if blob is None else load_actions(blob, record)
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
            return _EVENT.build(event_values(record, actions, content, _decode_field_json))
    except (msgspec.DecodeError, ValueError, TypeError) as exc:
        raise corrupt_record(record, exc) from exc
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


@functools.cache
def _field_converter(name: str) -> Callable[[Any], Any]:
    annotation: Any = Event.model_fields[name].annotation
    return json_converter(annotation)


def _decode_field_json(name: str, text: str | bytes) -> Any:
    """One event field's value from its JSON: converted if plain, else validated."""
    if may_hold_tags(text):
        return _decode_tagged(_field_converter(name), field_adapter(name), text)
    try:
        return _field_converter(name)(_json_decoder.decode(text))
    except (msgspec.DecodeError, NotPlainJsonError):
        return field_adapter(name).validate_json(text)


def _decode_tagged(
    converter: Callable[[Any], Any], adapter: TypeAdapter[Any], text: str | bytes
) -> Any:
    """A value whose JSON holds tags (non-finite floats, escaped objects)."""
    try:
        return converter(untag(_json_decoder.decode(text)))
    except NotPlainJsonError:
        # The converter rebuilds in place (base64 text already turned into
        # bytes, say), so the text is read afresh and validated.
        return validate_tagged_json(adapter, text)


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
