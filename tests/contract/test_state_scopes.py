"""§2 State scoping: ``app:``, ``user:``, session-only and ``temp:`` keys."""

from __future__ import annotations

from google.adk.sessions.base_session_service import BaseSessionService

from ._support import APP, make_event


async def test_app_state_is_shared_by_all_users_of_app(service: BaseSessionService) -> None:
    s1 = await service.create_session(
        app_name=APP, user_id="u1", session_id="s1", state={"app:k1": "v1"}
    )
    await service.append_event(s1, make_event(state_delta={"app:k2": "v2"}))

    other_user = await service.create_session(app_name=APP, user_id="u2", session_id="s2")
    s1_again = await service.get_session(app_name=APP, user_id="u1", session_id="s1")

    assert other_user.state == {"app:k1": "v1", "app:k2": "v2"}
    assert s1_again is not None
    assert s1_again.state == {"app:k1": "v1", "app:k2": "v2"}


async def test_app_state_is_not_shared_with_other_apps(service: BaseSessionService) -> None:
    await service.create_session(app_name=APP, user_id="u1", state={"app:k1": "v1"})

    elsewhere = await service.create_session(app_name="other_app", user_id="u1")

    assert elsewhere.state == {}


async def test_user_state_is_shared_only_by_that_users_sessions(
    service: BaseSessionService,
) -> None:
    s1 = await service.create_session(
        app_name=APP, user_id="u1", session_id="s1", state={"user:k1": "v1"}
    )
    await service.append_event(s1, make_event(state_delta={"user:k2": "v2"}))

    same_user = await service.create_session(app_name=APP, user_id="u1", session_id="s1b")
    other_user = await service.create_session(app_name=APP, user_id="u2", session_id="s2")

    assert same_user.state == {"user:k1": "v1", "user:k2": "v2"}
    assert other_user.state == {}


async def test_session_state_is_not_shared(service: BaseSessionService) -> None:
    s1 = await service.create_session(
        app_name=APP, user_id="u1", session_id="s1", state={"sk1": "v1"}
    )
    await service.append_event(s1, make_event(state_delta={"sk2": "v2"}))

    s1_again = await service.get_session(app_name=APP, user_id="u1", session_id="s1")
    sibling = await service.create_session(app_name=APP, user_id="u1", session_id="s1b")

    assert s1_again is not None
    assert s1_again.state == {"sk1": "v1", "sk2": "v2"}
    assert sibling.state == {}


async def test_scoped_state_written_by_one_session_reaches_existing_sessions(
    service: BaseSessionService,
) -> None:
    s1 = await service.create_session(app_name=APP, user_id="u1", session_id="s1")
    await service.create_session(app_name=APP, user_id="u1", session_id="s2")
    await service.append_event(s1, make_event(state_delta={"app:a": 1, "user:u": 2, "own": 3}))

    s2 = await service.get_session(app_name=APP, user_id="u1", session_id="s2")

    assert s2 is not None
    assert s2.state == {"app:a": 1, "user:u": 2}


async def test_temp_state_is_visible_in_memory_and_trimmed_from_the_event(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id="u1", session_id="s1")
    event = make_event(state_delta={"temp:k1": "v1", "sk": "v2"})

    await service.append_event(session=session, event=event)

    assert session.state["temp:k1"] == "v1"
    assert session.state["sk"] == "v2"
    # The trim happens in place, on the very object the caller passed in.
    assert event.actions.state_delta == {"sk": "v2"}


async def test_temp_state_is_visible_to_the_next_agent_of_the_invocation(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id="u1", session_id="s_seq")
    first = make_event(author="agent1", state_delta={"temp:output": "result_from_a1"})
    await service.append_event(session=session, event=first)

    assert session.state.get("temp:output") == "result_from_a1"
    assert "temp:output" not in first.actions.state_delta

    second = make_event(author="agent2", state_delta={"seen": session.state["temp:output"]})
    await service.append_event(session=session, event=second)
    assert session.state["seen"] == "result_from_a1"


async def test_temp_state_is_never_persisted(service: BaseSessionService) -> None:
    session = await service.create_session(app_name=APP, user_id="u1", session_id="s1")
    await service.append_event(session, make_event(state_delta={"temp:k1": "v1", "sk": "v2"}))

    got = await service.get_session(app_name=APP, user_id="u1", session_id="s1")
    listed = (await service.list_sessions(app_name=APP, user_id="u1")).sessions

    assert got is not None
    assert got.state == {"sk": "v2"}
    assert got.events[0].actions.state_delta == {"sk": "v2"}
    assert listed[0].state == {"sk": "v2"}
    assert await service.get_user_state(app_name=APP, user_id="u1") == {}


async def test_temp_keys_in_initial_state_are_not_stored(service: BaseSessionService) -> None:
    created = await service.create_session(
        app_name=APP, user_id="u1", session_id="s1", state={"temp:t": 1, "sk": 2}
    )

    got = await service.get_session(app_name=APP, user_id="u1", session_id="s1")

    assert created.state == {"sk": 2}
    assert got is not None
    assert got.state == {"sk": 2}
