"""The fast decoding path must give exactly what pydantic validation gives.

These call the fast modules themselves, not the switch in `adk_sqlite.codec.fast`,
so they test the fast path whatever ``ADK_SQLITE_FAST_DECODING`` says.
"""

from __future__ import annotations

import json

from google.adk.events.event import Event
from google.genai import types
from hypothesis import given, settings
from hypothesis import strategies as st

from adk_sqlite.codec.events import encode_event
from adk_sqlite.codec.exact_json import untag
from adk_sqlite.codec.fast.events import _decode_content, decode_event
from support.events import rich_event
from support.models import fields_set_tree

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=8,
)
ids = st.none() | st.text(max_size=8)
function_calls = st.builds(
    types.FunctionCall,
    id=ids,
    name=st.none() | st.text(max_size=8),
    args=st.none() | st.dictionaries(st.text(max_size=5), json_values, max_size=3),
)
function_responses = st.builds(
    types.FunctionResponse,
    id=ids,
    name=st.none() | st.text(max_size=8),
    response=st.none() | st.dictionaries(st.text(max_size=5), json_values, max_size=3),
)
parts = st.one_of(
    st.builds(types.Part, text=st.text(), thought=st.none() | st.booleans()),
    st.builds(types.Part, function_call=function_calls),
    st.builds(types.Part, function_response=function_responses),
    st.builds(types.Part.from_bytes, data=st.binary(max_size=8), mime_type=st.just("image/png")),
)
contents = st.builds(
    types.Content,
    role=st.none() | st.sampled_from(["user", "model"]),
    parts=st.none() | st.lists(parts, max_size=4),
)


@settings(max_examples=300, deadline=None)
@given(contents)
def test_decoded_content_equals_validated_content(content: types.Content) -> None:
    # The content column as the codec writes it: user objects shaped like a tag
    # ({"$object": ...}) are tagged themselves, so a plain dump is not column text.
    event = Event(id="e", author="agent", invocation_id="i", timestamp=1.0, content=content)
    text = encode_event(event, app_name="a", user_id="u", session_id="s").content
    assert text is not None
    validated = types.Content.model_validate_json(json.dumps(untag(json.loads(text))))
    decoded = _decode_content(text)
    assert decoded == validated
    assert fields_set_tree(decoded) == fields_set_tree(validated)
    # Same fields in the same order: dumps (which follow __dict__) match too.
    assert decoded.model_dump_json() == validated.model_dump_json()


@settings(max_examples=100, deadline=None)
@given(contents, st.floats(min_value=0, max_value=4e9, allow_nan=False))
def test_decoded_event_equals_the_event_validated_from_its_json(
    content: types.Content, timestamp: float
) -> None:
    event = Event(id="e", author="agent", invocation_id="i", timestamp=timestamp, content=content)
    decoded = decode_event(encode_event(event, app_name="a", user_id="u", session_id="s"))
    validated = Event.model_validate_json(event.model_dump_json())
    assert decoded == event
    assert decoded == validated
    assert decoded.model_dump_json() == validated.model_dump_json()


def test_the_rich_event_decodes_to_what_validation_gives() -> None:
    event = rich_event()
    decoded = decode_event(encode_event(event, app_name="a", user_id="u", session_id="s"))
    validated = Event.model_validate_json(event.model_dump_json())
    assert decoded == validated
    assert decoded.model_fields_set >= {"id", "author", "invocation_id", "timestamp", "actions"}
    assert list(decoded.__dict__) == list(validated.__dict__)


def test_a_built_session_equals_a_validated_one() -> None:
    from google.adk.sessions.session import Session

    from adk_sqlite.codec.fast.sessions import build_session
    from adk_sqlite.records import SessionRecord

    record = SessionRecord(
        app_name="a", user_id="u", id="s", state={}, create_time=1.0, update_time=2.5, revision=7
    )
    event = Event(id="e", author="agent", timestamp=2.5)
    built = build_session(record, {"k": [1, 2.5]}, [event])
    validated = Session(
        id="s",
        app_name="a",
        user_id="u",
        state={"k": [1, 2.5]},
        events=[event],
        last_update_time=2.5,
    )
    validated._storage_update_marker = "7"
    assert built == validated
    assert built.model_fields_set == validated.model_fields_set
    assert built.model_dump() == validated.model_dump()


def test_a_default_built_model_equals_the_validated_default_and_owns_its_containers() -> None:
    from google.adk.events.event_actions import EventActions

    from adk_sqlite.codec.fast.model_builder import ModelBuilder

    builder = ModelBuilder(EventActions)
    first, second = builder.build_default(), builder.build_default()
    assert first == EventActions()
    assert first.model_fields_set == EventActions().model_fields_set == set()
    assert list(first.__dict__) == list(EventActions().__dict__)
    first.state_delta["k"] = 1  # ADK mutates these dicts in place
    assert second.state_delta == {}
    assert first.model_dump() != second.model_dump()


def test_a_plain_model_made_by_a_default_factory_is_built_exactly() -> None:
    from google.adk.events.event import NodeInfo

    from adk_sqlite.codec.fast.model_builder import ModelBuilder

    built = ModelBuilder(Event).build({"id": "e", "author": "a"})
    assert built.node_info == NodeInfo()
    assert built.node_info.model_fields_set == set()
    assert built.node_info is not ModelBuilder(Event).build({}).node_info
    assert list(built.__dict__) == list(Event(id="e", author="a").__dict__)


def test_a_factory_model_with_validators_is_still_made_by_its_factory() -> None:
    from pydantic import BaseModel, Field, field_validator

    from adk_sqlite.codec.fast.model_builder import ModelBuilder

    class Checked(BaseModel):
        size: int = 1

        @field_validator("size")
        @classmethod
        def _positive(cls, value: int) -> int:
            return abs(value)

    class Factory(BaseModel):
        checked: Checked = Field(default_factory=Checked)

    builder = ModelBuilder(Factory)
    assert builder.build_default() == Factory()
    assert ("checked", Checked) in builder._factories  # not rebuilt without validation


def test_a_default_built_model_gets_its_own_copy_of_the_private_defaults() -> None:
    from pydantic import BaseModel, PrivateAttr

    from adk_sqlite.codec.fast.model_builder import ModelBuilder

    class WithPrivate(BaseModel):
        items: list[int] = []
        _marker: str | None = PrivateAttr(default=None)

    builder = ModelBuilder(WithPrivate)
    first, second = builder.build_default(), builder.build_default()
    assert first == WithPrivate()
    assert first.__pydantic_private__ == WithPrivate().__pydantic_private__
    first._marker = "7"
    first.items.append(1)
    assert second._marker is None
    assert second.items == []
