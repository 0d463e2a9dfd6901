"""§7 Ids and whitespace, and the id rules of §11.2.

Our backends (like ADK's in-memory and SQLite ones) strip caller ids in create,
get and delete, treat a blank id as "generate one", and look for a row stored
under the verbatim padded id before falling back to the stripped form.
"""

from __future__ import annotations

import time

import pytest
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.sessions.base_session_service import BaseSessionService

from adk_sqlite import SessionService, errors
from adk_sqlite.records import StateDelta

from ._support import APP, USER


async def test_get_session_finds_the_session_by_the_id_passed_to_create(
    service: BaseSessionService,
) -> None:
    created = await service.create_session(app_name=APP, user_id=USER, session_id="order-42\n")

    got = await service.get_session(app_name=APP, user_id=USER, session_id="order-42\n")

    assert got is not None
    assert got.id == created.id
    assert got == created


async def test_delete_session_removes_the_session_by_the_id_passed_to_create(
    service: BaseSessionService,
) -> None:
    created = await service.create_session(app_name=APP, user_id=USER, session_id="order-42\n")

    await service.delete_session(app_name=APP, user_id=USER, session_id="order-42\n")

    assert await service.get_session(app_name=APP, user_id=USER, session_id=created.id) is None
    assert (await service.list_sessions(app_name=APP, user_id=USER)).sessions == []


async def test_create_session_strips_a_padded_id(service: BaseSessionService) -> None:
    created = await service.create_session(app_name=APP, user_id=USER, session_id="  order-42\t\n")

    got = await service.get_session(app_name=APP, user_id=USER, session_id="order-42")
    listed = (await service.list_sessions(app_name=APP, user_id=USER)).sessions

    assert created.id == "order-42"
    assert got == created
    assert [s.id for s in listed] == ["order-42"]


async def test_create_session_with_a_padded_duplicate_id_raises_already_exists(
    service: BaseSessionService, our_backend: bool
) -> None:
    await service.create_session(
        app_name=APP, user_id=USER, session_id="existing_session", state={"v": "original"}
    )

    with pytest.raises(AlreadyExistsError) as excinfo:
        await service.create_session(
            app_name=APP, user_id=USER, session_id="  existing_session  ", state={"v": "new"}
        )

    if our_backend:
        assert isinstance(excinfo.value, errors.SessionAlreadyExistsError)
    got = await service.get_session(app_name=APP, user_id=USER, session_id="existing_session")
    assert got is not None
    assert got.state == {"v": "original"}
    assert len((await service.list_sessions(app_name=APP, user_id=USER)).sessions) == 1


@pytest.mark.parametrize(
    "blank", [None, "", "   ", "\t\n "], ids=["none", "empty", "spaces", "mixed"]
)
async def test_blank_session_id_generates_one(
    service: BaseSessionService, blank: str | None
) -> None:
    created = await service.create_session(app_name=APP, user_id=USER, session_id=blank)

    got = await service.get_session(app_name=APP, user_id=USER, session_id=created.id)

    assert created.id
    assert created.id == created.id.strip()
    assert got == created


async def test_generated_session_ids_are_unique(service: BaseSessionService) -> None:
    ids = {(await service.create_session(app_name=APP, user_id=USER)).id for _ in range(20)}

    assert len(ids) == 20


# --- Rows stored under a padded id (migrated from DatabaseSessionService) -----------


async def _plant_padded_row(
    service: BaseSessionService, session_id: str, state: dict[str, str]
) -> None:
    """Writes a session row under ``session_id`` verbatim, as a migrated database holds it.

    The service strips ids, so the row is written through its store directly.
    """
    assert isinstance(service, SessionService)
    await service.store.create_session(
        app_name=APP,
        user_id=USER,
        session_id=session_id,
        state=StateDelta(session=state),
        create_time=time.time(),
    )


@pytest.mark.ours_only
async def test_create_session_rejects_an_id_stored_padded(service: BaseSessionService) -> None:
    await _plant_padded_row(service, "order-42 ", {"row": "padded"})

    with pytest.raises(errors.SessionAlreadyExistsError, match="order-42"):
        await service.create_session(app_name=APP, user_id=USER, session_id="order-42 ")

    listed = (await service.list_sessions(app_name=APP, user_id=USER)).sessions
    assert [(s.id, s.state) for s in listed] == [("order-42 ", {"row": "padded"})]


@pytest.mark.ours_only
async def test_get_session_prefers_the_row_stored_under_the_padded_id(
    service: BaseSessionService,
) -> None:
    await service.create_session(
        app_name=APP, user_id=USER, session_id="order-42", state={"row": "stripped"}
    )
    await _plant_padded_row(service, "order-42 ", {"row": "padded"})

    padded = await service.get_session(app_name=APP, user_id=USER, session_id="order-42 ")
    stripped = await service.get_session(app_name=APP, user_id=USER, session_id="order-42")

    assert padded is not None
    assert padded.id == "order-42 "
    assert padded.state == {"row": "padded"}
    assert stripped is not None
    assert stripped.state == {"row": "stripped"}


@pytest.mark.ours_only
async def test_get_session_falls_back_to_the_stripped_id(service: BaseSessionService) -> None:
    await service.create_session(
        app_name=APP, user_id=USER, session_id="order-42", state={"row": "stripped"}
    )
    await _plant_padded_row(service, " order-7", {"row": "other"})

    got = await service.get_session(app_name=APP, user_id=USER, session_id="order-42 ")

    assert got is not None
    assert got.id == "order-42"
    assert got.state == {"row": "stripped"}


@pytest.mark.ours_only
async def test_delete_session_prefers_the_row_stored_under_the_padded_id(
    service: BaseSessionService,
) -> None:
    await service.create_session(
        app_name=APP, user_id=USER, session_id="order-42", state={"row": "stripped"}
    )
    await _plant_padded_row(service, "order-42 ", {"row": "padded"})

    await service.delete_session(app_name=APP, user_id=USER, session_id="order-42 ")
    listed = (await service.list_sessions(app_name=APP, user_id=USER)).sessions

    assert [(s.id, s.state) for s in listed] == [("order-42", {"row": "stripped"})]
    assert await service.get_session(app_name=APP, user_id=USER, session_id="order-42 ") is not None
