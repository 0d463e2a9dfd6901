"""One session as a readable timeline: who said what, which tools ran, what changed.

`read_timeline` opens the file read-only with a connection of its own, so it is
safe while agents write to it. It is synchronous; from async code, call it
through `asyncio.to_thread`::

    from adk_sqlite import read_timeline

    timeline = read_timeline("sessions.db", "ticket-42", app_name="support")
    for event in timeline.events:
        print(event.time.iso, event.author, event.texts, event.tool_calls)

An event whose ``content`` JSON is invalid, or whose actions blob the
restricted unpickler refuses, is still listed, with ``problem`` saying why
part of it could not be shown: one bad row does not hide a conversation.
"""

from __future__ import annotations

import os
from typing import Any

import msgspec

from adk_sqlite.codec.content import MessageContent, decode_content, describe_other_part
from adk_sqlite.codec.state import decode_state, merged_state
from adk_sqlite.errors import AmbiguousSessionError, CorruptRecordError, SessionNotFoundError
from adk_sqlite.sqlite.database_file import read_snapshot
from adk_sqlite.timestamps import Instant, instant_from_unix

__all__ = [
    "EventError",
    "Timeline",
    "TimelineEvent",
    "ToolCall",
    "ToolResult",
    "read_timeline",
]

# Templates: each call fills in the file's table names (`TableSet.render`).
FIND_SESSION = """
SELECT app_name, user_id, id, state, create_time_unix, update_time_unix, session_key
FROM "{sessions}"
WHERE id = ?1 AND (?2 IS NULL OR app_name = ?2) AND (?3 IS NULL OR user_id = ?3)
ORDER BY app_name, user_id"""
SELECT_APP_STATE = 'SELECT state FROM "{app_states}" WHERE app_name = ?'
SELECT_USER_STATE = 'SELECT state FROM "{user_states}" WHERE app_name = ? AND user_id = ?'
SELECT_TIMELINE_EVENTS = """
SELECT seq, id, invocation_id, author, branch, timestamp_unix, content, actions,
       error_code, error_message
FROM "{events}" WHERE session_key = ? ORDER BY timestamp_unix, seq"""


class ToolCall(msgspec.Struct, kw_only=True):
    """A function call the model asked for."""

    id: str | None
    name: str | None
    args: dict[str, Any]


class ToolResult(msgspec.Struct, kw_only=True):
    """What a tool returned (``response``), matched to its call by ``id``."""

    id: str | None
    name: str | None
    response: dict[str, Any]


class EventError(msgspec.Struct, kw_only=True):
    """The error code and message an event carries (e.g. a model failure)."""

    code: str | None
    message: str | None


class TimelineEvent(msgspec.Struct):
    """One event of a timeline.

    Attributes:
        seq: The event's append sequence number (the events table's ``seq``).
        texts: Text parts, in order, untruncated.
        thoughts: Text parts the model marked as thoughts.
        other_parts: One-line descriptions of other parts (inline data, files, code).
        state_delta: The state keys the event changed, with prefixes.
        transfer_to_agent: The agent control was handed to, if any.
        escalate: Whether the event escalated to the parent agent.
        artifacts: The artifacts the event saved (its actions' ``artifact_delta``):
            file name to version, the names exactly as the tool gave them.
        problem: Why part of the event could not be read, else None.
    """

    seq: int
    id: str
    invocation_id: str
    author: str
    branch: str | None
    time: Instant
    texts: list[str] = msgspec.field(default_factory=list)
    thoughts: list[str] = msgspec.field(default_factory=list)
    tool_calls: list[ToolCall] = msgspec.field(default_factory=list)
    tool_results: list[ToolResult] = msgspec.field(default_factory=list)
    other_parts: list[str] = msgspec.field(default_factory=list)
    error: EventError | None = None
    state_delta: dict[str, Any] = msgspec.field(default_factory=dict)
    transfer_to_agent: str | None = None
    escalate: bool = False
    artifacts: dict[str, int] = msgspec.field(default_factory=dict)
    problem: str | None = None


class Timeline(msgspec.Struct, kw_only=True):
    """A session and its events, oldest first.

    Attributes:
        state: The session's current state as ADK shows it: its own keys plus
            ``app:`` and ``user:`` keys.
    """

    app_name: str
    user_id: str
    id: str
    created: Instant
    last_update: Instant
    state: dict[str, Any]
    events: list[TimelineEvent]


def read_timeline(
    database: str | os.PathLike[str],
    session_id: str,
    *,
    app_name: str | None = None,
    user_id: str | None = None,
    busy_timeout: float = 5.0,
    table_set: str | None = None,
) -> Timeline:
    """Reads one session as a timeline.

    An event whose content or actions cannot be read is still listed, with
    ``problem`` saying why.

    Args:
        database: The database file (or a ``sqlite:///`` URL).
        session_id: The session's id.
        app_name: Its app; needed only when the id exists in several apps.
        user_id: Its user; needed only when the id exists for several users.
        busy_timeout: Seconds to wait for a lock held by another connection.
        table_set: For a file of several stores' tables, the sessions table of
            the one to read.

    Raises:
        SessionNotFoundError: No such session.
        AmbiguousSessionError: The id names sessions of several apps or users.
        DatabaseUnavailableError: The file is missing or not a database.
        SchemaError: It is not an adk-sqlite database.
    """
    with read_snapshot(database, busy_timeout=busy_timeout, table_set=table_set) as db:
        connection, render = db.connection, db.tables.render
        matches = connection.execute(
            render(FIND_SESSION), (session_id, app_name, user_id)
        ).fetchall()
        if not matches:
            raise SessionNotFoundError(
                f"{db.path}: no session {_describe(session_id, app_name, user_id)}"
            )
        if len(matches) > 1:
            owners = ", ".join(f"--app {row[0]!r} --user {row[1]!r}" for row in matches)
            raise AmbiguousSessionError(
                f"{db.path}: session id {session_id!r} exists more than once; choose one"
                f" with {owners}"
            )
        app, user, sid, state_json, created, updated, session_key = matches[0]
        app_row = connection.execute(render(SELECT_APP_STATE), (app,)).fetchone()
        user_row = connection.execute(render(SELECT_USER_STATE), (app, user)).fetchone()
        rows = connection.execute(render(SELECT_TIMELINE_EVENTS), (session_key,)).fetchall()
    state = merged_state(
        decode_state(state_json, what=f"session {sid!r} state"),
        {} if app_row is None else decode_state(app_row[0], what=f"app {app!r} state"),
        {} if user_row is None else decode_state(user_row[0], what=f"user {user!r} state"),
    )
    return Timeline(
        app_name=app,
        user_id=user,
        id=sid,
        created=instant_from_unix(created),
        last_update=instant_from_unix(updated),
        state=state,
        events=[_timeline_event(row) for row in rows],
    )


def _describe(session_id: str, app_name: str | None, user_id: str | None) -> str:
    where = [f"app {app_name!r}"] if app_name is not None else []
    if user_id is not None:
        where.append(f"user {user_id!r}")
    return f"{session_id!r}" + (f" for {' and '.join(where)}" if where else "")


def _timeline_event(row: tuple[Any, ...]) -> TimelineEvent:
    seq, event_id, invocation_id, author, branch, timestamp, content, actions, code, message = row
    # The event's first six fields, in their order: the row's first six columns.
    event = TimelineEvent(
        seq, event_id, invocation_id, author, branch, instant_from_unix(timestamp)
    )
    if code is not None or message is not None:
        event.error = EventError(code=code, message=message)
    problems = []
    try:
        _add_content(event, decode_content(content, event_id=event_id))
    except CorruptRecordError as exc:
        problems.append(str(exc))
    if actions is not None:
        # Loading actions imports ADK's event models: only for a timeline that has any.
        from adk_sqlite.codec.actions_pickle import UnsafePickleError, loads_actions

        try:
            loaded = loads_actions(actions)
        except UnsafePickleError as exc:
            problems.append(f"actions refused, nothing in them was run: {exc}")
        else:
            event.state_delta = dict(loaded.state_delta)
            event.transfer_to_agent = loaded.transfer_to_agent
            event.escalate = bool(loaded.escalate)
            event.artifacts = dict(loaded.artifact_delta)
    event.problem = "; ".join(problems) or None
    return event


def _add_content(event: TimelineEvent, content: MessageContent | None) -> None:
    if content is None:
        return
    for part in content.parts:
        if part.function_call is not None:
            call = part.function_call
            event.tool_calls.append(ToolCall(id=call.id, name=call.name, args=call.args or {}))
        elif part.function_response is not None:
            response = part.function_response
            event.tool_results.append(
                ToolResult(id=response.id, name=response.name, response=response.response or {})
            )
        elif part.text is not None:
            (event.thoughts if part.thought else event.texts).append(part.text)
        else:
            description = describe_other_part(part)
            if description is not None:
                event.other_parts.append(description)
