"""Pages of sessions: ADK's call unchanged, keyset pages in creation order, tokens checked."""

from __future__ import annotations

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions import InMemorySessionService
from google.adk.sessions.base_session_service import ListSessionsResponse

from adk_sqlite import SessionService
from adk_sqlite.adk.session_pages import ListSessionsPage
from adk_sqlite.errors import InvalidArgumentError

APP = "pages"


async def _fill(service: object, count: int, users: int = 2) -> list[str]:
    """Creates ``count`` sessions of ``users`` users; appends to every third one."""
    ids = []
    for number in range(count):
        session = await service.create_session(  # type: ignore[attr-defined]
            app_name=APP,
            user_id=f"u{number % users}",
            session_id=f"s{number:03d}",
            state={"n": number, "user:seen": number},
        )
        ids.append(session.id)
        if number % 3 == 0:
            await service.append_event(  # type: ignore[attr-defined]
                session,
                Event(
                    author="user",
                    invocation_id="i",
                    actions=EventActions(state_delta={"touched": True}),
                ),
            )
    return ids


async def _all_pages(service: SessionService, **arguments: object) -> list[list[str]]:
    pages, token = [], None
    while True:
        page = await service.list_sessions(app_name=APP, page_token=token, **arguments)  # type: ignore[arg-type]
        assert isinstance(page, ListSessionsPage)
        pages.append([session.id for session in page.sessions])
        token = page.next_page_token
        if token is None:
            return pages


async def test_adk_style_call_returns_every_session_like_in_memory(service: SessionService) -> None:
    reference = InMemorySessionService()
    await _fill(reference, 7)
    await _fill(service, 7)
    for user_id in (None, "u0", "u1"):
        ours = await service.list_sessions(app_name=APP, user_id=user_id)
        theirs = await reference.list_sessions(app_name=APP, user_id=user_id)
        assert type(ours) is ListSessionsResponse
        assert {s.id: s.state for s in ours.sessions} == {s.id: s.state for s in theirs.sessions}
        times = [session.last_update_time for session in ours.sessions]
        assert times == sorted(times)  # oldest update first
        assert all(session.events == [] for session in ours.sessions)


@pytest.mark.parametrize("page_size", [1, 2, 50])
@pytest.mark.parametrize("newest_first", [False, True])
@pytest.mark.parametrize("user_id", [None, "u1"])
async def test_pages_hold_every_session_once_in_creation_order(
    service: SessionService, page_size: int, newest_first: bool, user_id: str | None
) -> None:
    ids = await _fill(service, 7)
    expected = [i for n, i in enumerate(ids) if user_id is None or f"u{n % 2}" == user_id]
    if newest_first:
        expected.reverse()
    pages = await _all_pages(
        service, user_id=user_id, page_size=page_size, newest_first=newest_first
    )
    assert [i for page in pages for i in page] == expected
    assert all(len(page) == page_size for page in pages[:-1])
    assert 0 < len(pages[-1]) <= page_size


async def test_a_page_carries_merged_state(service: SessionService) -> None:
    await _fill(service, 4)
    page = await service.list_sessions(app_name=APP, page_size=50)
    listed = {s.id: s.state for s in page.sessions}
    full = {s.id: s.state for s in (await service.list_sessions(app_name=APP)).sessions}
    assert listed == full
    assert listed["s001"] == {"n": 1, "user:seen": 3}


async def test_an_empty_listing_is_one_empty_page(service: SessionService) -> None:
    page = await service.list_sessions(app_name=APP, page_size=10)
    assert isinstance(page, ListSessionsPage)
    assert page.sessions == []
    assert page.next_page_token is None


async def test_newest_first_alone_returns_a_first_page(service: SessionService) -> None:
    ids = await _fill(service, 3)
    page = await service.list_sessions(app_name=APP, newest_first=True)
    assert [s.id for s in page.sessions] == ids[::-1]


@pytest.mark.parametrize("page_size", [0, -1, 10_001, True, 2.0, "2"])
async def test_an_invalid_page_size_is_refused(service: SessionService, page_size: object) -> None:
    with pytest.raises(InvalidArgumentError, match="page_size"):
        await service.list_sessions(app_name=APP, page_size=page_size)  # type: ignore[arg-type]


async def _second_page_token(service: SessionService, **arguments: object) -> str:
    page = await service.list_sessions(app_name=APP, page_size=1, **arguments)  # type: ignore[arg-type]
    assert isinstance(page, ListSessionsPage)
    assert page.next_page_token is not None
    return page.next_page_token


def _flipped(token: str, index: int) -> str:
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


async def test_an_altered_or_foreign_token_is_refused(service: SessionService) -> None:
    await _fill(service, 3)
    token = await _second_page_token(service)
    bad_tokens = [
        "",
        "not a token",
        "%%%%",
        token[:-3],
        token + "AA",
        "x" * 5000,
        *(_flipped(token, index) for index in range(0, len(token), 3)),
    ]
    for bad in bad_tokens:
        with pytest.raises(InvalidArgumentError, match="page_token"):
            await service.list_sessions(app_name=APP, page_size=1, page_token=bad)
    # A valid token of another listing: another user, app or order.
    with pytest.raises(InvalidArgumentError, match="another"):
        await service.list_sessions(app_name=APP, user_id="u0", page_token=token)
    with pytest.raises(InvalidArgumentError, match="another"):
        await service.list_sessions(app_name="other", page_token=token)
    with pytest.raises(InvalidArgumentError, match="another"):
        await service.list_sessions(app_name=APP, page_token=token, newest_first=True)
    with pytest.raises(InvalidArgumentError, match="page_token must be a str"):
        await service.list_sessions(app_name=APP, page_token=b"x")  # type: ignore[arg-type]


async def test_a_token_crafted_with_sql_is_only_a_position(service: SessionService) -> None:
    # Anyone can build a well-formed token; what it holds is bound, never spliced.
    from adk_sqlite.codec.page_tokens import encode_session_token
    from adk_sqlite.records import SessionPosition

    ids = await _fill(service, 3)
    token = encode_session_token(
        SessionPosition(0.0, "' OR 1=1 --", '"; DROP TABLE adk_sessions; --'),
        app_name=APP,
        user_id=None,
        newest_first=False,
    )
    page = await service.list_sessions(app_name=APP, page_token=token, page_size=50)
    assert [s.id for s in page.sessions] == ids
    assert len((await service.list_sessions(app_name=APP)).sessions) == 3
