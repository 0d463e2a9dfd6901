"""Pages of a session's events: the same events as get_session, in order, page by page."""

from __future__ import annotations

import pytest
from google.adk.events.event import Event

from adk_sqlite import SessionService
from adk_sqlite.errors import InvalidArgumentError, SessionNotFoundError

APP, USER, SESSION = "pages", "ada", "long"


async def _session_with_events(service: SessionService, count: int) -> list[str]:
    session = await service.create_session(app_name=APP, user_id=USER, session_id=SESSION)
    for number in range(count):
        # Ties in timestamp are read in append order.
        event = Event(author="user", invocation_id=f"i{number}", timestamp=1000.0 + number // 2)
        await service.append_event(session, event)
    return [event.id for event in session.events]


@pytest.mark.parametrize("page_size", [1, 2, 50])
@pytest.mark.parametrize("newest_first", [False, True])
async def test_event_pages_equal_get_sessions_events(
    service: SessionService, page_size: int, newest_first: bool
) -> None:
    await _session_with_events(service, 7)
    whole = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    assert whole is not None
    expected = whole.events[::-1] if newest_first else whole.events
    paged, token, sizes = [], None, []
    while True:
        page = await service.list_events(
            app_name=APP,
            user_id=USER,
            session_id=SESSION,
            page_size=page_size,
            page_token=token,
            newest_first=newest_first,
        )
        paged.extend(page.events)
        sizes.append(len(page.events))
        token = page.next_page_token
        if token is None:
            break
    assert paged == expected
    assert all(size == page_size for size in sizes[:-1])


async def test_iter_events_yields_every_event_in_order(service: SessionService) -> None:
    ids = await _session_with_events(service, 5)
    seen = [
        event.id
        async for event in service.iter_events(
            app_name=APP, user_id=USER, session_id=SESSION, page_size=2
        )
    ]
    assert seen == ids


async def test_a_session_without_events_is_one_empty_page(service: SessionService) -> None:
    await service.create_session(app_name=APP, user_id=USER, session_id=SESSION)
    page = await service.list_events(app_name=APP, user_id=USER, session_id=SESSION)
    assert page.events == []
    assert page.next_page_token is None


async def test_events_of_a_missing_session_raise_not_found(service: SessionService) -> None:
    with pytest.raises(SessionNotFoundError):
        await service.list_events(app_name=APP, user_id=USER, session_id="nope")


async def test_an_event_token_of_another_session_or_order_is_refused(
    service: SessionService,
) -> None:
    await _session_with_events(service, 3)
    await service.create_session(app_name=APP, user_id=USER, session_id="other")
    page = await service.list_events(app_name=APP, user_id=USER, session_id=SESSION, page_size=1)
    token = page.next_page_token
    assert token is not None
    with pytest.raises(InvalidArgumentError, match="another"):
        await service.list_events(app_name=APP, user_id=USER, session_id="other", page_token=token)
    with pytest.raises(InvalidArgumentError, match="another"):
        await service.list_events(
            app_name=APP, user_id=USER, session_id=SESSION, page_token=token, newest_first=True
        )
    with pytest.raises(InvalidArgumentError, match="page_token"):
        await service.list_events(
            app_name=APP, user_id=USER, session_id=SESSION, page_token=token[:-2]
        )
