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

**Reading by the views** (adk-sqlite's own stores, schema version 5). The
service stores beside each event, when appending it, its `EventView`
(`event_view`): its role, and a compaction's range. A read then finds the
ranges in small indexes without decoding anything (`span_from_index`), and
leaves out, inside ``[run start, cut)``, every event but the ones ADK reads:

* the compactions ADK keeps (those no other range contains, as
  ``_get_compaction_ranges`` picks them) and the last compaction in session
  order (``_latest_prompt_token_count`` stops at it): a compaction another
  contains is dropped by the request builder and by both compactors;
* `EventRole.NEEDED` events: long-running ids, and any action but a state or
  artifact delta (a transfer, an escalation, an auth or confirmation request,
  agent state, ...);
* an event with a `EventRole.WHOLE_SESSION` role (a rewind, a branch, an
  isolation scope, a compaction without a closed range and a summary), or any
  flagged event written without a view: the views are then unsure and the
  session is read as above, from its flagged events.

So a flagged event whose only actions are a state or an artifact delta
(`EventRole.SKIPPABLE`) is left out like a plain one: state is stored, not
replayed, and ADK reads past deltas only to undo them for a rewind (then the
whole session is loaded). Token-threshold compaction reads the newest few
compactions only (`NEWEST_COMPACTIONS`): when one of them spans every range,
the older ones are all inside it and change nothing, so a read costs the same
whatever the length of the history.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from google.adk.apps.app import EventsCompactionConfig
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions, EventCompaction

from adk_sqlite.records import CompactionEntry, CompactionIndex, EventRole, EventView

__all__ = [
    "NEWEST_COMPACTIONS",
    "NO_COMPACTION",
    "SpanPlan",
    "event_view",
    "has_sliding_window",
    "is_faithful",
    "skipped_span",
    "span_from_index",
    "span_or_fallback",
]

# How many of the newest compactions a token-threshold read asks for first: each
# new summary spans every earlier one, so the newest one nearly always suffices.
NEWEST_COMPACTIONS = 4

# The actions a skippable event may carry: ADK replays neither (state is stored).
_SKIPPABLE_ACTIONS = frozenset({"state_delta", "artifact_delta"})
_ACTION_DEFAULTS: dict[str, Any] = {
    name: getattr(EventActions(), name)
    for name in EventActions.model_fields
    if name not in _SKIPPABLE_ACTIONS and name != "compaction"
}
_SKIPPABLE = EventView(role=EventRole.SKIPPABLE)
_NEEDED = EventView(role=EventRole.NEEDED)
_WHOLE_SESSION = EventView(role=EventRole.WHOLE_SESSION)


def event_view(event: Event) -> EventView:
    """What a reader of a compacted session must do with ``event`` (the rule above)."""
    actions = event.actions
    if actions.rewind_before_invocation_id or event.branch or event.isolation_scope:
        return _WHOLE_SESSION
    if actions.compaction is not None:
        bounds = _closed_range(actions.compaction)
        if bounds is None:
            return _WHOLE_SESSION
        return EventView(
            role=EventRole.COMPACTION, compaction_start=bounds[0], compaction_end=bounds[1]
        )
    if event.long_running_tool_ids or actions.model_extra:
        return _NEEDED
    for name, default in _ACTION_DEFAULTS.items():
        if getattr(actions, name) != default:
            return _NEEDED
    return _SKIPPABLE


def _closed_range(compaction: EventCompaction) -> tuple[float, float] | None:
    """A compaction's (start, end), or None when it is not a plain closed range with a summary."""
    # Typed as floats, but ADK checks for None too (a model_construct'ed event).
    start: float | None = compaction.start_timestamp
    end: float | None = compaction.end_timestamp
    if start is None or end is None or compaction.compacted_content is None:
        return None
    if math.isnan(start) or math.isnan(end) or start > end:
        return None
    return (start, end)


def has_sliding_window(config: EventsCompactionConfig) -> bool:
    """Whether ``config`` configures ADK's sliding-window compaction."""
    return config.compaction_interval is not None and config.overlap_size is not None


_has_sliding_window = has_sliding_window


def _has_token_threshold(config: EventsCompactionConfig) -> bool:
    return config.token_threshold is not None and config.event_retention_size is not None


def _ranges(compactions: Sequence[Event]) -> list[tuple[float, float]] | None:
    """Each compaction's (start, end), or None when one is not a plain closed range."""
    ranges = []
    for event in compactions:
        compaction = event.actions.compaction
        assert compaction is not None
        bounds = _closed_range(compaction)
        if bounds is None:
            return None
        ranges.append(bounds)
    return ranges


def _kept_indexes(ranges: Sequence[tuple[float, float]]) -> list[int]:
    """The ranges (indexes, in session order) that no other range contains.

    The same choice as ADK's ``_get_compaction_ranges``: among identical ranges
    the later one is kept.
    """
    order = sorted(range(len(ranges)), key=lambda i: (ranges[i][0], -ranges[i][1], -i))
    kept = []
    max_end = -math.inf
    for index in order:
        if ranges[index][1] > max_end:
            kept.append(index)
            max_end = ranges[index][1]
    return sorted(kept)


def _latest_kept_end(ranges: Sequence[tuple[float, float]]) -> float:
    """The end of the last range (in session order) that no other range contains."""
    return ranges[_kept_indexes(ranges)[-1]][1]


def _run_start_containing(ranges: Sequence[tuple[float, float]], moment: float) -> float | None:
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
    return _span_of_ranges(ranges, config)


def _span_of_ranges(
    ranges: Sequence[tuple[float, float]], config: EventsCompactionConfig
) -> tuple[float, float] | str:
    """``[run start, cut)`` of closed ranges in session order (the rule above)."""
    cut = min(ranges[-1][1], _latest_kept_end(ranges))
    if _has_sliding_window(config):
        cut = min(cut, max(start for start, _ in ranges))
    run_start = _run_start_containing(ranges, cut)
    if run_start is None or run_start >= cut:
        return "no compacted events before the latest compaction ADK re-reads"
    return (run_start, cut)


class SpanPlan(NamedTuple):
    """What a read by the views leaves out: the events inside ``span`` but the
    NEEDED ones and the compactions whose append-order numbers are in ``keep``."""

    span: tuple[float, float]
    keep: tuple[int, ...]


def span_from_index(
    index: CompactionIndex, config: EventsCompactionConfig | None
) -> SpanPlan | str | None:
    """The plan of a read by the views (`SpanPlan`), or why the whole session must be
    loaded (`NO_COMPACTION`, or another), or None when ``index`` holds too few of the
    newest compactions to tell (read them all, then ask again).

    ``index`` must not be unsure (`CompactionIndex.unsure`): the caller reads the
    flagged events then, as `span_or_fallback` needs.
    """
    if config is None or not (_has_sliding_window(config) or _has_token_threshold(config)):
        return "no events_compaction_config with a sliding window or a token threshold"
    entries = list(reversed(index.newest_first))  # session order
    if not entries:
        return NO_COMPACTION
    if not index.complete and not _older_ones_are_inside(entries, index, config):
        return None
    ranges = [(entry.start, entry.end) for entry in entries]
    span = _span_of_ranges(ranges, config)
    if isinstance(span, str):
        return span
    start, cut = span
    kept = {*_kept_indexes(ranges), len(entries) - 1}
    keep = tuple(
        entries[index].seq for index in sorted(kept) if start <= entries[index].timestamp < cut
    )
    return SpanPlan(span, keep)


def _older_ones_are_inside(
    entries: Sequence[CompactionEntry], index: CompactionIndex, config: EventsCompactionConfig
) -> bool:
    """Whether the compactions older than ``entries`` (not read) change nothing.

    True when one read range spans them all (from the earliest start of any range
    to the latest end): every older range is inside it, so none of them is kept,
    none is last, and none widens a run. Not with a sliding window, whose cut
    takes the latest start of every range.
    """
    if _has_sliding_window(config):
        return False
    return any(
        entry.start == index.first_start and entry.end == index.last_end for entry in entries
    )


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
