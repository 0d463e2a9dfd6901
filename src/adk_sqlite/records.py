"""The plain records that cross the store boundary.

A store takes and returns these msgspec Structs, never ADK's pydantic models, so
a third party can implement `adk_sqlite.BaseAsyncStore` without knowing ADK.
Times are Unix epoch seconds exactly as the caller gave them; how a backend
stores them (SQLite keeps a Julian-day column beside the exact value) is the
backend's business.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "AppendResult",
    "EventPage",
    "EventPageQuery",
    "EventPosition",
    "EventQuery",
    "EventRecord",
    "SessionListing",
    "SessionPage",
    "SessionPageQuery",
    "SessionPosition",
    "SessionRecord",
    "SessionSnapshot",
    "StaleCheck",
    "StateDelta",
]


class SessionRecord(msgspec.Struct, kw_only=True):
    """One row of the sessions table, with its own (unprefixed) state.

    Attributes:
        revision: Bumped by every append; the exact stale-writer check compares it.
        owner_id: The value of the store's optional owner column, else None.
    """

    app_name: str
    user_id: str
    id: str
    state: dict[str, Any]
    create_time: float
    update_time: float
    revision: int = 0
    owner_id: Any = None


class EventRecord(msgspec.Struct, gc=False):
    """One row of the events table, already encoded by the event codec.

    JSON columns hold JSON text; ``actions`` holds a pickled ``EventActions``;
    ``extra`` holds, as a JSON object, every event field without a column of its
    own, so fields ADK adds later round-trip without a schema change.
    """

    id: str
    app_name: str
    user_id: str
    session_id: str
    invocation_id: str
    author: str
    timestamp: float
    actions: bytes | None = None
    long_running_tool_ids_json: str | None = None
    branch: str | None = None
    content: str | None = None
    grounding_metadata: str | None = None
    custom_metadata: str | None = None
    usage_metadata: str | None = None
    citation_metadata: str | None = None
    input_transcription: str | None = None
    output_transcription: str | None = None
    partial: bool | None = None
    turn_complete: bool | None = None
    interrupted: bool | None = None
    error_code: str | None = None
    error_message: str | None = None
    extra: str | None = None


class StateDelta(msgspec.Struct, kw_only=True):
    """A state change split by scope, keys without their ``app:``/``user:`` prefix."""

    app: dict[str, Any] = msgspec.field(default_factory=dict)
    user: dict[str, Any] = msgspec.field(default_factory=dict)
    session: dict[str, Any] = msgspec.field(default_factory=dict)


class StaleCheck(msgspec.Struct, kw_only=True):
    """What the writer believes the stored session looks like.

    Exactly one rule applies: with ``revision`` set, the stored revision must be
    equal to it; without one (a hand-built session), the newest stored event
    id must equal ``last_event_id`` (None meaning "no events yet").
    """

    revision: int | None = None
    last_event_id: str | None = None


class EventQuery(msgspec.Struct, kw_only=True):
    """Which events to read: ``timestamp >= after_timestamp``, newest ``limit``.

    Events always come back oldest first, ties in append order.

    The last two fields let a reader leave out *plain* events: those whose
    ``actions`` and ``branch`` are NULL, whose ``long_running_tool_ids_json`` is
    NULL or ``[]`` and whose ``extra`` holds no ``isolation_scope`` (every other
    event is *flagged*). They only ever make a read smaller, so a store may
    ignore them and return the plain events too: a reader must accept that
    (`adk_sqlite.SessionService`'s ``skip_compacted_events`` does).

    Attributes:
        include_plain: False reads the flagged events only.
        skip_plain_between: ``(start, end)``: leave out the plain events with
            ``start <= timestamp < end``.
    """

    after_timestamp: float | None = None
    limit: int | None = None
    include_plain: bool = True
    skip_plain_between: tuple[float, float] | None = None


class SessionSnapshot(msgspec.Struct, kw_only=True):
    """A session as one consistent read: its row, the scoped states, its events."""

    session: SessionRecord
    app_state: dict[str, Any]
    user_state: dict[str, Any]
    events: list[EventRecord] = msgspec.field(default_factory=list)


class SessionListing(msgspec.Struct, kw_only=True):
    """Sessions of one app, oldest update first, with the states to merge into them."""

    sessions: list[SessionRecord]
    app_state: dict[str, Any]
    user_states: dict[str, dict[str, Any]]


class AppendResult(msgspec.Struct, kw_only=True):
    """What an append changed: the session's new revision and update time."""

    revision: int
    update_time: float


class SessionPosition(msgspec.Struct, frozen=True, array_like=True):
    """Where a page of sessions ends: a session's place in creation order.

    Sessions page in (create time, user id, session id) order, which no append
    changes; the position of the last session of a page is where the next starts.
    """

    create_time: float
    user_id: str
    id: str


class SessionPageQuery(msgspec.Struct, kw_only=True):
    """Which page of a listing to read: at most ``limit`` sessions after ``after``.

    ``after=None`` starts at the oldest session (the newest with ``newest_first``).
    """

    limit: int
    newest_first: bool = False
    after: SessionPosition | None = None


class SessionPage(SessionListing, kw_only=True):
    """One page of sessions in creation order, with the states to merge into them.

    ``user_states`` holds the users of this page only. ``has_more`` says whether
    a session follows the last one of the page.
    """

    has_more: bool = False


class EventPosition(msgspec.Struct, frozen=True, array_like=True):
    """Where a page of events ends: an event's timestamp and its append-order number."""

    timestamp: float
    seq: int


class EventPageQuery(msgspec.Struct, kw_only=True):
    """Which page of a session's events to read: at most ``limit`` after ``after``.

    Oldest first (timestamp, ties in append order) unless ``newest_first``.
    """

    limit: int
    newest_first: bool = False
    after: EventPosition | None = None


class EventPage(msgspec.Struct, kw_only=True):
    """One page of a session's events, in the query's order.

    ``next`` is the position to read the next page after, or None at the end.
    """

    events: list[EventRecord]
    next: EventPosition | None = None
