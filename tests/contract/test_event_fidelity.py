"""The round-trip invariant (docs/adk-compatibility.md): what append_event accepts,
get_session gives back exactly, or it is refused before anything is written.

One test per hole issue 18 found, on every backend, with ADK's InMemorySessionService
as the reference where the behaviour is shared. Values are compared by ``repr`` of
``model_dump()`` (which tells NaN from None, -0.0 from 0.0, 1 from 1.0 and keeps key
order) and by ``model_dump_json()``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions.base_session_service import BaseSessionService
from google.adk.tools.tool_confirmation import ToolConfirmation
from google.genai import types
from pydantic import BaseModel

from adk_sqlite import errors

from ._support import APP, USER


class Verdict(BaseModel):
    approved: bool = False
    score: float = 0.0
    note: str | None = None


async def _round_trip(service: BaseSessionService, event: Event) -> Event:
    session = await service.create_session(app_name=APP, user_id=USER)
    await service.append_event(session, event)
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)
    assert got is not None
    assert len(got.events) == 1
    return got.events[0]


async def _assert_refused_before_writing(
    service: BaseSessionService, event: Event, field: str
) -> None:
    """Appending ``event`` raises UnencodableValueError naming ``field``; nothing is stored."""
    session = await service.create_session(app_name=APP, user_id=USER)
    with pytest.raises(errors.UnencodableValueError, match=field):
        await service.append_event(session, event)
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)
    assert got is not None
    assert got.events == []


def _assert_same(read: Event, original: Event) -> None:
    assert repr(read.model_dump()) == repr(original.model_dump())
    assert read.model_dump_json() == original.model_dump_json()


async def test_models_in_any_fields_keep_fields_at_their_defaults(
    service: BaseSessionService,
) -> None:
    # Point 1: exclude_defaults reached into Event.output and wrote Verdict() as {}.
    original = Event(
        author="node",
        output={"v": Verdict(), "w": Verdict(score=0.5)},
        custom_metadata={"v": Verdict()},
        content=types.Content(
            role="model",
            parts=[types.Part(function_call=types.FunctionCall(name="f", args={"v": Verdict()}))],
        ),
    )
    read = await _round_trip(service, original)
    _assert_same(read, original)
    assert read.model_dump()["output"]["v"] == {"approved": False, "score": 0.0, "note": None}


async def test_non_finite_floats_in_typed_and_any_fields_round_trip(
    service: BaseSessionService,
) -> None:
    # Point 2: NaN in a float field made the whole session unreadable; -inf
    # log-probabilities came back as None; NaN in function_call.args as None.
    original = Event(
        author="model",
        grounding_metadata=types.GroundingMetadata(
            grounding_supports=[types.GroundingSupport(confidence_scores=[0.9, math.nan, math.inf])]
        ),
        avg_logprobs=-math.inf,
        logprobs_result=types.LogprobsResult(
            chosen_candidates=[types.LogprobsResultCandidate(token="a", log_probability=-math.inf)]
        ),
        content=types.Content(
            role="model",
            parts=[
                types.Part(
                    function_call=types.FunctionCall(
                        name="f", args={"x": math.nan, "y": [-math.inf, -0.0], "z": None}
                    )
                )
            ],
        ),
        custom_metadata={"p": math.inf, "tag-shaped": {"$float": "NaN"}},
    )
    read = await _round_trip(service, original)
    _assert_same(read, original)
    assert read.avg_logprobs == -math.inf
    assert read.custom_metadata == {"p": math.inf, "tag-shaped": {"$float": "NaN"}}


async def test_a_negative_zero_timestamp_keeps_its_sign(service: BaseSessionService) -> None:
    # Point 3: SQLite's REAL column normalises -0.0 to 0.0.
    original = Event(author="user", timestamp=-0.0)
    read = await _round_trip(service, original)
    assert math.copysign(1.0, read.timestamp) == -1.0
    _assert_same(read, original)


@pytest.mark.ours_only
@pytest.mark.parametrize("timestamp", [math.nan, math.inf, -math.inf])
async def test_a_non_finite_timestamp_is_refused_before_anything_is_written(
    service: BaseSessionService, timestamp: float
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, state={"k": 1})
    event = Event(author="user", timestamp=timestamp, actions=EventActions(state_delta={"k": 2}))
    with pytest.raises(errors.UnencodableValueError, match="timestamp"):
        await service.append_event(session, event)
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)
    assert got is not None
    assert got.events == []
    assert got.state == {"k": 1}


async def test_nested_models_keep_their_model_fields_set(service: BaseSessionService) -> None:
    # Point 5 (nested): a field explicitly set to None is kept as set.
    call = types.FunctionCall(id=None, name="f", args={})
    original = Event(
        author="model", content=types.Content(role="model", parts=[types.Part(function_call=call)])
    )
    read = await _round_trip(service, original)
    assert read.content is not None
    assert read.content.parts
    read_call = read.content.parts[0].function_call
    assert read_call is not None
    assert read_call.model_fields_set == call.model_fields_set
    assert read.content.model_dump(exclude_unset=True) == original.content.model_dump(  # type: ignore[union-attr]
        exclude_unset=True
    )


async def test_application_objects_in_any_typed_actions_fields_are_kept_as_json(
    service: BaseSessionService,
) -> None:
    # Point 6: these were refused with UnsafePayloadError; ADK's services accept them.
    original = Event(
        author="agent",
        actions=EventActions(
            set_model_response=Verdict(approved=True),
            agent_state={"v": Verdict(), "n": math.nan},
            requested_tool_confirmations={
                "call-1": ToolConfirmation(hint="ok?", payload=Verdict(score=1.5))
            },
        ),
    )
    read = await _round_trip(service, original)
    _assert_same(read, original)


@pytest.mark.ours_only
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("content", types.Content(role="user", parts=[types.Part(text="lone \ud800 surrogate")])),
        ("custom_metadata", {"text": "lone \udfff surrogate"}),
        ("output", {"text": "\ud800"}),
    ],
)
async def test_a_lone_surrogate_is_refused_naming_the_field(
    service: BaseSessionService, field: str, value: Any
) -> None:
    # Point 7: pydantic's PydanticSerializationError escaped raw.
    await _assert_refused_before_writing(service, Event(author="user", **{field: value}), field)


async def test_content_with_bytes_and_a_non_finite_float_reads_back(
    service: BaseSessionService,
) -> None:
    # Bytes beside non-finite floats and tag-like strings: the tagged reading path
    # must still read base64 as bytes (the fuzz's own case is in
    # tests/reliability/test_event_fidelity.py).
    original = Event(
        author="model",
        content=types.Content(
            role="model",
            parts=[
                types.Part.from_bytes(data=b"\xff\x00\x80", mime_type="image/png"),
                types.Part(text="t", thought_signature=b"\x9c\x01"),
                types.Part(
                    video_metadata=types.VideoMetadata(fps=math.nan),
                    file_data=types.FileData(file_uri="gs://b/v.mp4"),
                ),
                types.Part(function_call=types.FunctionCall(name="f", args={"x": math.inf})),
                # A string that looks like a tag name sends the text down the tagged path.
                types.Part(
                    thought_signature=b"\x0c\x55\xfe",
                    video_metadata=types.VideoMetadata(end_offset="$object", start_offset="1s"),
                ),
            ],
        ),
    )
    read = await _round_trip(service, original)
    _assert_same(read, original)


@pytest.mark.ours_only
@pytest.mark.parametrize("field", ["author", "invocation_id", "branch", "error_message"])
async def test_a_lone_surrogate_in_a_text_column_is_refused_naming_it(
    service: BaseSessionService, field: str
) -> None:
    # Found by the fuzz: the driver's raw UnicodeEncodeError escaped.
    event = Event(**{"author": "user", field: "x\ud800y"})
    await _assert_refused_before_writing(service, event, field)


async def test_empty_tuples_and_sets_in_any_typed_actions_fields_come_back_as_lists(
    service: BaseSessionService,
) -> None:
    # Found by the fuzz: an empty tuple skipped the conversion to its JSON form.
    original = Event(
        author="agent", actions=EventActions(set_model_response=(), agent_state={"s": {3}})
    )
    read = await _round_trip(service, original)
    assert read.model_dump_json() == original.model_dump_json()
