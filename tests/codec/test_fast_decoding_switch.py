"""The fast path's off switch: the service option, the environment variable, and which wins."""

from __future__ import annotations

from typing import Any

import pytest
from google.adk.events.event import Event
from google.adk.sessions.session import Session

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.codec import fast
from adk_sqlite.codec.events import decode_event_validated
from adk_sqlite.codec.fast.samples import sample_events
from adk_sqlite.codec.fast.validated_session import session_validated
from adk_sqlite.records import EventRecord
from support.event_fuzz import strict_differences
from support.models import fields_set_tree

APP, USER = "app", "user"


@pytest.fixture
def validated_events(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the events decoded through validation, in the order they were."""
    seen: list[str] = []

    def counting(record: EventRecord) -> Event:
        seen.append(record.id)
        return decode_event_validated(record)

    monkeypatch.setattr(fast, "decode_event_validated", counting)
    return seen


@pytest.fixture
def validated_sessions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the sessions built through validation."""
    seen: list[str] = []

    def counting(record: Any, state: dict[str, Any], events: list[Event]) -> Session:
        seen.append(record.id)
        return session_validated(record, state, events)

    monkeypatch.setattr(fast, "session_validated", counting)
    return seen


async def _stored_conversation(store: SqliteStore) -> list[str]:
    """Writes one session holding every sample event; returns their ids in stored order."""
    service = SessionService(store)
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s")
    for event in sample_events():
        await service.append_event(session, event)
    # Stored in timestamp order: the sample at -0.0 comes first.
    return [event.id for event in sorted(session.events, key=lambda event: event.timestamp)]


async def _read(service: SessionService) -> Session:
    session = await service.get_session(app_name=APP, user_id=USER, session_id="s")
    assert session is not None
    return session


def _assert_same(expected: Session, got: Session) -> None:
    assert strict_differences(expected.model_dump(), got.model_dump(), "session", "dump") == []
    assert fields_set_tree(got) == fields_set_tree(expected)
    assert got.model_dump_json() == expected.model_dump_json()


async def test_the_default_service_reads_without_validating(
    store: SqliteStore, validated_events: list[str], validated_sessions: list[str]
) -> None:
    await _stored_conversation(store)
    await _read(SessionService(store))
    await SessionService(store).list_sessions(app_name=APP)
    assert validated_events == []
    assert validated_sessions == []


async def test_fast_decoding_false_reads_every_event_through_validation(
    store: SqliteStore, validated_events: list[str], validated_sessions: list[str]
) -> None:
    ids = await _stored_conversation(store)
    fast_read = await _read(SessionService(store))
    assert validated_events == []
    validated_read = await _read(SessionService(store, fast_decoding=False))
    assert validated_events == ids
    assert validated_sessions == ["s"]
    _assert_same(fast_read, validated_read)


async def test_fast_decoding_false_lists_sessions_through_validation(
    store: SqliteStore, validated_sessions: list[str]
) -> None:
    await _stored_conversation(store)
    fast_listing = await SessionService(store).list_sessions(app_name=APP)
    listing = await SessionService(store, fast_decoding=False).list_sessions(app_name=APP)
    assert validated_sessions == ["s"]
    _assert_same(fast_listing.sessions[0], listing.sessions[0])


async def test_fast_decoding_false_also_validates_when_skipping_damaged_events(
    store: SqliteStore, validated_events: list[str]
) -> None:
    ids = await _stored_conversation(store)
    service = SessionService(store, fast_decoding=False, skip_damaged_events=True)
    assert [event.id for event in (await _read(service)).events] == ids
    assert validated_events == ids


@pytest.mark.parametrize("value", ["0", "false", "No", " OFF "])
async def test_the_environment_variable_turns_the_fast_path_off_for_every_service(
    store: SqliteStore,
    validated_events: list[str],
    monkeypatch: pytest.MonkeyPatch,
    value: str,
) -> None:
    ids = await _stored_conversation(store)
    fast_read = await _read(SessionService(store))
    monkeypatch.setenv(fast.FAST_DECODING_VARIABLE, value)
    validated_read = await _read(SessionService(store))  # the option says True: off wins
    assert validated_events == ids
    _assert_same(fast_read, validated_read)


async def test_with_the_variable_off_the_self_check_never_runs(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[int] = []
    monkeypatch.setattr(fast, "run_self_check", lambda: checks.append(1))
    monkeypatch.setenv(fast.FAST_DECODING_VARIABLE, "0")
    await _stored_conversation(store)
    await _read(SessionService(store))
    assert checks == []


@pytest.mark.parametrize("value", ["", "1", "yes", "on"])
def test_other_values_of_the_variable_leave_the_option_in_charge(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(fast.FAST_DECODING_VARIABLE, value)
    assert fast.fast_path(fast=True) is not None
    assert fast.fast_path(fast=False) is None


def test_the_option_is_on_by_default_and_shown(store: SqliteStore) -> None:
    assert SessionService(store).fast_decoding is True
    assert SessionService(store, fast_decoding=False).fast_decoding is False
