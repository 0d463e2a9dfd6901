"""The audit trail of tool calls: what each agent called, with what, and what came back.

A model's function call and the tool's response are separate events. They are
paired by the call id ADK gives every function call (within one session); a
response without an id is paired with the oldest unanswered call of the same
name. The duration is the time between the two events' timestamps, so it
covers the tool run plus ADK's own work around it.

A call counts as an **error** when its response is a dict with an ``"error"``
key (ADK's convention, also used for calls to unknown tools) or when the
response event carries an ``error_code``. A call with no response yet (still
running, long-running, or the run crashed) is reported as ``"no_response"``.

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
from collections import defaultdict
from typing import Any, Literal

import msgspec

from adk_sqlite.codec.content import MessageContent, decode_content
from adk_sqlite.sqlite.database_file import read_snapshot
from adk_sqlite.timestamps import Instant, instant_from_unix

__all__ = ["ToolAudit", "ToolCallRecord", "ToolStats", "audit_tool_calls", "percentile"]

# The LIKE filters skip plain-text events cheaply; the JSON is parsed afterwards.
# ORDER BY follows the events index (session_key, timestamp_unix, seq), so
# SQLite walks it without sorting and each session's events arrive together.
# A template: each call fills in the file's events table (`TableSet.render`).
SELECT_TOOL_EVENTS = """
SELECT session_key, app_name, user_id, session_id, id, timestamp_unix, content, error_code,
       error_message
FROM "{events}"
WHERE (content LIKE '%"function_call"%' OR content LIKE '%"function_response"%')
  AND (?1 IS NULL OR session_id = ?1) AND (?2 IS NULL OR app_name = ?2)
ORDER BY session_key, timestamp_unix, seq"""

CallStatus = Literal["ok", "error", "no_response"]


class ToolCallRecord(msgspec.Struct, kw_only=True):
    """One tool call and its outcome.

    Attributes:
        call_id: The function call's id (None if the model gave none and ADK
            did not assign one).
        response: What the tool returned, or None without a response.
        duration_seconds: From the call event to the response event.
        status: ``"ok"``, ``"error"`` or ``"no_response"``.
        error: The error text when ``status`` is ``"error"``.
    """

    app_name: str
    user_id: str
    session_id: str
    call_id: str | None
    tool: str
    args: dict[str, Any]
    called_at: Instant
    call_event_id: str
    response: dict[str, Any] | None = None
    responded_at: Instant | None = None
    response_event_id: str | None = None
    duration_seconds: float | None = None
    status: CallStatus = "no_response"
    error: str | None = None


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


class ToolAudit(msgspec.Struct, kw_only=True):
    """Tool calls, oldest first, and per-tool figures (most called first).

    ``tools`` always covers every call that matched the session and tool
    filters; ``errors_only`` narrows ``calls`` alone, so error rates stay true.
    """

    calls: list[ToolCallRecord]
    tools: list[ToolStats]


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
        sql = db.tables.render(SELECT_TOOL_EVENTS)
        rows = db.connection.execute(sql, (session_id, app_name)).fetchall()
    calls = _pair_calls(rows)
    if tool is not None:
        calls = [call for call in calls if call.tool == tool]
    calls.sort(key=lambda call: call.called_at.unix)
    return ToolAudit(
        calls=[call for call in calls if call.status == "error"] if errors_only else calls,
        tools=_tool_stats(calls),
    )


def _pair_calls(rows: list[tuple[Any, ...]]) -> list[ToolCallRecord]:
    calls: list[ToolCallRecord] = []
    session_key: int | None = None
    by_id: dict[str, ToolCallRecord] = {}
    without_id: dict[str, list[ToolCallRecord]] = defaultdict(list)
    for key, app, user, sid, event_id, timestamp, content_json, code, message in rows:
        if key != session_key:
            session_key = key
            by_id, without_id = {}, defaultdict(list)
        content = decode_content(content_json, event_id=event_id)
        if content is None:
            continue
        for call in _calls_in(content, (app, user, sid), event_id, timestamp):
            calls.append(call)
            if call.call_id is None:
                without_id[call.tool].append(call)
            else:
                by_id[call.call_id] = call
        for part in content.parts:
            response = part.function_response
            if response is None:
                continue
            name = response.name or "?"
            if response.id is not None:
                match = by_id.pop(response.id, None)
            else:
                waiting = without_id.get(name)
                match = waiting.pop(0) if waiting else None
            if match is not None:
                _answer(match, response.response or {}, event_id, timestamp, code, message)
    return calls


def _calls_in(
    content: MessageContent, session: tuple[str, str, str], event_id: str, timestamp: float
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
    call.responded_at = instant_from_unix(timestamp)
    call.response_event_id = event_id
    call.duration_seconds = timestamp - call.called_at.unix
    if "error" in response:
        call.status, call.error = "error", _error_text(response["error"])
    elif code is not None:
        call.status, call.error = "error", f"{code}: {message}" if message else code
    else:
        call.status = "ok"


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
