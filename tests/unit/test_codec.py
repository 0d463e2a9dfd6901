from __future__ import annotations

import msgspec
import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite.codec.events import COLUMN_FIELDS, encode_event, extra_fields
from adk_sqlite.codec.fast import decode_event
from adk_sqlite.errors import CorruptRecordError, UnencodableValueError
from support.events import rich_event


def _round_trip(event: Event) -> Event:
    return decode_event(encode_event(event, app_name="app", user_id="user", session_id="s1"))


def test_every_event_field_is_set_in_the_rich_event() -> None:
    event = rich_event()
    defaults = {
        name: field.get_default(call_default_factory=True)
        for name, field in Event.model_fields.items()
    }
    assert [name for name in Event.model_fields if getattr(event, name) == defaults[name]] == []


def test_every_event_field_round_trips() -> None:
    event = rich_event()
    assert _round_trip(event) == event


@pytest.mark.parametrize("name", sorted(Event.model_fields))
def test_each_event_field_round_trips_alone(name: str) -> None:
    full = rich_event()
    event = Event(**{"id": "e", "timestamp": 1.5, name: getattr(full, name)})
    assert getattr(_round_trip(event), name) == getattr(event, name)


def test_a_minimal_event_round_trips() -> None:
    event = Event(id="e", author="user", invocation_id="i", timestamp=1730613600.0)
    assert _round_trip(event) == event


def test_bytes_inside_content_and_grounding_survive() -> None:
    event = rich_event()
    decoded = _round_trip(event)
    assert decoded.content is not None
    assert decoded.content.parts is not None
    assert decoded.content.parts[1].inline_data is not None
    assert decoded.content.parts[1].inline_data.data == b"\x00\xffpng"
    assert decoded.grounding_metadata == event.grounding_metadata


def test_fields_without_a_column_go_to_extra_and_those_with_one_do_not() -> None:
    record = encode_event(rich_event(), app_name="a", user_id="u", session_id="s")
    assert record.extra is not None
    assert set(msgspec.json.decode(record.extra)) == extra_fields()
    assert not COLUMN_FIELDS & extra_fields()
    assert COLUMN_FIELDS | extra_fields() == set(Event.model_fields)


def test_a_default_event_has_no_extra() -> None:
    record = encode_event(Event(id="e"), app_name="a", user_id="u", session_id="s")
    assert record.extra is None


def test_an_unknown_extra_field_is_ignored_like_adk_ignores_it() -> None:
    record = encode_event(Event(id="e", timestamp=2.0), app_name="a", user_id="u", session_id="s")
    record.extra = '{"field_from_a_future_adk": 1}'
    assert _round_trip(Event(id="e", timestamp=2.0)) == decode_event(record)


def test_timestamps_round_trip_bit_exact() -> None:
    for timestamp in (1700000000.123, 1727500000.1234567, 0.1 + 0.2, 1730615400.0):
        assert _round_trip(Event(id="e", timestamp=timestamp)).timestamp.hex() == timestamp.hex()


def test_stored_state_delta_is_json_safe_while_the_callers_event_is_untouched() -> None:
    def callback() -> int:
        return 1

    event = Event(id="e", actions=EventActions(state_delta={"callback": callback, "ok": 2}))
    decoded = _round_trip(event)
    assert decoded.actions.state_delta["ok"] == 2
    assert isinstance(decoded.actions.state_delta["callback"], str)
    assert event.actions.state_delta["callback"] is callback


def test_actions_holding_an_object_with_no_json_form_are_refused_naming_the_field() -> None:
    class Custom:
        pass

    event = Event(id="e", actions=EventActions(agent_state={"obj": Custom()}))
    with pytest.raises(UnencodableValueError, match=r"actions\.agent_state"):
        encode_event(event, app_name="a", user_id="u", session_id="s")


def test_corrupt_content_json_raises_a_clear_error_naming_the_event() -> None:
    record = encode_event(
        Event(id="e-7", content=types.Content(parts=[types.Part(text="x")])),
        app_name="a",
        user_id="u",
        session_id="s",
    )
    record.content = '{"parts": [oops'
    with pytest.raises(CorruptRecordError, match="'e-7'"):
        decode_event(record)


def test_node_info_mutated_in_place_round_trips() -> None:
    event = Event(id="e", timestamp=1.0)
    event.node_info.path = "workflow/agent@1"  # as ADK's agents do
    assert _round_trip(event).node_info.path == "workflow/agent@1"


def test_an_extra_field_assigned_after_construction_round_trips() -> None:
    event = Event(id="e", timestamp=1.0)
    event.model_version = "gemini-x"
    event.output = {"answer": 42}
    decoded = _round_trip(event)
    assert decoded.model_version == "gemini-x"
    assert decoded.output == {"answer": 42}
