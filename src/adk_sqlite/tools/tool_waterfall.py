"""The tool calls of one session's timeline, paired with their answers, for a waterfall.

Pairing follows `adk_sqlite.tools.tool_audit`: by the call id ADK gives every
function call, else with the oldest unanswered call of the same name. A call
is an error when its response holds an ``"error"`` key or its response event
carries an error code. A call left unanswered whose invocation then recorded
an error event (what google-adk 2.13 writes when a tool raises) is an error
too, with that event's code and message; one with neither stays
``"no_response"``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import msgspec

from adk_sqlite.tools.timeline import TimelineEvent

__all__ = ["ToolSpan", "tool_spans"]


class ToolSpan(msgspec.Struct, kw_only=True):
    """One tool call, from the event that asked for it to the one that answered.

    Attributes:
        start: The call event's time (Unix seconds).
        end: The answering event's time, None without an answer.
        status: ``"ok"``, ``"error"`` or ``"no_response"``.
    """

    name: str
    call_id: str | None
    args: dict[str, Any]
    invocation_id: str
    author: str
    call_seq: int
    start: float
    end: float | None = None
    answer_seq: int | None = None
    status: str = "no_response"
    error: str | None = None

    @property
    def duration(self) -> float | None:
        """Seconds from the call to its answer."""
        return None if self.end is None else self.end - self.start

    def as_data(self) -> dict[str, Any]:
        """The span as plain JSON-ready values."""
        data = msgspec.structs.asdict(self)
        data["duration"] = self.duration
        return data


def tool_spans(events: Sequence[TimelineEvent]) -> list[ToolSpan]:
    """Pairs the tool calls of a session's events (oldest first) with their answers."""
    spans: list[ToolSpan] = []
    by_id: dict[str, ToolSpan] = {}
    without_id: dict[str, list[ToolSpan]] = defaultdict(list)
    for event in events:
        for call in event.tool_calls:
            span = ToolSpan(
                name=call.name or "?",
                call_id=call.id,
                args=call.args,
                invocation_id=event.invocation_id,
                author=event.author,
                call_seq=event.seq,
                start=event.time.unix,
            )
            spans.append(span)
            if call.id is None:
                without_id[span.name].append(span)
            else:
                by_id[call.id] = span
        for result in event.tool_results:
            if result.id is not None:
                match = by_id.pop(result.id, None)
            else:
                waiting = without_id.get(result.name or "?")
                match = waiting.pop(0) if waiting else None
            if match is not None:
                _answer(match, event, result.response)
        if event.error is not None and not event.tool_results:
            _fail_unanswered(spans, event)
    return spans


def _answer(span: ToolSpan, event: TimelineEvent, response: dict[str, Any]) -> None:
    span.end, span.answer_seq, span.status = event.time.unix, event.seq, "ok"
    if "error" in response:
        error = response["error"]
        span.status = "error"
        span.error = error if isinstance(error, str) else msgspec.json.encode(error).decode()
    elif event.error is not None:
        span.status, span.error = "error", _error_text(event)


def _fail_unanswered(spans: list[ToolSpan], event: TimelineEvent) -> None:
    for span in reversed(spans):
        if span.invocation_id != event.invocation_id:
            break
        if span.status == "no_response":
            span.end, span.answer_seq = event.time.unix, event.seq
            span.status, span.error = "error", _error_text(event)


def _error_text(event: TimelineEvent) -> str:
    assert event.error is not None
    code, message = event.error.code, event.error.message
    return ": ".join(part for part in (code, message) if part) or "error"
