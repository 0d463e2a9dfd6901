"""§11 Behaviour ADK pins only on its own backends, which callers rely on too.

§11.1 general behaviour, §11.3 stale writers and concurrency, and the revision
marker our backends use to detect stale writers. (§11.1's listing and deletion
rules live in test_create_get_list_delete, §11.2 in test_ids, §11.4 in
test_timestamps_ordering, §11.5 in test_sqlite_specifics.)

Stale-writer rule of our backends: every Session they hand out carries a string
revision in ``_storage_update_marker``; an append through a Session whose marker
is not the stored revision is rejected with StaleSessionError. A hand-built
Session without a marker is accepted when its last event (or its having no
events) matches the newest stored event.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from google.adk.errors import StaleSessionError
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.events.event import Event
from google.adk.sessions.base_session_service import BaseSessionService
from google.adk.sessions.session import Session

from adk_sqlite import errors

from ._support import APP, USER, make_event

# --- §11.1 -------------------------------------------------------------------------


async def test_append_to_a_deleted_session_raises_session_not_found(
    service: BaseSessionService, our_backend: bool
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s1")
    await service.delete_session(app_name=APP, user_id=USER, session_id="s1")

    with pytest.raises(SessionNotFoundError) as excinfo:
        await service.append_event(session, make_event(state_delta={"k": 1}))

    if our_backend:
        assert isinstance(excinfo.value, errors.SessionNotFoundError)
    assert await service.get_session(app_name=APP, user_id=USER, session_id="s1") is None


@pytest.mark.ours_only
@pytest.mark.parametrize("prefix", ["", "user:", "app:"], ids=["session", "user", "app"])
async def test_non_json_state_delta_value_is_stored_as_a_string(
    service: BaseSessionService, prefix: str
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)

    await service.append_event(
        session, make_event(state_delta={f"{prefix}callback": lambda: 1, f"{prefix}ok": 2})
    )
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert got is not None
    assert len(got.events) == 1
    assert got.state[f"{prefix}ok"] == 2
    assert isinstance(got.state[f"{prefix}callback"], str)
    assert isinstance(got.events[0].actions.state_delta[f"{prefix}callback"], str)


@pytest.mark.ours_only
async def test_non_json_initial_state_value_is_stored_as_a_string(
    service: BaseSessionService,
) -> None:
    created = await service.create_session(
        app_name=APP, user_id=USER, state={"callback": lambda: 1, "user:cb": print, "ok": 1}
    )

    got = await service.get_session(app_name=APP, user_id=USER, session_id=created.id)

    assert got is not None
    assert got.state["ok"] == 1
    assert isinstance(got.state["callback"], str)
    assert isinstance(got.state["user:cb"], str)


async def test_append_event_applies_and_trims_temp_state_once(
    service: BaseSessionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"apply": 0, "trim": 0}
    apply_temp_state = service._apply_temp_state
    trim_temp_delta_state = service._trim_temp_delta_state

    def counting_apply(session: Session, event: Event) -> None:
        calls["apply"] += 1
        apply_temp_state(session, event)

    def counting_trim(event: Event) -> Event:
        calls["trim"] += 1
        return trim_temp_delta_state(event)

    monkeypatch.setattr(service, "_apply_temp_state", counting_apply)
    monkeypatch.setattr(service, "_trim_temp_delta_state", counting_trim)
    session = await service.create_session(app_name=APP, user_id=USER)

    await service.append_event(session, make_event(state_delta={"temp:t": 1, "kept": 2}))
    assert calls == {"apply": 1, "trim": 1}
    await service.append_event(session, make_event(state_delta={"temp:u": 3}))

    assert calls == {"apply": 2, "trim": 2}
    assert session.state == {"temp:t": 1, "temp:u": 3, "kept": 2}


async def test_concurrent_creates_with_the_same_id_have_exactly_one_winner(
    service: BaseSessionService, our_backend: bool
) -> None:
    for round_number in range(5):
        session_id = f"race-{round_number}"

        results = await asyncio.gather(
            service.create_session(
                app_name=APP, user_id=USER, session_id=session_id, state={"who": "first"}
            ),
            service.create_session(
                app_name=APP, user_id=USER, session_id=session_id, state={"who": "second"}
            ),
            return_exceptions=True,
        )

        winners = [result for result in results if isinstance(result, Session)]
        losers = [result for result in results if isinstance(result, BaseException)]
        assert len(winners) == 1, results
        assert len(losers) == 1, results
        assert isinstance(losers[0], AlreadyExistsError), repr(losers[0])
        assert session_id in str(losers[0])
        if our_backend:
            assert isinstance(losers[0], errors.SessionAlreadyExistsError)
        got = await service.get_session(app_name=APP, user_id=USER, session_id=session_id)
        assert got == winners[0]


# --- §11.3 appends that must be accepted --------------------------------------------


async def test_repeated_appends_through_one_session_object_are_accepted(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)

    for i in range(5):
        await service.append_event(
            session, make_event(invocation_id=f"inv{i}", state_delta={"i": i})
        )
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert got == session
    assert got is not None
    assert len(got.events) == 5


async def test_append_through_a_freshly_fetched_copy_is_accepted(
    service: BaseSessionService,
) -> None:
    created = await service.create_session(app_name=APP, user_id=USER)
    await service.append_event(created, make_event(invocation_id="inv1"))
    fetched = await service.get_session(app_name=APP, user_id=USER, session_id=created.id)
    assert fetched is not None

    await service.append_event(fetched, make_event(invocation_id="inv2"))
    listed = (await service.list_sessions(app_name=APP, user_id=USER)).sessions
    await service.append_event(listed[0], make_event(invocation_id="inv3"))
    got = await service.get_session(app_name=APP, user_id=USER, session_id=created.id)

    assert got is not None
    assert [e.invocation_id for e in got.events] == ["inv1", "inv2", "inv3"]


async def test_events_with_identical_timestamps_from_one_writer_are_accepted(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    tie = session.last_update_time + 5

    await service.append_event(session, make_event(invocation_id="inv1", timestamp=tie))
    await service.append_event(session, make_event(invocation_id="inv2", timestamp=tie))
    await service.append_event(session, make_event(invocation_id="inv3", timestamp=tie + 1))
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert got is not None
    assert [e.invocation_id for e in got.events] == ["inv1", "inv2", "inv3"]
    assert got == session


@pytest.mark.parametrize("keep_marker", [True, False], ids=["with-marker", "markerless"])
async def test_current_session_with_drifted_update_time_is_accepted(
    service: BaseSessionService, keep_marker: bool
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    await service.append_event(
        session, make_event(invocation_id="inv1", timestamp=session.last_update_time + 10)
    )
    # A float round trip elsewhere may have nudged the time; the session is still current.
    session.last_update_time -= 0.0001
    if not keep_marker:
        session._storage_update_marker = None

    await service.append_event(
        session, make_event(invocation_id="inv2", timestamp=session.last_update_time + 10)
    )
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert got is not None
    assert [e.invocation_id for e in got.events] == ["inv1", "inv2"]


async def test_hand_built_session_without_events_is_accepted_while_none_are_stored(
    service: BaseSessionService,
) -> None:
    await service.create_session(app_name=APP, user_id=USER, session_id="s1")
    hand_built = Session(app_name=APP, user_id=USER, id="s1")

    await service.append_event(hand_built, make_event(invocation_id="inv1", state_delta={"k": 1}))
    got = await service.get_session(app_name=APP, user_id=USER, session_id="s1")

    assert got is not None
    assert [e.invocation_id for e in got.events] == ["inv1"]
    assert got.state == {"k": 1}


async def test_hand_built_session_ending_with_the_newest_event_is_accepted(
    service: BaseSessionService,
) -> None:
    created = await service.create_session(app_name=APP, user_id=USER, session_id="s1")
    await service.append_event(created, make_event(invocation_id="inv1"))
    await service.append_event(created, make_event(invocation_id="inv2"))
    hand_built = Session(
        app_name=APP,
        user_id=USER,
        id="s1",
        events=[event.model_copy(deep=True) for event in created.events],
    )
    assert hand_built._storage_update_marker is None

    await service.append_event(hand_built, make_event(invocation_id="inv3"))
    got = await service.get_session(app_name=APP, user_id=USER, session_id="s1")

    assert got is not None
    assert [e.invocation_id for e in got.events] == ["inv1", "inv2", "inv3"]


async def test_append_stores_the_event_exactly_once(service: BaseSessionService) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    event = make_event(state_delta={"n": 1})

    await service.append_event(session, event)
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert session.events == [event]
    assert got is not None
    assert got.events == [event]


# --- §11.3 stale writers (our backends) ----------------------------------------------


def _assert_stale(error: BaseException) -> None:
    assert isinstance(error, StaleSessionError), repr(error)
    assert isinstance(error, ValueError)
    assert isinstance(error, errors.StaleSessionError)


@pytest.mark.ours_only
async def test_copy_that_missed_an_append_is_rejected_as_stale(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    stale = session.model_copy(deep=True)
    await service.append_event(session, make_event(timestamp=session.last_update_time + 1))

    with pytest.raises(StaleSessionError) as excinfo:
        await service.append_event(stale, make_event(state_delta={"lost": True}))

    _assert_stale(excinfo.value)
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)
    assert got == session


@pytest.mark.ours_only
async def test_stale_writer_is_rejected_and_storage_keeps_only_committed_events(
    service: BaseSessionService,
) -> None:
    original = await service.create_session(app_name=APP, user_id=USER)
    now = original.last_update_time
    await service.append_event(
        original, make_event(invocation_id="inv1", timestamp=now + 1, state_delta={"sk1": "v1"})
    )
    updated = await service.get_session(app_name=APP, user_id=USER, session_id=original.id)
    assert updated is not None
    await service.append_event(
        updated, make_event(invocation_id="inv2", timestamp=now + 2, state_delta={"sk2": "v2"})
    )

    with pytest.raises(StaleSessionError) as excinfo:
        await service.append_event(
            original,
            make_event(
                invocation_id="inv3", timestamp=now + 3, state_delta={"sk3": "v3", "app:a": 1}
            ),
        )

    _assert_stale(excinfo.value)
    final = await service.get_session(app_name=APP, user_id=USER, session_id=original.id)
    assert final is not None
    assert [e.invocation_id for e in final.events] == ["inv1", "inv2"]
    assert final.state == {"sk1": "v1", "sk2": "v2"}
    assert final == updated
    # The rejected append left the caller's object as it was.
    assert [e.invocation_id for e in original.events] == ["inv1"]
    assert original.state == {"sk1": "v1"}


@pytest.mark.ours_only
async def test_stale_copy_is_rejected_even_when_the_missed_event_is_older(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    stale = session.model_copy(deep=True)
    # The winning event is stamped far in the past: comparing times alone would miss it.
    await service.append_event(session, make_event(timestamp=1000.0))

    with pytest.raises(StaleSessionError) as excinfo:
        await service.append_event(stale, make_event(timestamp=stale.last_update_time + 5))

    _assert_stale(excinfo.value)
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)
    assert got is not None
    assert [e.timestamp for e in got.events] == [1000.0]


@pytest.mark.ours_only
async def test_concurrent_appends_from_one_revision_have_exactly_one_winner(
    service: BaseSessionService,
) -> None:
    created = await service.create_session(app_name=APP, user_id=USER)
    rounds = 8

    for i in range(rounds):
        latest = await service.get_session(app_name=APP, user_id=USER, session_id=created.id)
        assert latest is not None
        copies = [latest.model_copy(deep=True), latest.model_copy(deep=True)]
        base = latest.last_update_time + 10
        events = [
            make_event(
                invocation_id=f"inv{i}-{n}", timestamp=base + n, state_delta={f"sk{i}-{n}": n}
            )
            for n in (1, 2)
        ]

        results = await asyncio.gather(
            *(
                service.append_event(copy, event)
                for copy, event in zip(copies, events, strict=True)
            ),
            return_exceptions=True,
        )

        failures = [result for result in results if isinstance(result, BaseException)]
        assert len(failures) == 1, results
        _assert_stale(failures[0])

    final = await service.get_session(app_name=APP, user_id=USER, session_id=created.id)
    assert final is not None
    assert len(final.events) == rounds
    for i in range(rounds):
        landed = [key for key in (f"sk{i}-1", f"sk{i}-2") if key in final.state]
        assert len(landed) == 1, final.state
        assert [e.invocation_id for e in final.events][i] == f"inv{i}-{landed[0][-1]}"


@pytest.mark.ours_only
@pytest.mark.parametrize("kept_events", [0, 1], ids=["no-events", "missed-the-newest"])
async def test_hand_built_session_that_missed_an_event_is_stale(
    service: BaseSessionService, kept_events: int
) -> None:
    created = await service.create_session(app_name=APP, user_id=USER, session_id="s1")
    await service.append_event(created, make_event(invocation_id="inv1"))
    await service.append_event(created, make_event(invocation_id="inv2"))
    hand_built = Session(
        app_name=APP,
        user_id=USER,
        id="s1",
        events=[event.model_copy(deep=True) for event in created.events[:kept_events]],
        last_update_time=created.last_update_time,
    )

    with pytest.raises(StaleSessionError) as excinfo:
        await service.append_event(hand_built, make_event(invocation_id="inv3"))

    _assert_stale(excinfo.value)
    got = await service.get_session(app_name=APP, user_id=USER, session_id="s1")
    assert got is not None
    assert [e.invocation_id for e in got.events] == ["inv1", "inv2"]


@pytest.mark.ours_only
async def test_rejected_appends_do_not_disturb_concurrent_appends_to_other_sessions(
    service: BaseSessionService,
) -> None:
    sessions = [
        await service.create_session(app_name=APP, user_id=USER, session_id=f"s{i}")
        for i in range(8)
    ]
    stale = sessions[0].model_copy(deep=True)
    await service.append_event(sessions[0], make_event(invocation_id="winner"))
    await service.append_event(sessions[1], make_event(id="dup", invocation_id="first"))

    results = await asyncio.gather(
        service.append_event(stale, make_event(invocation_id="stale", state_delta={"n": -1})),
        service.append_event(sessions[1], make_event(id="dup", state_delta={"n": -1})),
        *(
            service.append_event(
                session, make_event(invocation_id=f"ok{i}", state_delta={"n": i, "user:k": 1})
            )
            for i, session in enumerate(sessions[2:], start=2)
        ),
        return_exceptions=True,
    )

    _assert_stale(results[0])
    assert isinstance(results[1], errors.DuplicateEventError), repr(results[1])
    assert not [result for result in results[2:] if isinstance(result, BaseException)], results
    for i in range(8):
        got = await service.get_session(app_name=APP, user_id=USER, session_id=f"s{i}")
        assert got is not None
        if i == 0:
            assert [e.invocation_id for e in got.events] == ["winner"]
            assert got.state == {"user:k": 1}
        elif i == 1:
            assert [e.invocation_id for e in got.events] == ["first"]
            assert got.state == {"user:k": 1}
        else:
            assert [e.invocation_id for e in got.events] == [f"ok{i}"]
            assert got.state == {"n": i, "user:k": 1}


# --- the revision marker (our backends) ---------------------------------------------


def _marker(session: Session | None) -> Any:
    assert session is not None
    return session._storage_update_marker


@pytest.mark.ours_only
async def test_every_returned_session_carries_the_current_string_revision_marker(
    service: BaseSessionService,
) -> None:
    created = await service.create_session(app_name=APP, user_id=USER, session_id="s1")

    got = await service.get_session(app_name=APP, user_id=USER, session_id="s1")
    listed = (await service.list_sessions(app_name=APP, user_id=USER)).sessions
    listed_all = (await service.list_sessions(app_name=APP)).sessions

    assert isinstance(_marker(created), str)
    assert _marker(created)
    assert _marker(got) == _marker(created)
    assert _marker(listed[0]) == _marker(created)
    assert _marker(listed_all[0]) == _marker(created)


@pytest.mark.ours_only
async def test_every_append_moves_the_revision_marker_on(service: BaseSessionService) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s1")
    seen = [_marker(session)]
    tie = session.last_update_time + 1

    for _ in range(3):
        # Identical timestamps and no state delta: the revision must still change.
        await service.append_event(session, make_event(timestamp=tie))
        seen.append(_marker(session))
        assert (
            _marker(await service.get_session(app_name=APP, user_id=USER, session_id="s1"))
            == seen[-1]
        )

    assert all(isinstance(marker, str) for marker in seen)
    assert len(set(seen)) == len(seen)
