"""Decoding an event record without re-validating: the fast twin of `decode_event_validated`.

Every value read back was written by ``model_dump_json`` of models pydantic had
validated, so wherever the validated result is known in advance it is built
directly: a message of text, function call (with its thought signature) and
function response parts in one pass (`model_builder`, with the converter's own
rules for the function call and response, `json_models.model_rules`), every
other JSON column by `json_models`' converters, ``extra`` in one piece, and
the event itself by its builder. What the converters do not rebuild is
validated in pydantic's JSON mode, exactly as `adk_sqlite.codec.events` does
it, so bytes (base64 in JSON) and exact floats stay intact either way.

Imported only through `adk_sqlite.codec.fast`, once its self-check has found
every private hook in place: the builders below are made at import time.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from typing import Any

import msgspec
from google.adk.events.event import Event, NodeInfo
from google.adk.events.event_actions import EventActions
from google.genai import types
from pydantic import TypeAdapter

from adk_sqlite.codec.events import (
    MODEL_JSON_COLUMNS,
    SCALAR_FIELDS_SET_OR_NULL,
    corrupt_record,
    field_adapter,
    json_object,
    load_actions,
    validate_tagged_json,
)
from adk_sqlite.codec.exact_json import may_hold_tags, untag
from adk_sqlite.codec.fast.json_models import (
    ModelRules,
    NotPlainJsonError,
    json_converter,
    model_rules,
)
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
_raw_object_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])
_EVENT_FIELD_NAMES = frozenset(Event.model_fields)
# Every model column but content (decoded first, on its own), in event_values' order.
_OPTIONAL_MODEL_COLUMNS = MODEL_JSON_COLUMNS[1:]
# The fields an event makes afresh when not given (its node_info): the required
# ones and the actions are always given.
_MADE_EVENT_FIELDS = _EVENT.made_fields(("id", "invocation_id", "author", "timestamp", "actions"))


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
            return _event_with_columns(record, actions, content)
    except (msgspec.DecodeError, ValueError, TypeError) as exc:
        raise corrupt_record(record, exc) from exc
    # Most events: only the always-set fields, and maybe content. Built here
    # without the general path's dict of values.
    data = _always_set_fields(record, actions)
    data["node_info"] = _new_node_info()
    if content is None:
        return _assemble_event(data, {"id", "invocation_id", "author", "timestamp", "actions"})
    data["content"] = content
    return _assemble_event(
        data, {"id", "invocation_id", "author", "timestamp", "actions", "content"}
    )


def _event_with_columns(
    record: EventRecord, actions: EventActions, content: types.Content | None
) -> Event:
    """An event with optional columns set: `event_values`, written into the event's dict.

    The values, and which wins where two columns give the same field, are
    `event_values`' own; ``extra`` is decoded in one piece when it holds no tag.
    """
    data = _always_set_fields(record, actions)
    fields_set = {"id", "invocation_id", "author", "timestamp", "actions"}
    if content is not None:
        data["content"] = content
        fields_set.add("content")
    if record.extra is not None:
        _set_extra_fields(record.extra, data, fields_set)
    for name in _OPTIONAL_MODEL_COLUMNS:
        text = getattr(record, name)
        if text is not None:
            data[name] = _decode_field_json(name, text)
            fields_set.add(name)
    if record.custom_metadata is not None:
        data["custom_metadata"] = json_object(record.custom_metadata)
        fields_set.add("custom_metadata")
    if record.long_running_tool_ids_json is not None:
        data["long_running_tool_ids"] = set(_json_decoder.decode(record.long_running_tool_ids_json))
        fields_set.add("long_running_tool_ids")
    for name in SCALAR_FIELDS_SET_OR_NULL:
        value = getattr(record, name)
        if value is not None:
            data[name] = value
            fields_set.add(name)
    for name, factory in _MADE_EVENT_FIELDS:
        if name not in fields_set:
            data[name] = factory()
    return _assemble_event(data, fields_set)


def _always_set_fields(record: EventRecord, actions: EventActions) -> dict[str, Any]:
    """A new event's dict: the defaults, and the fields every stored event sets."""
    data = _EVENT_TEMPLATE.copy()
    data["id"] = record.id
    data["invocation_id"] = record.invocation_id
    data["author"] = record.author
    data["timestamp"] = record.timestamp
    data["actions"] = actions
    return data


def _set_extra_fields(extra: str, data: dict[str, Any], fields_set: set[str]) -> None:
    """The fields stored in ``extra``, decoded into ``data``; unknown names ignored."""
    fields = None if may_hold_tags(extra) else _json_decoder.decode(extra)
    if type(fields) is not dict:  # tags, or not an object: field by field (or the error)
        for name, raw in _raw_object_decoder.decode(extra).items():
            if name in _EVENT_FIELD_NAMES:
                data[name] = _decode_field_json(name, bytes(raw))
                fields_set.add(name)
        return
    for name, value in fields.items():
        if name in _EVENT_FIELD_NAMES:
            try:
                data[name] = _field_converter(name)(value)
            except NotPlainJsonError:
                raw = _raw_object_decoder.decode(extra)[name]
                data[name] = field_adapter(name).validate_json(bytes(raw))
            fields_set.add(name)


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
    # A message of the parts an agent's turns are made of (text, function
    # calls and responses), the commonest by far, is assembled here in one
    # pass; any other shape goes through the converter (or validation).
    if (
        type(raw) is dict
        and type(parts := raw.get("parts")) is list
        and type(role := raw.get("role")) is str
        and len(raw) == 2
    ):
        for part in parts:
            if not (type(part) is dict and len(part) == 1 and type(part.get("text")) is str):
                break
        else:  # text only, the commonest: its parts are replaced in place
            for index, part in enumerate(parts):
                data = _PART_TEMPLATE.copy()
                data["text"] = part["text"]
                parts[index] = _assemble_part(data, {"text"})
            data = _CONTENT_TEMPLATE.copy()
            data["parts"] = parts
            data["role"] = role
            return _assemble_content(data, {"parts", "role"})
        built = []
        for part in parts:
            if type(part) is not dict:
                break
            if len(part) == 1 and type(part_text := part.get("text")) is str:
                data = _PART_TEMPLATE.copy()
                data["text"] = part_text
                built.append(_assemble_part(data, {"text"}))
                continue
            tool_part = _tool_part(part)
            if tool_part is None:
                break
            built.append(tool_part)
        else:
            return _content(built, role)
    try:
        content = _CONTENT_FROM_JSON(raw)
    except NotPlainJsonError:
        return types.Content.model_validate_json(text)
    return content


def _content(parts: list[types.Part], role: str) -> types.Content:
    data = _CONTENT_TEMPLATE.copy()
    data["parts"] = parts
    data["role"] = role
    return _assemble_content(data, {"parts", "role"})


def _tool_part(part: dict[str, Any]) -> types.Part | None:
    """A function call part (with its thought signature or not) or a function response
    part, as the converter would rebuild it; None for any other shape (left to it)."""
    if _TOOL_PARTS is None:
        return None
    call_rules, response_rules, signature_from_json = _TOOL_PARTS
    call = part.get("function_call")
    if call is not None:
        if len(part) == 1:
            return _part_of_model("function_call", call_rules, call, {})
        signature = part.get("thought_signature")
        if len(part) != 2 or type(signature) is not str:
            return None
        try:
            thought_signature = signature_from_json(signature)
        except NotPlainJsonError:
            return None
        return _part_of_model(
            "function_call", call_rules, call, {"thought_signature": thought_signature}
        )
    response = part.get("function_response")
    if response is None or len(part) != 1:
        return None
    return _part_of_model("function_response", response_rules, response, {})


def _part_of_model(
    field: str, rules: ModelRules, value: Any, others: dict[str, Any]
) -> types.Part | None:
    """The part whose ``field`` is the model ``value`` holds (see `_plain_model`) and
    whose other set fields are ``others``; None when ``value`` is not plain."""
    model = _plain_model(rules, value)
    if model is None:
        return None
    data = _PART_TEMPLATE.copy()
    data[field] = model
    data.update(others)
    return _assemble_part(data, {field, *others})


def _plain_model(rules: ModelRules, value: Any) -> Any:
    """The model ``value`` holds when every key of it is a field kept as it is (with a
    type it accepts) and nothing is made afresh; None otherwise."""
    if type(value) is not dict:
        return None
    kept = rules.kept
    for name, element in value.items():
        kinds = kept.get(name, _NOT_KEPT)
        if kinds is _NOT_KEPT or (kinds is not None and type(element) not in kinds):
            return None
    if rules.required and not rules.required <= value.keys():
        return None
    data = rules.builder.template.copy()
    data.update(value)
    return rules.builder.assemble(data, set(value))


_NOT_KEPT: Any = object()


def _tool_part_rules() -> tuple[ModelRules, ModelRules, Callable[[Any], Any]] | None:
    """What `_tool_part` needs: the rules of FunctionCall and FunctionResponse, and the
    thought signature's converter; None (no shortcut) unless Part's fields are what it
    assumes (optional models rebuilt by the converter, with no field made afresh)."""
    part_rules = model_rules(types.Part)
    if part_rules is None or part_rules.builder.made_fields(()):
        return None
    found = []
    for name, model in (
        ("function_call", types.FunctionCall),
        ("function_response", types.FunctionResponse),
    ):
        rules = model_rules(model)
        annotation = types.Part.model_fields[name].annotation
        if (
            rules is None
            or rules.builder.made_fields(())
            or name not in part_rules.converted
            or set(typing.get_args(annotation)) != {model, type(None)}
        ):
            return None
        found.append(rules)
    signature = part_rules.converted.get("thought_signature")
    if signature is None or types.Part.model_fields["thought_signature"].annotation != (
        bytes | None
    ):
        return None
    return found[0], found[1], signature[0]


_TOOL_PARTS = _tool_part_rules()
