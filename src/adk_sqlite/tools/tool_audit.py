"""The audit trail of tool calls: what each agent called, with what, and what came back.

A model's function call and the tool's response are separate events. They are
paired by the call id ADK gives every function call (within one session); a
response without an id is paired with the oldest unanswered call of the same
name. The duration is the time between the two events' timestamps, so it
covers the tool run plus ADK's own work around it.

A call counts as an **error** when its response is a dict with an ``"error"``
key (ADK's convention, also used for calls to unknown tools), when the
response event carries an ``error_code``, or when **the tool raised**. ADK
(2.13, ``workflow/_node_runner.py``) records a raised exception as an event of
the same invocation with no content and no function response: ``error_code``
is the exception's ``status`` if it has a string one, else its class name
(``RuntimeError``), and ``error_message`` is ``str(exception)``. Such an event
fails the calls of its invocation's latest function-call event that are still
unanswered (it names no call id, so a batch of parallel calls fails together),
with ``error_code``/``error_message`` set and ``response`` None. A call with no
response and no such error (still running, long-running, or the process died)
is reported as ``"no_response"``.

Percentiles use linear interpolation between the two nearest durations (the
default of numpy and of ``statistics.quantiles(method="inclusive")``). Like
the other inspection functions, `audit_tool_calls` opens the file read-only and
is synchronous::

    from adk_sqlite import audit_tool_calls

    audit = audit_tool_calls("sessions.db", tool="lookup_order")
    for stats in audit.tools:
        print(stats.tool, stats.calls, stats.error_rate, stats.p95_seconds)
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections import defaultdict
from typing import Any, Literal

import msgspec

from adk_sqlite.codec.content import FunctionResponsePart, MessageContent, decode_content
from adk_sqlite.sqlite.database_file import TableSet, read_snapshot
from adk_sqlite.timestamps import Instant, instant_from_unix

__all__ = [
    "ToolAudit",
    "ToolCallRecord",
    "ToolCallTotals",
    "ToolStats",
    "audit_of",
    "audit_tool_calls",
    "percentile",
    "tool_call_totals",
    "tool_calls_in",
]

# The LIKE filters skip plain-text events cheaply; the JSON is parsed afterwards.
# ORDER BY follows the events index (session_key, timestamp_unix, seq), so
# SQLite walks it without sorting and each session's events arrive together.
# A template: each call fills in the file's events table (`TableSet.render`).
SELECT_TOOL_EVENTS = """
SELECT session_key, app_name, user_id, session_id, id, invocation_id, timestamp_unix, content,
       error_code, error_message
FROM "{events}"
WHERE (content LIKE '%"function_call"%' OR content LIKE '%"function_response"%'
       OR error_code IS NOT NULL)
  AND (?1 IS NULL OR session_id = ?1) AND (?2 IS NULL OR app_name = ?2)
ORDER BY session_key, timestamp_unix, seq"""

CallStatus = Literal["ok", "error", "no_response"]


class ToolCallRecord(msgspec.Struct, kw_only=True):
    """One tool call and its outcome.

    Attributes:
        call_id: The function call's id (None if the model gave none and ADK
            did not assign one).
        invocation_id: The invocation the call was made in.
        response: What the tool returned, or None without a response (and
            when the tool raised).
        responded_at: When the response (or the error event of a tool that
            raised) was recorded.
        response_event_id: That event's id.
        duration_seconds: From the call event to the response (or error) event.
        status: ``"ok"``, ``"error"`` or ``"no_response"``.
        error: The error text when ``status`` is ``"error"``: the response's
            ``"error"`` value, else ``"CODE: message"``.
        error_code: The event's ``error_code``, when an event carried one (the
            exception's class name for a tool that raised).
        error_message: The event's ``error_message``.
    """

    app_name: str
    user_id: str
    session_id: str
    call_id: str | None
    tool: str
    args: dict[str, Any]
    called_at: Instant
    call_event_id: str
    invocation_id: str | None = None
    response: dict[str, Any] | None = None
    responded_at: Instant | None = None
    response_event_id: str | None = None
    duration_seconds: float | None = None
    status: CallStatus = "no_response"
    error: str | None = None
    error_code: str | None = None
    error_message: str | None = None


class ToolStats(msgspec.Struct, kw_only=True):
    """Figures for one tool.

    Attributes:
        error_rate: ``errors / calls`` (0.0 to 1.0).
        p50_seconds: Median duration of answered calls; None if none answered.
        p95_seconds: 95th percentile duration of answered calls.
    """

    tool: str
    calls: int
    errors: int
    no_response: int
    error_rate: float
    p50_seconds: float | None
    p95_seconds: float | None


class ToolCallTotals(msgspec.Struct, kw_only=True):
    """Tool calls in all, failed ones (a tool that raised included), unanswered ones."""

    calls: int = 0
    errors: int = 0
    no_response: int = 0


class ToolAudit(msgspec.Struct, kw_only=True):
    """Tool calls, oldest first, and per-tool figures (most called first).

    ``tools`` always covers every call that matched the session and tool
    filters; ``errors_only`` narrows ``calls`` alone, so error rates stay true.
    """

    calls: list[ToolCallRecord]
    tools: list[ToolStats]


def audit_of(
    calls: list[ToolCallRecord], *, tool: str | None = None, errors_only: bool = False
) -> ToolAudit:
    """The audit of paired calls (from one file or several): oldest first, per-tool figures."""
    if tool is not None:
        calls = [call for call in calls if call.tool == tool]
    calls = sorted(calls, key=lambda call: call.called_at.unix)
    return ToolAudit(
        calls=[call for call in calls if call.status == "error"] if errors_only else calls,
        tools=_tool_stats(calls),
    )


def audit_tool_calls(
    database: str | os.PathLike[str],
    *,
    session_id: str | None = None,
    app_name: str | None = None,
    tool: str | None = None,
    errors_only: bool = False,
    busy_timeout: float = 5.0,
    table_set: str | None = None,
) -> ToolAudit:
    """Pairs every function call with its response, across all sessions.

    Args:
        database: The database file (or a ``sqlite:///`` URL).
        session_id: Only calls made in sessions with this id.
        app_name: Only calls made in this app's sessions.
        tool: Only calls of this tool.
        errors_only: List only the calls that failed.
        busy_timeout: Seconds to wait for a lock held by another connection.
        table_set: For a file of several stores' tables, the sessions table of
            the one to audit.

    Raises:
        DatabaseUnavailableError: The file is missing or not a database.
        SchemaError: It is not an adk-sqlite database.
        CorruptRecordError: An event's content is not valid message JSON.
    """
    with read_snapshot(database, busy_timeout=busy_timeout, table_set=table_set) as db:
        calls = tool_calls_in(db.connection, db.tables, session_id=session_id, app_name=app_name)
    return audit_of(calls, tool=tool, errors_only=errors_only)


def tool_calls_in(
    connection: sqlite3.Connection,
    tables: TableSet,
    *,
    session_id: str | None = None,
    app_name: str | None = None,
) -> list[ToolCallRecord]:
    """Every tool call of one table set, paired with its outcome, session by session."""
    sql = tables.render(SELECT_TOOL_EVENTS)
    return _pair_calls(connection.execute(sql, (session_id, app_name)).fetchall())


def tool_call_totals(calls: list[ToolCallRecord]) -> ToolCallTotals:
    """How many calls there are, how many failed, how many got no response."""
    return ToolCallTotals(
        calls=len(calls),
        errors=sum(call.status == "error" for call in calls),
        no_response=sum(call.status == "no_response" for call in calls),
    )


def _pair_calls(rows: list[tuple[Any, ...]]) -> list[ToolCallRecord]:
    calls: list[ToolCallRecord] = []
    session_key: int | None = None
    pairing = _Pairing()
    for key, app, user, sid, event_id, invocation, timestamp, content_json, code, message in rows:
        if key != session_key:
            session_key, pairing = key, _Pairing()
        content = decode_content(content_json, event_id=event_id)
        made = (
            []
            if content is None
            else _calls_in(content, (app, user, sid), invocation, event_id, timestamp)
        )
        answered = False
        for part in [] if content is None else content.parts:
            if part.function_response is not None:
                answered = True
                match = pairing.match(part.function_response)
                if match is not None:
                    response = part.function_response.response or {}
                    _answer(match, response, event_id, timestamp, code, message)
        if made:
            calls += made
            pairing.add(invocation, made)
        elif code is not None and not answered:
            # What ADK writes when a tool raises: the invocation's waiting calls failed.
            for call in pairing.pending.pop(invocation, []):
                if call.status == "no_response":
                    _fail(call, event_id, timestamp, code, message)
    return calls


class _Pairing:
    """One session's calls awaiting a response: by call id, by name, per invocation."""

    def __init__(self) -> None:
        self.by_id: dict[str, ToolCallRecord] = {}
        self.without_id: dict[str, list[ToolCallRecord]] = defaultdict(list)
        self.pending: dict[str, list[ToolCallRecord]] = {}

    def add(self, invocation: str, calls: list[ToolCallRecord]) -> None:
        for call in calls:
            if call.call_id is None:
                self.without_id[call.tool].append(call)
            else:
                self.by_id[call.call_id] = call
        self.pending[invocation] = list(calls)

    def match(self, response: FunctionResponsePart) -> ToolCallRecord | None:
        if response.id is not None:
            return self.by_id.pop(response.id, None)
        waiting = self.without_id.get(response.name or "?")
        return waiting.pop(0) if waiting else None


def _calls_in(
    content: MessageContent,
    session: tuple[str, str, str],
    invocation: str,
    event_id: str,
    timestamp: float,
) -> list[ToolCallRecord]:
    app, user, sid = session
    return [
        ToolCallRecord(
            app_name=app,
            user_id=user,
            session_id=sid,
            call_id=part.function_call.id,
            tool=part.function_call.name or "?",
            args=part.function_call.args or {},
            called_at=instant_from_unix(timestamp),
            call_event_id=event_id,
            invocation_id=invocation,
        )
        for part in content.parts
        if part.function_call is not None
    ]


def _answer(
    call: ToolCallRecord,
    response: dict[str, Any],
    event_id: str,
    timestamp: float,
    code: str | None,
    message: str | None,
) -> None:
    call.response = response
    _responded(call, event_id, timestamp)
    call.error_code, call.error_message = code, message
    if "error" in response:
        call.status, call.error = "error", _error_text(response["error"])
    elif code is not None:
        call.status, call.error = "error", _code_text(code, message)
    else:
        call.status = "ok"


def _fail(
    call: ToolCallRecord, event_id: str, timestamp: float, code: str, message: str | None
) -> None:
    _responded(call, event_id, timestamp)
    call.status, call.error = "error", _code_text(code, message)
    call.error_code, call.error_message = code, message


def _responded(call: ToolCallRecord, event_id: str, timestamp: float) -> None:
    call.responded_at = instant_from_unix(timestamp)
    call.response_event_id = event_id
    call.duration_seconds = timestamp - call.called_at.unix


def _code_text(code: str, message: str | None) -> str:
    return f"{code}: {message}" if message else code


def _error_text(error: Any) -> str:
    return error if isinstance(error, str) else msgspec.json.encode(error).decode()


def _tool_stats(calls: list[ToolCallRecord]) -> list[ToolStats]:
    by_tool: dict[str, list[ToolCallRecord]] = defaultdict(list)
    for call in calls:
        by_tool[call.tool].append(call)
    stats = []
    for name, tool_calls in by_tool.items():
        durations = sorted(c.duration_seconds for c in tool_calls if c.duration_seconds is not None)
        errors = sum(c.status == "error" for c in tool_calls)
        stats.append(
            ToolStats(
                tool=name,
                calls=len(tool_calls),
                errors=errors,
                no_response=sum(c.status == "no_response" for c in tool_calls),
                error_rate=errors / len(tool_calls),
                p50_seconds=percentile(durations, 0.50),
                p95_seconds=percentile(durations, 0.95),
            )
        )
    stats.sort(key=lambda s: (-s.calls, s.tool))
    return stats


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """The ``fraction`` quantile of sorted values, interpolating linearly; None if empty."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    weight = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * weight
