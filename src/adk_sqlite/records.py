"""The plain records that cross the store boundary.

A store takes and returns these msgspec Structs, never ADK's pydantic models, so
a third party can implement `adk_sqlite.BaseAsyncStore` without knowing ADK.
Times are Unix epoch seconds exactly as the caller gave them; how a backend
stores them (SQLite keeps a Julian-day column beside the exact value) is the
backend's business.
"""

from __future__ import annotations

import enum
from typing import Any

import msgspec

__all__ = [
    "AppendResult",
    "CompactionEntry",
    "CompactionIndex",
    "EventPage",
    "EventPageQuery",
    "EventPosition",
    "EventQuery",
    "EventRecord",
    "EventRole",
    "EventView",
    "SessionListing",
    "SessionPage",
    "SessionPageQuery",
    "SessionPosition",
    "SessionRecord",
    "SessionSnapshot",
    "StaleCheck",
    "StateDelta",
    "payload_length",
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


def payload_length(event: EventRecord) -> int:
    """The length of an event row's long columns (characters of JSON, bytes of the
    actions pickle): close to the bytes its append writes, without encoding anything."""
    return sum(
        len(value)
        for value in (
            event.actions,
            event.content,
            event.grounding_metadata,
            event.custom_metadata,
            event.usage_metadata,
            event.citation_metadata,
            event.input_transcription,
            event.output_transcription,
            event.error_message,
            event.extra,
        )
        if value is not None
    )


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

    The last two fields leave out more: every event of a span but a few named
    ones. A store that keeps `EventView` (adk-sqlite's own) serves them; any
    other store may ignore them too.

    Attributes:
        include_plain: False reads the flagged events only.
        skip_plain_between: ``(start, end)``: leave out the plain events with
            ``start <= timestamp < end``.
        skip_between: ``(start, end)``: leave out every event with ``start <=
            timestamp < end`` except those with the role `EventRole.NEEDED` or
            `EventRole.WHOLE_SESSION`, events written without a view (each
            read as today: flagged ones kept) and the compactions in ``keep``.
        keep: Append-order numbers (`CompactionEntry.seq`) of compaction events
            to read even inside ``skip_between``.
    """

    after_timestamp: float | None = None
    limit: int | None = None
    include_plain: bool = True
    skip_plain_between: tuple[float, float] | None = None
    skip_between: tuple[float, float] | None = None
    keep: tuple[int, ...] = ()


class EventRole(enum.IntEnum):
    """What a reader of a compacted session must do with an event (`EventView`).

    Stored as a small integer beside the event; NULL (an event written before
    schema version 5, or by a writer that did not say) means unknown.
    """

    SKIPPABLE = 0
    """Left out inside a compacted span: a plain event, or one whose only actions
    are a state or artifact delta (state is stored, not replayed)."""
    COMPACTION = 1
    """A compaction with a closed range and a summary (`EventView` holds the range)."""
    NEEDED = 2
    """Always read (long-running tool ids, a transfer, an auth or confirmation
    request, agent state...)."""
    WHOLE_SESSION = 3
    """Its presence makes the reader load the whole session (a rewind, a branch, an
    isolation scope, a compaction without a closed range or a summary)."""


class EventView(msgspec.Struct, frozen=True, kw_only=True):
    """What an append stores beside an event so that a reader of a compacted
    session can tell the event's role without decoding it.

    ``compaction_start`` and ``compaction_end`` are set for `EventRole.COMPACTION` only.
    """

    role: EventRole
    compaction_start: float | None = None
    compaction_end: float | None = None


class CompactionEntry(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """One compaction event of a session, as its `EventView` recorded it.

    ``timestamp`` and ``seq`` (its append-order number) are its place in the
    session; ``start`` and ``end`` its range.
    """

    timestamp: float
    seq: int
    start: float
    end: float


class CompactionIndex(msgspec.Struct, kw_only=True):
    """A session's compactions read from their views, without decoding an event.

    Attributes:
        unsure: The session holds an event whose role is unknown (written without
            a view) or `EventRole.WHOLE_SESSION`: the views cannot tell which
            events a reader may leave out, and the other fields are empty.
        first_start: The earliest start of any compaction range (None: none).
        last_end: The latest end of any compaction range.
        newest_first: Compactions, newest first (timestamp, then append order):
            all of them, or the newest ``limit`` asked for.
        complete: Whether ``newest_first`` holds every compaction.
    """

    unsure: bool = False
    first_start: float | None = None
    last_end: float | None = None
    newest_first: list[CompactionEntry] = msgspec.field(default_factory=list)
    complete: bool = True


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
