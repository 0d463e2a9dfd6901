"""`SessionService`: ADK's session semantics over any `BaseAsyncStore`.

This module holds every ADK rule (state scopes, ``temp:`` trimming,
`GetSessionConfig`, id normalisation, stale-writer markers, ADK's error types)
and no SQL: the store below it takes and returns plain records.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Self

from google.adk.apps.app import EventsCompactionConfig
from google.adk.events.event import Event
from google.adk.platform import time as platform_time
from google.adk.platform import uuid as platform_uuid
from google.adk.sessions.base_session_service import (
    BaseSessionService,
    GetSessionConfig,
    ListSessionsResponse,
)
from google.adk.sessions.session import Session
from typing_extensions import override

from adk_sqlite.adk.compaction_view import (
    NEWEST_COMPACTIONS,
    SpanPlan,
    event_view,
    has_sliding_window,
    is_faithful,
    skipped_span,
    span_from_index,
)
from adk_sqlite.adk.session_marker import read_marker, write_marker
from adk_sqlite.adk.session_pages import PagedReads, id_candidates, require_strings
from adk_sqlite.adk.store_argument import StoreService, store_or_url
from adk_sqlite.codec.events import encode_event
from adk_sqlite.codec.fast import (
    decode_events,
    event_decoder,
    free_events_later,
    paused_gc,
    session_builder,
)
from adk_sqlite.codec.fast.slices import MaybeEventDecoder, decoded_in_slices
from adk_sqlite.codec.state import json_safe, merged_state, split_state_delta
from adk_sqlite.errors import (
    CorruptRecordError,
    InvalidArgumentError,
    SessionAlreadyExistsError,
)
from adk_sqlite.records import (
    AppendResult,
    EventQuery,
    EventRecord,
    SessionSnapshot,
    StaleCheck,
)
from adk_sqlite.storage.store_base import StoreBase
from adk_sqlite.store import BaseAsyncStore

__all__ = ["DEFAULT_DECODE_SLICE", "SessionService"]

DEFAULT_DECODE_SLICE = 100
"""Events `SessionService.get_session` decodes between two turns of the event loop."""

_NO_EVENTS = EventQuery(limit=0)
_FLAGGED_EVENTS = EventQuery(include_plain=False)
_logger = logging.getLogger("adk_sqlite.service")


class SessionService(PagedReads, StoreService[BaseAsyncStore], BaseSessionService):
    """A `google.adk.sessions.BaseSessionService` over a `BaseAsyncStore`.

    Pass it to a ``Runner`` as ``session_service``::

        service = SessionService(SqliteStore("./sessions.db"))
        runner = Runner(agent=agent, app_name="support", session_service=service)

    Every Session it returns carries a revision marker; `append_event` rejects a
    Session object that missed another writer's append with
    `adk_sqlite.errors.StaleSessionError`, an exact check made inside the
    store's transaction.

    Args:
        store: Where sessions live.
        owner_id: When given, new sessions are stamped with this owner and every
            get, list, append and delete is confined to this owner's sessions
            (the store needs an owner column).
        skip_damaged_events: When False (the default), `get_session` raises
            `adk_sqlite.errors.CorruptRecordError` if any event of the session
            cannot be decoded. When True, it returns the session without those
            events and logs one WARNING per event left out (logger
            ``adk_sqlite.service``, naming the event id, the session and the
            reason), so a conversation stays usable until ``adk-sqlite check
            --repair`` moves the damaged rows aside. State is stored, not
            replayed, so it is unaffected; appending keeps working. A damaged
            session row or state still raises.
        fast_decoding: When True (the default), reads rebuild events and
            sessions without re-validating them (`adk_sqlite.codec.fast`, which
            checks itself against validation at first use and falls back to
            it). When False, every read of this service goes through pydantic
            validation. ``ADK_SQLITE_FAST_DECODING=0`` in the environment turns
            the fast path off for every service, whatever this option says.
        uri: Instead of ``store``: a service URL (``adk-sqlite:///sessions.db``,
            see `adk_sqlite.adk.service_urls`), opened with
            `adk_sqlite.adk.registry.open_store`, so services built from the same
            URL share one store. This is how a ``services.yaml`` in an ADK agents
            folder builds the service (``class: adk_sqlite.SessionService``).
        agents_dir: Accepted because ADK passes it with ``uri``; not used (a
            relative path in ``uri`` is relative to the working directory).
        skip_compacted_events: When True, `get_session` (without a
            ``GetSessionConfig``) leaves out the raw events that ADK's event
            compaction has summarised and that ADK will not read again, so a
            turn's read stays small however long the history grows. Every
            model request, every compaction and the runner's own reads are the
            same as with the whole history (the rule, and the cases in which
            the whole session is loaded anyway, are in
            `adk_sqlite.adk.compaction_view` and ``docs/compaction.md``).
            State is stored, not replayed, so it is unaffected. Default False:
            ADK's behaviour, every event. Needs ``events_compaction_config``.
        events_compaction_config: The ``events_compaction_config`` of the App
            the Runner runs (``app.events_compaction_config``): which raw events
            the next compaction re-reads depends on it.
        decode_slice: How many events, at most, `get_session` and `list_events`
            decode before they let the event loop run other tasks (default 100);
            a slice also ends once it has taken 0.5 ms (a hundred plain events are
            0.5-1.5 ms of work, events with large tool responses far more). So
            reading a long session never holds up a busy server's other requests.
            The events still come from one consistent read; only building them is
            spread over turns of the loop. When the returned session is dropped,
            its events are freed in the same slices, too, and `list_sessions`
            builds its sessions that many at a time. None: decode and free every
            session in one go (the fastest read of a long session when nothing
            else waits for the loop).

    Raises:
        InvalidArgumentError: Both ``store`` and ``uri`` were given, or neither;
            or ``skip_compacted_events`` without ``events_compaction_config``; or
            a ``decode_slice`` that is not a positive integer or None.
        ConfigurationError: ``uri`` is not a valid service URL.
    """

    def __init__(
        self,
        store: BaseAsyncStore | None = None,
        *,
        owner_id: Any = None,
        skip_damaged_events: bool = False,
        fast_decoding: bool = True,
        uri: str | None = None,
        agents_dir: str | os.PathLike[str] | None = None,
        skip_compacted_events: bool = False,
        events_compaction_config: EventsCompactionConfig | None = None,
        decode_slice: int | None = DEFAULT_DECODE_SLICE,
    ) -> None:
        if decode_slice is not None and (
            not isinstance(decode_slice, int) or isinstance(decode_slice, bool) or decode_slice < 1
        ):
            raise InvalidArgumentError(
                f"decode_slice must be a positive number of events or None, not {decode_slice!r}"
            )
        if skip_compacted_events and events_compaction_config is None:
            raise InvalidArgumentError(
                "skip_compacted_events needs events_compaction_config: pass the App's"
                " events_compaction_config"
            )
        self._store: BaseAsyncStore = store_or_url(store, uri, service="SessionService")
        # adk-sqlite's own stores keep each event's view (compaction_view.event_view).
        self._view_store = self._store if isinstance(self._store, StoreBase) else None
        self._owner_id = owner_id
        self._skip_damaged_events = skip_damaged_events
        self._fast_decoding = fast_decoding
        self._skip_compacted_events = skip_compacted_events
        self._events_compaction_config = events_compaction_config
        self._decode_slice = decode_slice

    @property
    def owner_id(self) -> Any:
        """The owner this service is confined to, or None."""
        return self._owner_id

    @property
    def skip_damaged_events(self) -> bool:
        """Whether `get_session` leaves out events that cannot be decoded, instead of raising."""
        return self._skip_damaged_events

    @property
    def skip_compacted_events(self) -> bool:
        """Whether `get_session` leaves out compacted events ADK will not read again."""
        return self._skip_compacted_events

    @property
    def fast_decoding(self) -> bool:
        """Whether reads may skip re-validation (see `adk_sqlite.codec.fast`)."""
        return self._fast_decoding

    async def __aenter__(self) -> Self:
        await self._store.create_tables()
        return self

    # --- sessions -----------------------------------------------------------------

    @override
    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        state: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> Session:
        require_strings(app_name=app_name, user_id=user_id)
        if session_id is not None:
            require_strings(session_id=session_id)
        if state is not None and not isinstance(state, Mapping):
            raise InvalidArgumentError(f"state must be a dict, not {type(state).__name__}")
        session_id = await self._id_for_new_session(app_name, user_id, session_id)
        snapshot = await self._store.create_session(
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            state=split_state_delta(json_safe(state) if state else None),
            create_time=platform_time.get_time(),
            owner_id=self._owner_id,
        )
        return self._to_session(snapshot)

    @override
    async def get_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        config: GetSessionConfig | None = None,
    ) -> Session | None:
        require_strings(app_name=app_name, user_id=user_id, session_id=session_id)
        query = None
        if config is not None and (
            config.num_recent_events is not None or config.after_timestamp is not None
        ):
            query = EventQuery(
                after_timestamp=config.after_timestamp, limit=config.num_recent_events
            )
        for candidate in id_candidates(session_id):
            if query is None and self._skip_compacted_events:
                session = await self._read_without_compacted(app_name, user_id, candidate)
                if session is not None:
                    return session
                continue
            snapshot = await self._read_session(app_name, user_id, candidate, query)
            if snapshot is not None:
                return await self._to_session_yielding(snapshot)
        return None

    async def _read_without_compacted(
        self, app_name: str, user_id: str, session_id: str
    ) -> Session | None:
        """The session with the compacted events ADK will not read left out (see compaction_view).

        By the events' views when the store keeps them and they are sure (see
        `_read_by_views`); else three reads at most: the flagged events
        (compactions among them), the session without the plain events of the
        skipped span, and, when the loaded events fail a check, the whole session.
        """
        config = self._events_compaction_config
        if self._view_store is not None and config is not None:
            decided, session = await self._read_by_views(
                self._view_store, config, app_name, user_id, session_id
            )
            if decided:
                return session
        flagged = await self._decode_yielding(
            await self._store.get_events(
                app_name=app_name, user_id=user_id, session_id=session_id, query=_FLAGGED_EVENTS
            )
        )
        span = skipped_span(flagged, config)
        if span is not None and config is not None:
            skipping = EventQuery(skip_plain_between=span)
            snapshot = await self._read_session(app_name, user_id, session_id, skipping)
            if snapshot is None:
                return None
            events = await self._decoded_reusing(snapshot.events, flagged)
            if is_faithful(events, span, config):
                return self._build_session(snapshot, events)
        return await self._read_whole_session(app_name, user_id, session_id)

    async def _read_whole_session(
        self, app_name: str, user_id: str, session_id: str
    ) -> Session | None:
        """Every event of the session (the fallback of the compacted reads)."""
        snapshot = await self._read_session(app_name, user_id, session_id)
        return None if snapshot is None else await self._to_session_yielding(snapshot)

    async def _read_by_views(
        self,
        store: StoreBase,
        config: EventsCompactionConfig,
        app_name: str,
        user_id: str,
        session_id: str,
    ) -> tuple[bool, Session | None]:
        """`_read_without_compacted` from the compaction index (no event decoded to
        find the span), then the session without the span's skippable events.

        Returns (False, None) when the views are unsure (an event written
        without one, or a rewind, branch or isolation scope): the caller reads
        as before. Else (True, the session or None).
        """
        limit = None if has_sliding_window(config) else NEWEST_COMPACTIONS
        index = await store.read_compaction_index(
            app_name=app_name, user_id=user_id, session_id=session_id, limit=limit
        )
        plan = None if index.unsure else span_from_index(index, config)
        if plan is None and not index.unsure:  # too few of the newest: all of them
            index = await store.read_compaction_index(
                app_name=app_name, user_id=user_id, session_id=session_id
            )
            plan = None if index.unsure else span_from_index(index, config)
        if index.unsure or plan is None:
            return False, None
        if isinstance(plan, SpanPlan):
            query = EventQuery(skip_between=plan.span, keep=plan.keep)
            snapshot = await self._read_session(app_name, user_id, session_id, query)
            if snapshot is None:
                return True, None
            events = await self._decode_yielding(snapshot.events)
            if is_faithful(events, plan.span, config):
                return True, self._build_session(snapshot, events)
        return True, await self._read_whole_session(app_name, user_id, session_id)

    def _read_session(
        self, app_name: str, user_id: str, session_id: str, events: EventQuery | None = None
    ) -> Awaitable[SessionSnapshot | None]:
        """The store's read of one session (``events``: which of its events), as this
        service's owner."""
        return self._store.read_session(
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            events=events,
            owner_id=self._owner_id,
        )

    @override
    async def list_sessions(
        self,
        *,
        app_name: str,
        user_id: str | None = None,
        page_size: int | None = None,
        page_token: str | None = None,
        newest_first: bool = False,
    ) -> ListSessionsResponse:
        """Lists an app's sessions (one user's unless ``user_id`` is None), without events.

        Called as ADK calls it, it returns every session, oldest update first.
        With any of the page arguments, it returns one page, a `ListSessionsPage`:
        sessions in creation order (oldest first, or newest first with
        ``newest_first``), at most ``page_size`` (default 100, at most 10,000),
        and ``next_page_token`` to pass back for the next page (None after the
        last). A session that exists for the whole paging is on exactly one
        page, whatever is created, appended to or deleted meanwhile (see
        ``docs/pages.md``).

        Raises:
            InvalidArgumentError: A page argument of the wrong type or range, or
                a page token that is not one of this listing's.
        """
        require_strings(app_name=app_name)
        if user_id is not None:
            require_strings(user_id=user_id)
        if page_size is not None or page_token is not None or newest_first is not False:
            return await self._list_session_page(
                app_name, user_id, page_size, page_token, newest_first
            )
        listing = await self._store.list_sessions(
            app_name=app_name, user_id=user_id, owner_id=self._owner_id
        )
        return ListSessionsResponse(sessions=await self._sessions_of(listing))

    async def _decoded_reusing(
        self, records: list[EventRecord], decoded: list[Event]
    ) -> list[Event]:
        """``records`` decoded, taking the events already in ``decoded`` (by id) as they are.

        The flagged events (the compactions' summaries among them, the costliest
        to decode) come back in the second read too; decoding them once halves
        the work. Event ids are unique within a session.
        """
        known = {event.id: event for event in decoded}
        unknown = [record for record in records if record.id not in known]
        fresh = {event.id: event for event in await self._decode_yielding(unknown)}
        # A damaged record skipped by `_decode_events` (skip_damaged_events) is in neither.
        return [
            event
            for record in records
            if (event := known.get(record.id) or fresh.get(record.id)) is not None
        ]

    @override
    async def delete_session(self, *, app_name: str, user_id: str, session_id: str) -> None:
        require_strings(app_name=app_name, user_id=user_id, session_id=session_id)
        for candidate in id_candidates(session_id):
            deleted = await self._store.delete_session(
                app_name=app_name, user_id=user_id, session_id=candidate, owner_id=self._owner_id
            )
            if deleted:
                return

    @override
    async def get_user_state(self, *, app_name: str, user_id: str) -> dict[str, Any]:
        require_strings(app_name=app_name, user_id=user_id)
        return await self._store.get_user_state(app_name=app_name, user_id=user_id)

    async def get_app_state(self, *, app_name: str) -> dict[str, Any]:
        """Returns the app-scoped state with bare keys (``{}`` when there is none)."""
        return await self._store.get_app_state(app_name=app_name)

    # --- events -------------------------------------------------------------------

    @override
    async def append_event(self, session: Session, event: Event) -> Event:
        if event.partial:
            return event
        self._apply_temp_state(session, event)
        event = self._trim_temp_delta_state(event)
        # Coerced once: the stored event and the state tables get the same values.
        delta = json_safe(event.actions.state_delta) if event.actions.state_delta else None
        record = encode_event(
            event,
            app_name=session.app_name,
            user_id=session.user_id,
            session_id=session.id,
            state_delta=delta,
        )
        # adk-sqlite's own stores also keep the event's view, in the same transaction.
        append: Callable[..., Awaitable[AppendResult]] = (
            self._store.append_event
            if self._view_store is None
            else functools.partial(self._view_store.append_event, view=event_view(event))
        )
        result = await append(
            event=record,
            delta=split_state_delta(delta),
            expected=_stale_check(session),
            owner_id=self._owner_id,
        )
        session.last_update_time = event.timestamp
        write_marker(session, result.revision)
        return self._commit_event_to_session(session, event)

    def _decode_events(self, records: list[EventRecord]) -> list[Event]:
        fast = self._fast_decoding
        if self._skip_damaged_events:
            return _decode_readable_events(records, event_decoder(fast=fast))
        return decode_events(records, fast=fast)

    def _to_session(self, snapshot: SessionSnapshot) -> Session:
        return self._build_session(snapshot, self._decode_events(snapshot.events))

    async def _to_session_yielding(self, snapshot: SessionSnapshot) -> Session:
        """`_to_session`, decoding a slice of events per turn of the event loop."""
        slice_sizes: list[int] = []
        events = await self._decode_yielding(snapshot.events, slice_sizes)
        return self._build_session(snapshot, events, slice_sizes)

    async def _decode_yielding(
        self, records: list[EventRecord], slice_sizes: list[int] | None = None
    ) -> list[Event]:
        """``records`` decoded a slice at a time, letting the event loop run other
        tasks between two slices.

        A slice is at most ``decode_slice`` events, and ends early once it has
        taken `adk_sqlite.codec.fast.slices.SLICE_SECONDS` (events with large
        tool responses); a read that fits in one slice takes no extra turn of the
        loop. The records are one consistent read already; decoding them in
        slices cannot mix two states of the session. ``records`` must be a list
        the store made for this read alone: it is emptied, and each record is
        released once decoded. ``slice_sizes``, when given, gets how many events
        each slice kept (the session is freed the same way when dropped).
        """
        size = self._decode_slice
        if size is None:
            return self._decode_events(records)
        decoder = event_decoder(fast=self._fast_decoding)
        decode: MaybeEventDecoder = _readable(decoder) if self._skip_damaged_events else decoder
        pending = collections.deque(records)
        records.clear()
        return await decoded_in_slices(pending, decode, most=size, slice_sizes=slice_sizes)

    def _build_session(
        self, snapshot: SessionSnapshot, events: list[Event], slice_sizes: Sequence[int] = ()
    ) -> Session:
        """The session of ``snapshot`` with ``events``. One read in more than one slice
        is freed a slice per turn when dropped: as it was decoded (``slice_sizes``),
        else at most ``decode_slice`` events and 0.5 ms per turn."""
        record = snapshot.session
        state = merged_state(record.state, snapshot.app_state, snapshot.user_state)
        session = session_builder(fast=self._fast_decoding)(record, state, events)
        size = self._decode_slice
        if size is not None and (len(session.events) > size or len(slice_sizes) > 1):
            free_events_later(session, session.events, size, slice_sizes)
        return session

    # --- ids ----------------------------------------------------------------------

    async def _id_for_new_session(self, app_name: str, user_id: str, session_id: str | None) -> str:
        if session_id and session_id != session_id.strip():
            # Rows migrated from DatabaseSessionService may keep a padded id
            # verbatim; creating over one must fail like any duplicate.
            existing = await self._read_session(app_name, user_id, session_id, _NO_EVENTS)
            if existing is not None:
                raise SessionAlreadyExistsError(f"Session with id {session_id} already exists.")
        stripped = (session_id or "").strip()
        return stripped or platform_uuid.new_uuid()


def _stale_check(session: Session) -> StaleCheck:
    # Our revision markers are plain decimal integers; anything else (a marker
    # set by another service on a copied Session) counts as no marker at all,
    # and then the newest event the object has seen must be the newest stored.
    marker = read_marker(session)
    if marker is not None and marker.isdecimal():
        return StaleCheck(revision=int(marker))
    return StaleCheck(last_event_id=session.events[-1].id if session.events else None)


def _decode_readable_events(
    records: list[EventRecord], decode: Callable[[EventRecord], Event]
) -> list[Event]:
    """The events that decode, in order; each one that does not is logged and left out."""
    readable = _readable(decode)
    with paused_gc():  # as in decode_events: every event kept is live
        decoded = [readable(record) for record in records]
    return [event for event in decoded if event is not None]


def _readable(decode: Callable[[EventRecord], Event]) -> MaybeEventDecoder:
    """``decode``, but an event that cannot be decoded is logged and left out (None).

    A separate decoder, so that the default read keeps its loop without a ``try``
    per event.
    """

    def readable(record: EventRecord) -> Event | None:
        try:
            return decode(record)
        except CorruptRecordError as exc:
            # The message, not the exception: a handler that keeps log records would
            # keep its traceback, and through its frames the whole read's events.
            _logger.warning(
                "left out damaged event %r of session %r (app %r, user %r): %s",
                record.id,
                record.session_id,
                record.app_name,
                record.user_id,
                str(exc),
            )
            return None

    return readable
