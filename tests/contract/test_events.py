"""§4 Event append and round trip (and the duplicate-id rule of §11.6 / §13)."""

from __future__ import annotations

import pytest
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions.base_session_service import BaseSessionService
from google.adk.sessions.session import Session
from google.adk.tools.tool_confirmation import ToolConfirmation
from google.genai import types

from adk_sqlite import errors
from support.events import rich_event

from ._support import APP, USER, make_event


async def test_bytes_in_an_event_survive_the_round_trip(service: BaseSessionService) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    content = types.Content(
        role="user",
        parts=[types.Part.from_bytes(data=b"test_image_data", mime_type="image/png")],
    )
    grounding = types.GroundingMetadata(
        search_entry_point=types.SearchEntryPoint(sdk_blob=b"test_sdk_blob")
    )

    await service.append_event(session, make_event(content=content, grounding_metadata=grounding))
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert session.events[0].content == content
    assert got is not None
    assert len(got.events) == 1
    assert got.events[0].content == content
    assert got.events[0].grounding_metadata == grounding
    assert got.events[0].content.parts[0].inline_data.data == b"test_image_data"


async def test_event_with_every_common_field_round_trips_exactly(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    event = Event(
        invocation_id="invocation",
        author="user",
        content=types.Content(role="user", parts=[types.Part(text="test_text")]),
        turn_complete=True,
        partial=False,
        actions=EventActions(artifact_delta={"file": 0}, transfer_to_agent="agent", escalate=True),
        long_running_tool_ids={"tool1", "tool2"},
        error_code="error_code",
        error_message="error_message",
        interrupted=True,
        grounding_metadata=types.GroundingMetadata(web_search_queries=["query1"]),
        usage_metadata=types.GenerateContentResponseUsageMetadata(
            prompt_token_count=1, candidates_token_count=1, total_token_count=2
        ),
        citation_metadata=types.CitationMetadata(),
        custom_metadata={"custom_key": "custom_value", "n": [1, 2.5]},
        timestamp=1700000000.123,
        input_transcription=types.Transcription(text="input transcription", finished=True),
        output_transcription=types.Transcription(text="output transcription", finished=True),
    )

    await service.append_event(session=session, event=event)
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert got == session
    assert got is not None
    assert got.events[0] == event
    assert got.events[0].long_running_tool_ids == {"tool1", "tool2"}


async def test_append_of_an_event_older_than_the_session_moves_update_time_backwards(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    assert session.last_update_time > 1700000000.123

    await service.append_event(session, make_event(timestamp=1700000000.123))
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert session.last_update_time == 1700000000.123
    assert got is not None
    assert got.last_update_time == 1700000000.123
    assert [e.timestamp for e in got.events] == [1700000000.123]


async def test_event_with_every_field_set_round_trips_exactly(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    event = rich_event(timestamp=session.last_update_time + 1)
    assert all(
        getattr(event, name) != field.get_default(call_default_factory=True)
        for name, field in Event.model_fields.items()
    ), "rich_event() no longer sets every Event field"

    await service.append_event(session, event)
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert got is not None
    assert got.events == [event]
    assert got == session


async def test_requested_tool_confirmations_round_trip(service: BaseSessionService) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    payload = {"amount": 12.5, "to": ["ada", "bob"], "meta": {"ok": True, "none": None}}
    confirmation = ToolConfirmation(hint="dynamic hint", confirmed=False, payload=payload)
    event = make_event()
    event.actions.requested_tool_confirmations = {"tool_call_1": confirmation}

    await service.append_event(session, event)
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert got is not None
    stored = got.events[0].actions.requested_tool_confirmations["tool_call_1"]
    assert stored.hint == "dynamic hint"
    assert not stored.confirmed
    assert stored.payload == payload
    assert stored == confirmation


async def test_partial_event_is_neither_added_nor_stored(service: BaseSessionService) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, state={"k": "before"})
    update_time = session.last_update_time
    event = make_event(partial=True, state_delta={"k": "after"}, timestamp=update_time + 5)

    returned = await service.append_event(session, event)
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert returned is event
    assert session.events == []
    assert session.state == {"k": "before"}
    assert session.last_update_time == update_time
    assert got is not None
    assert got.events == []
    assert got.state == {"k": "before"}
    assert got.last_update_time == update_time


async def test_append_to_unknown_session_raises_session_not_found_and_creates_nothing(
    service: BaseSessionService, our_backend: bool
) -> None:
    ghost = Session(app_name=APP, user_id=USER, id="never_created")

    with pytest.raises(SessionNotFoundError) as excinfo:
        await service.append_event(ghost, make_event(state_delta={"app:a": 1, "user:u": 1}))

    if our_backend:
        assert isinstance(excinfo.value, errors.SessionNotFoundError)
    assert await service.get_session(app_name=APP, user_id=USER, session_id="never_created") is None
    assert (await service.list_sessions(app_name=APP)).sessions == []
    assert await service.get_user_state(app_name=APP, user_id=USER) == {}


async def test_append_to_a_session_of_another_user_raises_session_not_found(
    service: BaseSessionService,
) -> None:
    await service.create_session(app_name=APP, user_id="u1", session_id="s1")
    impostor = Session(app_name=APP, user_id="u2", id="s1")

    with pytest.raises(SessionNotFoundError):
        await service.append_event(impostor, make_event())

    got = await service.get_session(app_name=APP, user_id="u1", session_id="s1")
    assert got is not None
    assert got.events == []


async def test_append_event_accepts_positional_and_keyword_arguments(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    first = make_event(invocation_id="inv1")
    second = make_event(invocation_id="inv2")

    returned_first = await service.append_event(session, first)
    returned_second = await service.append_event(session=session, event=second)
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert returned_first == first
    assert returned_second == second
    assert got is not None
    assert [e.invocation_id for e in got.events] == ["inv1", "inv2"]
    assert got == session


async def test_same_event_id_in_two_sessions_is_accepted(service: BaseSessionService) -> None:
    s1 = await service.create_session(app_name=APP, user_id=USER, session_id="s1")
    s2 = await service.create_session(app_name=APP, user_id=USER, session_id="s2")

    await service.append_event(s1, make_event(id="shared-id", invocation_id="a"))
    await service.append_event(s2, make_event(id="shared-id", invocation_id="b"))

    got1 = await service.get_session(app_name=APP, user_id=USER, session_id="s1")
    got2 = await service.get_session(app_name=APP, user_id=USER, session_id="s2")
    assert got1 is not None
    assert got2 is not None
    assert [(e.id, e.invocation_id) for e in got1.events] == [("shared-id", "a")]
    assert [(e.id, e.invocation_id) for e in got2.events] == [("shared-id", "b")]


@pytest.mark.ours_only
@pytest.mark.parametrize("same_object", [True, False], ids=["same-object", "new-event"])
async def test_second_event_with_a_stored_id_raises_duplicate_event_error(
    service: BaseSessionService, same_object: bool
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    first = make_event(id="ev-1", state_delta={"count": 1})
    await service.append_event(session, first)
    again = first if same_object else make_event(id="ev-1", state_delta={"count": 2})

    with pytest.raises(AlreadyExistsError) as excinfo:
        await service.append_event(session, again)

    assert isinstance(excinfo.value, errors.DuplicateEventError)
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)
    assert got is not None
    assert [e.id for e in got.events] == ["ev-1"]
    assert got.state == {"count": 1}
