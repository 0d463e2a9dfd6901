"""Pages of sessions and events: what `SessionService` adds to ADK's listing.

ADK's ``list_sessions(app_name=..., user_id=...)`` returns every session at once.
`SessionService.list_sessions` keeps that call as it is, and takes keyword-only
page arguments beyond it; `SessionService.list_events` and
`SessionService.iter_events` read a session's events page by page without
loading the session whole. This module builds the store queries, the page
tokens (`adk_sqlite.codec.page_tokens`) and the responses.

The order of session pages is creation order, (create time, user id, session
id), oldest or newest first, not update order: appends change update times, so
a session paged by update time could move from a page not yet read to one
already read (and be missed) or the other way (and be seen twice). In creation
order, a session that exists from the first page request to the last appears on
exactly one page, whatever is created, appended to or deleted meanwhile; a
session created meanwhile appears at most once (in oldest-first paging, on a
later page), and one deleted meanwhile at most once. Each page is one snapshot.
"""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator
from typing import Any

from google.adk.events.event import Event
from google.adk.sessions.base_session_service import ListSessionsResponse
from google.adk.sessions.session import Session
from pydantic import BaseModel, Field

from adk_sqlite.codec.fast import paused_gc, session_builder
from adk_sqlite.codec.fast.slices import decoded_in_slices
from adk_sqlite.codec.page_tokens import (
    decode_event_token,
    decode_session_token,
    encode_event_token,
    encode_session_token,
)
from adk_sqlite.codec.state import merged_state
from adk_sqlite.errors import InvalidArgumentError, SessionNotFoundError
from adk_sqlite.records import (
    EventPage,
    EventPageQuery,
    EventRecord,
    SessionListing,
    SessionPage,
    SessionPageQuery,
    SessionPosition,
    SessionRecord,
)
from adk_sqlite.store import BaseAsyncStore

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "ListEventsResponse",
    "ListSessionsPage",
    "PagedReads",
    "event_page_query",
    "id_candidates",
    "next_event_token",
    "next_session_token",
    "require_strings",
    "session_page_query",
]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 10_000


class ListSessionsPage(ListSessionsResponse):
    """One page of sessions; ``next_page_token`` reads the next one (None: this was the last)."""

    next_page_token: str | None = None


class ListEventsResponse(BaseModel):
    """One page of a session's events; ``next_page_token`` reads the next one."""

    events: list[Event] = Field(default_factory=list)
    next_page_token: str | None = None


def page_size_of(page_size: object) -> int:
    """The page size to read: ``page_size``, checked, or the default."""
    if page_size is None:
        return DEFAULT_PAGE_SIZE
    if isinstance(page_size, bool) or not isinstance(page_size, int):
        raise InvalidArgumentError(f"page_size must be an int, not {type(page_size).__name__}")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidArgumentError(
            f"page_size must be between 1 and {MAX_PAGE_SIZE}, not {page_size}"
        )
    return page_size


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidArgumentError(f"{name} must be a bool, not {type(value).__name__}")
    return value


def session_page_query(
    app_name: str, user_id: str | None, page_size: object, page_token: object, newest_first: object
) -> SessionPageQuery:
    """The store query for one page of sessions (the token checked against the listing)."""
    newest = _flag("newest_first", newest_first)
    after = None
    if page_token is not None:
        after = decode_session_token(
            page_token, app_name=app_name, user_id=user_id, newest_first=newest
        )
    return SessionPageQuery(limit=page_size_of(page_size), newest_first=newest, after=after)


def next_session_token(
    page: SessionPage, *, app_name: str, user_id: str | None, newest_first: bool
) -> str | None:
    """The token of the page after ``page``, or None when it was the last."""
    if not page.has_more or not page.sessions:
        return None
    last = page.sessions[-1]
    return encode_session_token(
        SessionPosition(last.create_time, last.user_id, last.id),
        app_name=app_name,
        user_id=user_id,
        newest_first=newest_first,
    )


def event_page_query(
    *, key: tuple[str, str, str], page_size: object, page_token: object, newest_first: object
) -> EventPageQuery:
    """The store query for one page of a session's events."""
    newest = _flag("newest_first", newest_first)
    after = None
    if page_token is not None:
        after = decode_event_token(page_token, key=key, newest_first=newest)
    return EventPageQuery(limit=page_size_of(page_size), newest_first=newest, after=after)


def next_event_token(
    page: EventPage, *, key: tuple[str, str, str], newest_first: bool
) -> str | None:
    """The token of the page after ``page``, or None when it was the last."""
    if page.next is None:
        return None
    return encode_event_token(page.next, key=key, newest_first=newest_first)


class PagedReads:
    """`SessionService`'s paged reads (a mixin: the service provides the attributes)."""

    _store: BaseAsyncStore
    _owner_id: Any
    _fast_decoding: bool
    _decode_slice: int | None

    async def _decode_yielding(self, records: list[EventRecord]) -> list[Event]:
        raise NotImplementedError

    async def _list_session_page(
        self,
        app_name: str,
        user_id: str | None,
        page_size: object,
        page_token: object,
        newest_first: object,
    ) -> ListSessionsPage:
        query = session_page_query(app_name, user_id, page_size, page_token, newest_first)
        page = await self._store.list_session_page(
            app_name=app_name, user_id=user_id, page=query, owner_id=self._owner_id
        )
        token = next_session_token(
            page, app_name=app_name, user_id=user_id, newest_first=query.newest_first
        )
        return ListSessionsPage(sessions=await self._sessions_of(page), next_page_token=token)

    async def _sessions_of(self, listing: SessionListing) -> list[Session]:
        """The listed sessions, without their events, each with its merged state.

        A long listing (a user with thousands of sessions) is built in slices, as a
        long session's events are decoded (at most ``decode_slice`` sessions and
        about 0.5 ms per turn of the event loop: states can be large), so that it does
        not hold up other requests. The listing is one snapshot already: building it
        in slices cannot mix two states.
        """
        build = session_builder(fast=self._fast_decoding)

        def listed_session(record: SessionRecord) -> Session:
            user_state = listing.user_states.get(record.user_id, {})
            return build(record, merged_state(record.state, listing.app_state, user_state), [])

        size = self._decode_slice
        if size is None:
            with paused_gc():  # hundreds of live Sessions, no garbage (see gc_pause)
                return [listed_session(record) for record in listing.sessions]
        return await decoded_in_slices(
            collections.deque(listing.sessions), listed_session, most=size
        )

    async def list_events(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        page_size: int | None = None,
        page_token: str | None = None,
        newest_first: bool = False,
    ) -> ListEventsResponse:
        """Reads one page of a session's events, without loading the session.

        Events come in `get_session`'s order (timestamp, ties in append order),
        or the reverse with ``newest_first``; at most ``page_size`` of them
        (default 100, at most 10,000). Pass ``next_page_token`` back, with the
        same other arguments, for the next page; it is None after the last.

        Raises:
            SessionNotFoundError: The session does not exist (or is another owner's).
            InvalidArgumentError: An argument of the wrong type or range, or a
                page token that is not one of this session's.
        """
        require_strings(app_name=app_name, user_id=user_id, session_id=session_id)
        key = (app_name, user_id, session_id)
        query = event_page_query(
            key=key, page_size=page_size, page_token=page_token, newest_first=newest_first
        )
        for candidate in id_candidates(session_id):
            page = await self._store.read_event_page(
                app_name=app_name,
                user_id=user_id,
                session_id=candidate,
                page=query,
                owner_id=self._owner_id,
            )
            if page is not None:
                return ListEventsResponse(
                    events=await self._decode_yielding(page.events),
                    next_page_token=next_event_token(
                        page, key=key, newest_first=query.newest_first
                    ),
                )
        raise SessionNotFoundError(f"Session {session_id} not found.")

    async def iter_events(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        page_size: int | None = None,
        newest_first: bool = False,
    ) -> AsyncIterator[Event]:
        """Yields a session's events one by one, read ``page_size`` at a time (`list_events`)."""
        token: str | None = None
        while True:
            page = await self.list_events(
                app_name=app_name,
                user_id=user_id,
                session_id=session_id,
                page_size=page_size,
                page_token=token,
                newest_first=newest_first,
            )
            for event in page.events:
                yield event
            token = page.next_page_token
            if token is None:
                return


def require_strings(**values: object) -> None:
    # Checked before anything is written: SQLite would store an int as text and a
    # bytes id as a BLOB, a session no later lookup by string could find.
    for name, value in values.items():
        if not isinstance(value, str):
            raise InvalidArgumentError(f"{name} must be a str, not {type(value).__name__}")


def id_candidates(session_id: str) -> tuple[str, ...]:
    """The ids to look a caller's id up under: verbatim first, then stripped."""
    stripped = session_id.strip()
    return (session_id,) if stripped == session_id else (session_id, stripped)
