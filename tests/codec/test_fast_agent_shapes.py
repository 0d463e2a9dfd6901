"""The fast path on the events of a tool-using agent: the same events validation builds.

A turn of such an agent is a user question, a model message with a function call
(and its thought signature, bytes stored as base64) and usage metadata, the
tool's function response, then an answer with usage metadata and, now and then,
a state delta; ``model_version`` and ``finish_reason`` sit in the ``extra``
column. `adk_sqlite.codec.fast.events` builds the commonest of these shapes in
one pass, beside the general converter; every event here is compared with the
validated one by the self-check's own strict comparison, and by the number of
objects the cyclic collector tracks.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types
from pydantic import BaseModel

from adk_sqlite.codec import fast
from adk_sqlite.codec.events import decode_event_validated, encode_event
from adk_sqlite.codec.fast.self_check import differences
from adk_sqlite.errors import CorruptRecordError
from adk_sqlite.records import EventRecord

_SIGNATURE = bytes(range(48))


def _usage(prompt: int) -> types.GenerateContentResponseUsageMetadata:
    return types.GenerateContentResponseUsageMetadata(
        prompt_token_count=prompt,
        candidates_token_count=42,
        total_token_count=prompt + 42,
        prompt_tokens_details=[
            types.ModalityTokenCount(modality=types.MediaModality.TEXT, token_count=prompt)
        ],
    )


def _call(call_id: str | None, **part: Any) -> types.Part:
    call = types.FunctionCall(name="get_forecast", args={"city": "Paris", "days": 2})
    if call_id is not None:
        call.id = call_id
    return types.Part(function_call=call, **part)


def _response(call_id: str) -> types.Part:
    return types.Part(
        function_response=types.FunctionResponse(
            id=call_id,
            name="get_forecast",
            response={"days": [{"day": "Sat", "high": 21.0}, {"day": "Sun", "rain": None}]},
        )
    )


def _event(event_id: str, author: str, *parts: types.Part, **fields: Any) -> Event:
    role = "user" if author == "user" else "model"
    return Event(
        id=event_id,
        invocation_id="inv-1",
        author=author,
        timestamp=1_750_000_000.5,
        content=types.Content(role=role, parts=list(parts)),
        **fields,
    )


def _agent_events() -> list[Event]:
    """One of each shape an agent's turn is made of, and their near variants."""
    call_with_null_id = types.Part(
        function_call=types.FunctionCall(id=None, name="get_forecast", args={})
    )
    return [
        _event("question", "user", types.Part(text="Weather in Paris?")),
        _event(
            "call",
            "assistant",
            _call("call-1", thought_signature=_SIGNATURE),
            usage_metadata=_usage(1200),
            model_version="gemini-2.5-flash",
        ),
        _event("response", "assistant", _response("call-1")),
        _event(
            "answer",
            "assistant",
            types.Part(text="Dry on Saturday."),
            usage_metadata=_usage(1201),
            model_version="gemini-2.5-flash",
            finish_reason=types.FinishReason.STOP,
            actions=EventActions(state_delta={"turns": 1}),
        ),
        _event("call-without-signature", "assistant", _call("call-2")),
        _event("call-without-id", "assistant", _call(None)),
        _event("call-with-null-id", "assistant", call_with_null_id),
        _event(
            "text-then-calls",
            "assistant",
            types.Part(text="Checking both."),
            _call("call-3", thought_signature=_SIGNATURE),
            _call("call-4"),
        ),
        _event("responses", "assistant", _response("call-3"), _response("call-4")),
        _event("empty-signature", "assistant", _call("call-5", thought_signature=b"")),
        # Shapes left to the general converter: a thought, a call beside its text.
        _event("thought", "assistant", types.Part(text="hm", thought=True)),
        _event(
            "call-and-text",
            "assistant",
            types.Part(text="x", function_call=types.FunctionCall(name="f")),
        ),
    ]


def _records() -> Iterator[tuple[str, EventRecord]]:
    for event in _agent_events():
        yield event.id, encode_event(event, app_name="app", user_id="user", session_id="s")


def _fast_decoder() -> Callable[[EventRecord], Event]:
    path = fast.fast_path()
    assert path is not None, "; ".join(fast.self_check_result().problems)
    return path.decode_event


def _compared(record: EventRecord) -> list[str]:
    expected = decode_event_validated(record)
    got = _fast_decoder()(record)
    found = differences(expected, got, record.id)
    if expected.model_dump_json() != got.model_dump_json():
        found.append("the JSON dumps differ")
    return found


@pytest.mark.parametrize(
    ("event_id", "record"), [pytest.param(*pair, id=pair[0]) for pair in _records()]
)
def test_an_agent_event_decodes_as_validation_decodes_it(
    event_id: str, record: EventRecord
) -> None:
    assert _compared(record) == [], event_id


def _record_with(**columns: Any) -> EventRecord:
    values: dict[str, Any] = {
        "id": "crafted",
        "app_name": "app",
        "user_id": "user",
        "session_id": "s",
        "invocation_id": "inv-1",
        "author": "assistant",
        "timestamp": 1_750_000_000.5,
    }
    return EventRecord(**(values | columns))


@pytest.mark.parametrize(
    "signature",
    [
        "+/v8",  # the standard alphabet: pydantic reads it too
        "-_v8",  # the URL-safe one, which pydantic writes
        "AAE",  # unpadded
    ],
)
def test_a_thought_signature_pydantic_did_not_write_reads_as_validation_reads_it(
    signature: str,
) -> None:
    content = (
        '{"parts":[{"function_call":{"id":"c","args":{},"name":"f"},'
        f'"thought_signature":"{signature}"}}],"role":"model"}}'
    )
    assert _compared(_record_with(content=content)) == []


def test_an_invalid_thought_signature_is_refused_as_validation_refuses_it() -> None:
    content = '{"parts":[{"function_call":{"name":"f"},"thought_signature":"A"}],"role":"model"}'
    record = _record_with(content=content)
    with pytest.raises(CorruptRecordError, match="valid base64"):
        decode_event_validated(record)
    with pytest.raises(CorruptRecordError, match="valid base64"):
        _fast_decoder()(record)


@pytest.mark.parametrize(
    "extra",
    [
        '{"model_version":"m","avg_logprobs":-1}',  # an int where a float is annotated
        '{"model_version":null,"finish_reason":"STOP"}',
        '{"finish_reason":"NOT_A_REASON"}',  # left to the enum's own hook
        '{"model_version":"m","unknown_field":[1]}',  # ignored, as Event ignores it
        '{"output":{"$float":"NaN"},"model_version":"m"}',  # a tag: field by field
    ],
)
def test_fields_in_extra_decode_as_validation_decodes_them(extra: str) -> None:
    assert _compared(_record_with(extra=extra)) == []


def test_a_call_event_is_built_from_objects_of_its_own() -> None:
    """Two events decoded from one record share no mutable object."""
    record = dict(_records())["text-then-calls"]
    decode = _fast_decoder()
    first, second = decode(record), decode(record)

    def mutable_ids(value: Any) -> Iterator[int]:
        if isinstance(value, BaseModel):
            yield id(value)
            yield id(value.__dict__)
            yield id(value.model_fields_set)
            for item in value.__dict__.values():
                yield from mutable_ids(item)
        elif isinstance(value, (dict, list, set)):
            yield id(value)
            for item in value.values() if isinstance(value, dict) else value:
                yield from mutable_ids(item)

    assert set(mutable_ids(first)).isdisjoint(mutable_ids(second))


def _tracked_by(make: Callable[[], object]) -> int:
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        made = make()
        after = len(gc.get_objects())
    finally:
        gc.enable()
    del made
    return after - before


@pytest.mark.parametrize(
    ("event_id", "record"), [pytest.param(*pair, id=pair[0]) for pair in list(_records())[:4]]
)
def test_an_agent_event_holds_as_many_tracked_objects_as_the_validated_one(
    event_id: str, record: EventRecord
) -> None:
    decode = _fast_decoder()
    decode(record)  # first-use work (caches, compiled converters) is not counted
    decode_event_validated(record)

    fast_tracked = _tracked_by(lambda: [decode(record) for _ in range(50)])
    validated_tracked = _tracked_by(lambda: [decode_event_validated(record) for _ in range(50)])

    assert fast_tracked == validated_tracked, event_id
