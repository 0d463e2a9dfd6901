"""§1 Create / get / list / delete, and the listing and deletion rules of §11.1."""

from __future__ import annotations

import time

import pytest
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.sessions.base_session_service import BaseSessionService

from adk_sqlite import errors

from ._support import APP, USER, make_event


async def test_service_is_a_base_session_service(service: BaseSessionService) -> None:
    assert isinstance(service, BaseSessionService)


async def test_get_session_of_unknown_session_returns_none(service: BaseSessionService) -> None:
    assert await service.get_session(app_name=APP, user_id=USER, session_id="123") is None


async def test_created_session_equals_what_get_session_returns(
    service: BaseSessionService,
) -> None:
    before = time.time()
    created = await service.create_session(app_name=APP, user_id=USER, state={"key": "value"})

    assert created.app_name == APP
    assert created.user_id == USER
    assert isinstance(created.id, str)
    assert created.id.strip()
    assert created.state == {"key": "value"}
    assert created.events == []
    assert before - 1 <= created.last_update_time <= time.time()

    got = await service.get_session(app_name=APP, user_id=USER, session_id=created.id)
    # Pydantic equality: every field, the identical float and the private marker.
    assert got == created
    assert got is not None
    assert got.last_update_time == created.last_update_time
    assert got._storage_update_marker == created._storage_update_marker


async def test_deleted_session_is_no_longer_returned(service: BaseSessionService) -> None:
    created = await service.create_session(app_name=APP, user_id=USER, state={"key": "value"})

    await service.delete_session(app_name=APP, user_id=USER, session_id=created.id)

    assert await service.get_session(app_name=APP, user_id=USER, session_id=created.id) is None
    assert (await service.list_sessions(app_name=APP, user_id=USER)).sessions == []


async def test_delete_session_removes_its_events(service: BaseSessionService) -> None:
    created = await service.create_session(app_name=APP, user_id=USER, session_id="s1")
    await service.append_event(created, make_event(state_delta={"k": 1}))
    await service.delete_session(app_name=APP, user_id=USER, session_id="s1")

    recreated = await service.create_session(app_name=APP, user_id=USER, session_id="s1")
    got = await service.get_session(app_name=APP, user_id=USER, session_id="s1")

    assert recreated.state == {}
    assert got is not None
    assert got.events == []
    assert got.state == {}


async def test_list_sessions_returns_each_session_with_its_own_state(
    service: BaseSessionService,
) -> None:
    ids = [f"session{i}" for i in range(5)]
    for session_id in ids:
        await service.create_session(
            app_name=APP, user_id=USER, session_id=session_id, state={"key": "value" + session_id}
        )

    listed = (await service.list_sessions(app_name=APP, user_id=USER)).sessions

    assert sorted(s.id for s in listed) == ids
    for session in listed:
        assert session.app_name == APP
        assert session.user_id == USER
        assert session.state == {"key": "value" + session.id}


async def test_list_sessions_without_user_id_lists_every_user(
    service: BaseSessionService,
) -> None:
    for user_id, session_id in (("user1", "s1a"), ("user1", "s1b"), ("user2", "s2a")):
        await service.create_session(
            app_name=APP, user_id=user_id, session_id=session_id, state={"key": session_id}
        )

    everyone = (await service.list_sessions(app_name=APP, user_id=None)).sessions
    user1 = (await service.list_sessions(app_name=APP, user_id="user1")).sessions
    user2 = (await service.list_sessions(app_name=APP, user_id="user2")).sessions

    assert sorted((s.user_id, s.id, s.state["key"]) for s in everyone) == [
        ("user1", "s1a", "s1a"),
        ("user1", "s1b", "s1b"),
        ("user2", "s2a", "s2a"),
    ]
    assert sorted(s.id for s in user1) == ["s1a", "s1b"]
    assert [s.id for s in user2] == ["s2a"]
    assert user2[0].state == {"key": "s2a"}


async def test_empty_user_id_is_a_real_user(service: BaseSessionService) -> None:
    await service.create_session(
        app_name=APP, user_id="someone", session_id="theirs", state={"user:name": "Ada"}
    )
    created = await service.create_session(app_name=APP, user_id="", session_id="mine")

    listed = (await service.list_sessions(app_name=APP, user_id="")).sessions

    assert created.user_id == ""
    assert [(s.user_id, s.id) for s in listed] == [("", "mine")]
    assert listed[0].state == {}


async def test_sessions_are_keyed_by_app_user_and_id(service: BaseSessionService) -> None:
    s1 = await service.create_session(app_name=APP, user_id="u1", session_id="s1")
    await service.append_event(s1, make_event(invocation_id="inv1", state_delta={"owner": "u1"}))
    await service.create_session(app_name=APP, user_id="u2", session_id="s1")

    got = await service.get_session(app_name=APP, user_id="u2", session_id="s1")

    assert got is not None
    assert got.user_id == "u2"
    assert got.events == []
    assert got.state == {}


async def test_same_session_id_under_two_apps_is_two_sessions(
    service: BaseSessionService,
) -> None:
    await service.create_session(app_name="app_a", user_id=USER, session_id="s1", state={"n": 1})
    await service.create_session(app_name="app_b", user_id=USER, session_id="s1", state={"n": 2})
    await service.delete_session(app_name="app_a", user_id=USER, session_id="s1")

    assert await service.get_session(app_name="app_a", user_id=USER, session_id="s1") is None
    got_b = await service.get_session(app_name="app_b", user_id=USER, session_id="s1")
    assert got_b is not None
    assert got_b.state == {"n": 2}
    assert [s.id for s in (await service.list_sessions(app_name="app_a")).sessions] == []


async def test_create_session_with_existing_id_raises_already_exists(
    service: BaseSessionService, our_backend: bool
) -> None:
    await service.create_session(
        app_name=APP, user_id=USER, session_id="existing_session", state={"v": 1}
    )

    with pytest.raises(AlreadyExistsError) as excinfo:
        await service.create_session(
            app_name=APP, user_id=USER, session_id="existing_session", state={"v": 2}
        )

    if our_backend:
        assert isinstance(excinfo.value, errors.SessionAlreadyExistsError)

    got = await service.get_session(app_name=APP, user_id=USER, session_id="existing_session")
    assert got is not None
    assert got.state == {"v": 1}


async def test_delete_of_unknown_session_user_or_app_is_a_noop(
    service: BaseSessionService,
) -> None:
    await service.create_session(app_name=APP, user_id=USER, session_id="s1", state={"v": 1})

    await service.delete_session(app_name=APP, user_id=USER, session_id="nope")
    await service.delete_session(app_name=APP, user_id="nobody", session_id="s1")
    await service.delete_session(app_name="no_app", user_id=USER, session_id="s1")

    got = await service.get_session(app_name=APP, user_id=USER, session_id="s1")
    assert got is not None
    assert got.state == {"v": 1}


async def test_delete_session_removes_only_the_targeted_users_session(
    service: BaseSessionService,
) -> None:
    await service.create_session(app_name=APP, user_id="u1", session_id="s1")
    await service.create_session(app_name=APP, user_id="u2", session_id="s1", state={"v": 2})

    await service.delete_session(app_name=APP, user_id="u1", session_id="s1")

    assert await service.get_session(app_name=APP, user_id="u1", session_id="s1") is None
    survivor = await service.get_session(app_name=APP, user_id="u2", session_id="s1")
    assert survivor is not None
    assert survivor.state == {"v": 2}


async def test_listed_sessions_have_no_events_and_merged_state(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(
        app_name=APP,
        user_id=USER,
        session_id="s1",
        state={"app:a": 1, "user:u": 2, "sk": 3, "temp:t": 4},
    )
    await service.append_event(session, make_event(state_delta={"sk2": 5}))

    listed = (await service.list_sessions(app_name=APP, user_id=USER)).sessions

    assert len(listed) == 1
    assert listed[0].events == []
    assert listed[0].state == {"app:a": 1, "user:u": 2, "sk": 3, "sk2": 5}
    assert listed[0].last_update_time == session.last_update_time


async def test_list_sessions_of_unknown_app_or_user_is_empty(
    service: BaseSessionService,
) -> None:
    await service.create_session(app_name=APP, user_id=USER, session_id="s1")

    assert (await service.list_sessions(app_name="no_app")).sessions == []
    assert (await service.list_sessions(app_name="no_app", user_id=USER)).sessions == []
    assert (await service.list_sessions(app_name=APP, user_id="nobody")).sessions == []


async def test_mutating_a_returned_session_does_not_change_storage(
    service: BaseSessionService,
) -> None:
    created = await service.create_session(
        app_name=APP,
        user_id=USER,
        session_id="s1",
        state={"profile": {"name": "ada"}, "user:prefs": {"lang": "en"}},
    )
    await service.append_event(created, make_event(invocation_id="inv1"))

    got = await service.get_session(app_name=APP, user_id=USER, session_id="s1")
    assert got is not None
    got.state["profile"]["name"] = "mallory"
    got.state["user:prefs"]["lang"] = "xx"
    got.state["injected"] = True
    got.events[0].invocation_id = "tampered"
    got.events.clear()
    listed = (await service.list_sessions(app_name=APP, user_id=USER)).sessions
    listed[0].state["user:prefs"]["lang"] = "yy"

    again = await service.get_session(app_name=APP, user_id=USER, session_id="s1")
    assert again is not None
    assert again.state == {"profile": {"name": "ada"}, "user:prefs": {"lang": "en"}}
    assert [e.invocation_id for e in again.events] == ["inv1"]
