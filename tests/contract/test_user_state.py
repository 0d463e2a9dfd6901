"""§9 ``get_user_state``: bare keys, scoped by (app_name, user_id), ``{}`` when empty."""

from __future__ import annotations

from google.adk.sessions.base_session_service import BaseSessionService

from ._support import APP, make_event


async def test_get_user_state_of_an_unknown_user_is_an_empty_dict(
    service: BaseSessionService,
) -> None:
    state = await service.get_user_state(app_name=APP, user_id="nobody")

    assert state == {}
    assert type(state) is dict


async def test_get_user_state_returns_bare_keys_written_by_append_event(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id="u1")
    delta = {"user:profile": {"name": "Alice"}, "session_key": 1, "app:shared": 2, "temp:t": 3}

    await service.append_event(session, make_event(state_delta=delta))

    assert await service.get_user_state(app_name=APP, user_id="u1") == {
        "profile": {"name": "Alice"}
    }


async def test_get_user_state_includes_the_initial_state_given_to_create(
    service: BaseSessionService,
) -> None:
    await service.create_session(
        app_name=APP, user_id="u1", state={"user:lang": "en", "own": 1, "app:a": 2}
    )

    assert await service.get_user_state(app_name=APP, user_id="u1") == {"lang": "en"}


async def test_get_user_state_is_not_visible_across_users(service: BaseSessionService) -> None:
    session = await service.create_session(app_name=APP, user_id="u1")
    await service.append_event(session, make_event(state_delta={"user:secret": "s"}))

    assert await service.get_user_state(app_name=APP, user_id="u2") == {}


async def test_get_user_state_is_not_visible_across_apps(service: BaseSessionService) -> None:
    session = await service.create_session(app_name=APP, user_id="u1")
    await service.append_event(session, make_event(state_delta={"user:secret": "s"}))

    assert await service.get_user_state(app_name="other_app", user_id="u1") == {}


async def test_get_user_state_needs_no_session_id(service: BaseSessionService) -> None:
    writer = await service.create_session(app_name=APP, user_id="u1", session_id="writer")
    await service.append_event(writer, make_event(state_delta={"user:ctx": {"v": 1}}))
    await service.delete_session(app_name=APP, user_id="u1", session_id="writer")

    # Readable before the user's next session is created, and after the writer is gone.
    assert await service.get_user_state(app_name=APP, user_id="u1") == {"ctx": {"v": 1}}
    nxt = await service.create_session(app_name=APP, user_id="u1")
    assert nxt.state == {"user:ctx": {"v": 1}}


async def test_get_user_state_reflects_the_latest_write(service: BaseSessionService) -> None:
    session = await service.create_session(app_name=APP, user_id="u1")
    await service.append_event(session, make_event(state_delta={"user:counter": 1, "user:k": "a"}))
    await service.append_event(session, make_event(state_delta={"user:counter": 2}))

    assert await service.get_user_state(app_name=APP, user_id="u1") == {"counter": 2, "k": "a"}


async def test_mutating_returned_user_state_does_not_change_storage(
    service: BaseSessionService,
) -> None:
    await service.create_session(app_name=APP, user_id="u1", state={"user:prefs": {"lang": "en"}})

    returned = await service.get_user_state(app_name=APP, user_id="u1")
    returned["prefs"]["lang"] = "xx"
    returned["injected"] = True

    assert await service.get_user_state(app_name=APP, user_id="u1") == {"prefs": {"lang": "en"}}
