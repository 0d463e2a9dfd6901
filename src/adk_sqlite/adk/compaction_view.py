"""Which events of a compacted session ADK still reads: the rule of ``skip_compacted_events``.

ADK (2.13) never deletes what a compaction summarises. Each turn it loads the
whole session, and then:

* the request builder (``flows/llm_flows/context``) drops every raw event whose
  timestamp lies inside a compaction's range and puts the summaries in their place;
* the sliding-window compactor (``apps/compaction.py``) finds the invocations newer
  than the last compaction's end, and summarises them together with the
  ``overlap_size`` invocations before them, so it re-reads raw events that an
  older compaction already covers;
* the token-threshold compactor reads the raw events after the latest
  compaction's end, and the latest summary;
* the runner and the compactors match function responses to calls, resume
  long-running calls, follow rewinds, branches and isolation scopes.

**The rule.** Call an event *flagged* when it carries anything beyond plain
conversation: actions (a compaction, a rewind, a state change...), a branch,
long-running tool ids, or an isolation scope (`adk_sqlite.records.EventQuery`
defines it in storage terms). Every flagged event is always loaded. Plain events
are left out only inside one span of timestamps, ``[run start, cut)``, where

* ``cut`` is the smallest of the end of the last compaction (in session order),
  the end of the latest compaction ADK keeps (one no other range contains), and,
  when the sliding window is configured, the latest start of any compaction
  range: a sliding window's summary spans ``overlap_size`` + ``compaction_interval``
  invocations, so the next window never reaches back before the latest start;
* ``run start`` is the start of the run of overlapping compaction ranges that
  contains ``cut``, so every plain event left out lies inside some range: the
  request builder would drop it anyway.

Everything at or after ``cut`` is loaded, so the current invocation, the
candidates of the next compaction and the overlap invocations are all there.

**When the whole session is loaded instead** (each case is tested):

* no compaction event (the option changes nothing);
* a rewind event (``rewind_before_invocation_id``): a rewind can annul
  compaction events, which would uncover raw events;
* an event with a branch or an isolation scope (multi-agent branches, task
  agents): which compactions an agent sees then depends on the agent;
* a compaction without both bounds and a summary, with NaN bounds or with
  start after end;
* once loaded, the events fail a check (`is_faithful`): a function response
  whose call was left out (ADK re-injects such calls from the raw history), an
  unanswered long-running call older than ``cut``, fewer than ``overlap_size`` + 1
  whole invocations before the sliding window's next start, or invocations whose
  events interleave;
* the service was not told the App's compaction settings (``events_compaction_config``).

Routing (which agent answers the next message) reads the newest agent replies,
which are after ``cut``; `get_session` with a ``GetSessionConfig`` is unaffected.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from google.adk.apps.app import EventsCompactionConfig
from google.adk.events.event import Event

__all__ = ["NO_COMPACTION", "is_faithful", "skipped_span", "span_or_fallback"]


def _has_sliding_window(config: EventsCompactionConfig) -> bool:
    return config.compaction_interval is not None and config.overlap_size is not None


def _has_token_threshold(config: EventsCompactionConfig) -> bool:
    return config.token_threshold is not None and config.event_retention_size is not None


def _ranges(compactions: Sequence[Event]) -> list[tuple[float, float]] | None:
    """Each compaction's (start, end), or None when one is not a plain closed range."""
    ranges = []
    for event in compactions:
        compaction = event.actions.compaction
        assert compaction is not None
        # Typed as floats, but ADK checks for None too (a model_construct'ed event).
        start: float | None = compaction.start_timestamp
        end: float | None = compaction.end_timestamp
        if start is None or end is None or compaction.compacted_content is None:
            return None
        if math.isnan(start) or math.isnan(end) or start > end:
            return None
        ranges.append((start, end))
    return ranges


def _latest_kept_end(ranges: list[tuple[float, float]]) -> float:
    """The end of the last range (in session order) that no other range contains.

    The same choice as ADK's latest compaction: among identical ranges the
    later one is kept.
    """
    order = sorted(range(len(ranges)), key=lambda i: (ranges[i][0], -ranges[i][1], -i))
    kept = []
    max_end = -math.inf
    for index in order:
        if ranges[index][1] > max_end:
            kept.append(index)
            max_end = ranges[index][1]
    return ranges[max(kept)][1]


def _run_start_containing(ranges: list[tuple[float, float]], moment: float) -> float | None:
    """Where the run of overlapping ranges that holds ``moment`` begins."""
    runs: list[list[float]] = []
    for start, end in sorted(ranges):
        if runs and start <= runs[-1][1]:
            runs[-1][1] = max(runs[-1][1], end)
        else:
            runs.append([start, end])
    for start, end in runs:
        if start <= moment <= end:
            return start
    return None


def _is_unusual(event: Event) -> bool:
    return bool(event.actions.rewind_before_invocation_id or event.branch or event.isolation_scope)


def skipped_span(
    flagged: Sequence[Event], config: EventsCompactionConfig | None
) -> tuple[float, float] | None:
    """The timestamps ``[start, end)`` whose plain events ADK will not read, or None.

    Args:
        flagged: Every flagged event of the session (a superset is fine), in
            session order.
        config: The App's ``events_compaction_config``.

    Returns:
        None when the whole session must be loaded (see the module docstring).
    """
    span = span_or_fallback(flagged, config)
    return None if isinstance(span, str) else span


NO_COMPACTION = "no compaction event"


def span_or_fallback(
    flagged: Sequence[Event], config: EventsCompactionConfig | None
) -> tuple[float, float] | str:
    """`skipped_span`, or why the whole session must be loaded (`NO_COMPACTION`, or another)."""
    if config is None or not (_has_sliding_window(config) or _has_token_threshold(config)):
        return "no events_compaction_config with a sliding window or a token threshold"
    for event in flagged:
        if event.actions.rewind_before_invocation_id:
            return f"a rewind (event {event.id})"
        if event.branch or event.isolation_scope:
            return f"an event with a branch or an isolation scope (event {event.id})"
    compactions = [event for event in flagged if event.actions.compaction is not None]
    if not compactions:
        return NO_COMPACTION
    ranges = _ranges(compactions)
    if ranges is None:
        return "a compaction without both bounds and a summary, or with bounds out of order"
    cut = min(ranges[-1][1], _latest_kept_end(ranges))
    if _has_sliding_window(config):
        cut = min(cut, max(start for start, _ in ranges))
    run_start = _run_start_containing(ranges, cut)
    if run_start is None or run_start >= cut:
        return "no compacted events before the latest compaction ADK re-reads"
    return (run_start, cut)


def is_faithful(
    events: Sequence[Event], span: tuple[float, float], config: EventsCompactionConfig
) -> bool:
    """Whether ADK reads the same from ``events`` as from the whole session.

    ``events`` are the session's events without the plain ones inside ``span``.
    """
    if any(_is_unusual(event) for event in events):
        return False
    if not _calls_are_present(events, cut=span[1]):
        return False
    if _has_sliding_window(config):
        assert config.overlap_size is not None
        return _overlap_is_whole(events, config.overlap_size, cut=span[1])
    return True


def _calls_are_present(events: Sequence[Event], *, cut: float) -> bool:
    """Every answered call is loaded, and every unanswered long-running call is recent."""
    call_ids: set[str] = set()
    answered: set[str] = set()
    for event in events:
        for call in event.get_function_calls():
            if call.id:
                call_ids.add(call.id)
        for response in event.get_function_responses():
            if response.id:
                if response.id not in call_ids:
                    return False
                answered.add(response.id)
    for event in events:
        pending = (event.long_running_tool_ids or set()) - answered
        if pending and event.timestamp < cut:
            return False
    return True


def _overlap_is_whole(events: Sequence[Event], overlap_size: int, *, cut: float) -> bool:
    """The sliding window's next start is a whole invocation that was loaded.

    Mirrors how ADK picks the window: the first invocation newer than the last
    compaction's end (or the coming one), and ``overlap_size`` before it. Only
    invocations that begin at or after ``cut`` are surely whole (the first of
    them may have lost earlier events), so ``overlap_size`` + 1 of them must come
    before that first new invocation. Invocations must not interleave, so that
    "before" means the same in the loaded events as in the whole session.
    """
    last_end = 0.0
    for event in reversed(events):
        compaction = event.actions.compaction
        if compaction is not None and compaction.end_timestamp:
            last_end = compaction.end_timestamp
            break
    first_seen: dict[str, float] = {}
    latest: dict[str, float] = {}
    previous: str | None = None
    for event in events:
        if not event.invocation_id or event.actions.compaction is not None:
            continue
        invocation = event.invocation_id
        if invocation not in first_seen:
            first_seen[invocation] = event.timestamp
        elif invocation != previous:
            return False  # interleaved
        latest[invocation] = max(latest.get(invocation, event.timestamp), event.timestamp)
        previous = invocation
    whole_before_first_new = 0
    for invocation, first in first_seen.items():
        if latest[invocation] > last_end:
            break
        if first >= cut:
            whole_before_first_new += 1
    return whole_before_first_new >= overlap_size + 1
