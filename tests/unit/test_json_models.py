"""Models rebuilt from JSON without validation must be exactly the validated ones."""

from __future__ import annotations

import enum
import logging
from typing import Any

import msgspec
import pytest
from google.adk.events.event import Event
from google.genai import types
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, TypeAdapter, field_validator

from adk_sqlite.codec.events import encode_event
from adk_sqlite.codec.fast import decode_event
from adk_sqlite.codec.fast.json_models import NotPlainJsonError, json_converter
from support.models import fields_set_tree

counts = st.none() | st.integers(min_value=0, max_value=2**40)
modalities = st.sampled_from(list(types.MediaModality))
token_counts = st.builds(
    types.ModalityTokenCount, modality=st.none() | modalities, token_count=counts
)
details = st.none() | st.lists(token_counts, max_size=3)
usages = st.builds(
    types.GenerateContentResponseUsageMetadata,
    prompt_token_count=counts,
    candidates_token_count=counts,
    total_token_count=counts,
    cached_content_token_count=counts,
    thoughts_token_count=counts,
    tool_use_prompt_token_count=counts,
    prompt_tokens_details=details,
    candidates_tokens_details=details,
    cache_tokens_details=details,
    traffic_type=st.none() | st.sampled_from(list(types.TrafficType)),
)
transcriptions = st.builds(
    types.Transcription, text=st.none() | st.text(), finished=st.none() | st.booleans()
)
citations = st.builds(
    types.CitationMetadata,
    citations=st.none()
    | st.lists(
        st.builds(
            types.Citation,
            start_index=counts,
            end_index=counts,
            uri=st.none() | st.text(max_size=10),
            title=st.none() | st.text(max_size=10),
            license=st.none() | st.text(max_size=5),
            publication_date=st.none()
            | st.builds(types.GoogleTypeDate, year=counts, month=counts, day=counts),
        ),
        max_size=2,
    ),
)
parts = st.one_of(
    st.builds(types.Part, text=st.text(), thought=st.none() | st.booleans()),
    st.builds(
        types.Part,
        executable_code=st.builds(
            types.ExecutableCode,
            code=st.text(max_size=10),
            language=st.sampled_from(list(types.Language)),
        ),
    ),
    st.builds(
        types.Part,
        code_execution_result=st.builds(
            types.CodeExecutionResult,
            outcome=st.sampled_from(list(types.Outcome)),
            output=st.none() | st.text(max_size=10),
        ),
    ),
    st.builds(
        types.Part,
        file_data=st.builds(
            types.FileData, file_uri=st.text(max_size=10), mime_type=st.just("text/plain")
        ),
    ),
    st.builds(types.Part.from_bytes, data=st.binary(max_size=8), mime_type=st.just("image/png")),
    st.builds(types.Part, text=st.text(max_size=5), thought_signature=st.binary(max_size=4)),
    st.builds(
        types.Part,
        function_call=st.builds(
            types.FunctionCall, id=st.text(max_size=4), name=st.text(max_size=4), args=st.just({})
        ),
        thought_signature=st.binary(max_size=6),
    ),
)


def _assert_same(annotation: Any, text: str, *, converts: bool = True) -> None:
    """The converter gives what validation gives, or (``converts=False``) declines."""
    validated = TypeAdapter(annotation).validate_json(text)
    if not converts:
        with pytest.raises(NotPlainJsonError):
            json_converter(annotation)(msgspec.json.decode(text))
        return
    converted = json_converter(annotation)(msgspec.json.decode(text))
    assert converted == validated
    assert fields_set_tree(converted) == fields_set_tree(validated)
    assert TypeAdapter(annotation).dump_json(converted) == TypeAdapter(annotation).dump_json(
        validated
    )


@settings(max_examples=200, deadline=None)
@given(usages)
def test_usage_metadata_converts_to_the_validated_value(usage: Any) -> None:
    _assert_same(
        types.GenerateContentResponseUsageMetadata, usage.model_dump_json(exclude_none=True)
    )


@settings(max_examples=100, deadline=None)
@given(transcriptions)
def test_transcriptions_convert_to_the_validated_value(transcription: Any) -> None:
    _assert_same(types.Transcription, transcription.model_dump_json(exclude_none=True))


@settings(max_examples=100, deadline=None)
@given(citations)
def test_citations_convert_to_the_validated_value(citation: Any) -> None:
    # CitationMetadata has a validator of its own (it renames a legacy key): it
    # is always validated, and the citations inside it convert.
    _assert_same(
        types.CitationMetadata, citation.model_dump_json(exclude_none=True), converts=False
    )
    listed = TypeAdapter(list[types.Citation]).dump_json(
        citation.citations or [], exclude_none=True
    )
    _assert_same(list[types.Citation], listed.decode())


@settings(max_examples=200, deadline=None)
@given(st.lists(parts, max_size=4), st.none() | st.sampled_from(["user", "model"]))
def test_content_of_any_part_kind_converts_to_the_validated_value(
    part_list: list[Any], role: str | None
) -> None:
    content = types.Content(parts=part_list, role=role)
    _assert_same(types.Content, content.model_dump_json(exclude_none=True))


def test_the_common_shapes_are_really_converted_not_left_to_validation() -> None:
    usage = types.GenerateContentResponseUsageMetadata(
        prompt_token_count=3,
        prompt_tokens_details=[types.ModalityTokenCount(modality="TEXT", token_count=3)],
    )
    content = types.Content(
        role="model",
        parts=[
            types.Part(function_call=types.FunctionCall(id="c", name="f", args={"x": [1, 2.5]})),
            types.Part(executable_code=types.ExecutableCode(code="print(1)", language="PYTHON")),
        ],
    )
    for annotation, value in (
        (types.GenerateContentResponseUsageMetadata, usage),
        (types.Content, content),
        (types.Transcription, types.Transcription(text="hi", finished=True)),
    ):
        converted = json_converter(annotation)(
            msgspec.json.decode(value.model_dump_json(exclude_none=True))
        )
        assert converted == value


@pytest.mark.parametrize(
    ("annotation", "text"),
    [
        (types.Transcription, '{"text": 1}'),  # wrong type: validation decides
        (types.Transcription, '{"finished": 1}'),  # an int is not a bool here
        (types.Transcription, '{"Text": "x"}'),  # unknown key
        (types.ModalityTokenCount, '{"modality": "text"}'),  # case: the enum's own hook
        (types.ModalityTokenCount, '{"tokenCount": 3}'),  # an alias: validation decides
        (types.Part, '{"text": "x", "thought": null}'),  # Part's __init__ drops nulls
        (types.Part, '{"inline_data": {"data": "not base64!"}}'),  # validation reports it
        (list[types.Transcription], "{}"),
    ],
)
def test_shapes_it_does_not_know_are_left_to_validation(annotation: Any, text: str) -> None:
    with pytest.raises(NotPlainJsonError):
        json_converter(annotation)(msgspec.json.decode(text))


def test_a_model_with_validators_of_its_own_is_always_validated() -> None:
    class Checked(BaseModel):
        size: int = 0

        @field_validator("size")
        @classmethod
        def _positive(cls, value: int) -> int:
            return abs(value)

    class Constrained(BaseModel):
        size: int = Field(default=0, ge=0)

    with pytest.raises(NotPlainJsonError):
        json_converter(Checked)({"size": -1})
    with pytest.raises(NotPlainJsonError):
        json_converter(Constrained)({"size": -1})


def test_a_recursive_model_converts() -> None:
    schema = types.Schema(type="OBJECT", properties={"a": types.Schema(type="STRING")})
    text = schema.model_dump_json(exclude_none=True)
    _assert_same(types.Schema, text)


def test_an_exact_enum_value_gives_the_member_and_nothing_else_does() -> None:
    class Color(enum.Enum):
        RED = "red"
        ONE = 1

    convert = json_converter(Color)
    assert convert("red") is Color.RED
    assert convert(1) is Color.ONE
    for value in (True, 1.0, "RED", "blue"):
        with pytest.raises(NotPlainJsonError):
            convert(value)


def test_genais_type_check_hook_leaves_json_data_untouched(caplog: Any) -> None:
    # The converter skips this hook; that is exact only while, for JSON data,
    # it returns its input unchanged and logs nothing.
    data = msgspec.json.decode(
        b'{"parts": [{"text": "x", "function_call": {"name": "f", "args": {"a": {"b": 1}}}}]}'
    )
    with caplog.at_level(logging.DEBUG):
        assert types.Content._check_field_type_mismatches(data) is data
        assert types.Part._check_field_type_mismatches(data["parts"][0]) is data["parts"][0]
    assert caplog.records == []


def test_a_real_model_event_decodes_to_the_validated_event() -> None:
    event = Event(
        invocation_id="inv",
        author="assistant",
        model_version="gemini-test",
        finish_reason=types.FinishReason.STOP,
        avg_logprobs=-0.5,
        content=types.Content(role="model", parts=[types.Part(text="answer")]),
        usage_metadata=types.GenerateContentResponseUsageMetadata(
            prompt_token_count=10,
            candidates_token_count=2,
            prompt_tokens_details=[types.ModalityTokenCount(modality="TEXT", token_count=10)],
        ),
        output_transcription=types.Transcription(text="spoken", finished=True),
    )
    decoded = decode_event(encode_event(event, app_name="a", user_id="u", session_id="s"))
    validated = Event.model_validate_json(event.model_dump_json())
    assert decoded == event == validated
    assert decoded.model_dump_json() == validated.model_dump_json()
