"""The events' views (`compaction_view.event_view`) and the span read from them.

`span_from_index` must find the same span as `span_or_fallback` finds from the
decoded compaction events, for any set of ranges, and when it reads only the
newest few compactions it must either find the same span or ask for all.
"""

from __future__ import annotations

import math
import random

import pytest
from google.adk.apps.app import EventsCompactionConfig
from google.adk.auth.auth_tool import AuthConfig
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions, EventCompaction
from google.adk.tools.tool_confirmation import ToolConfirmation
from google.genai import types

from adk_sqlite.adk.compaction_view import (
    NO_COMPACTION,
    SpanPlan,
    event_view,
    span_from_index,
    span_or_fallback,
)
from adk_sqlite.records import CompactionEntry, CompactionIndex, EventRole

pytestmark = pytest.mark.filterwarnings("ignore:.*EXPERIMENTAL.*:UserWarning")

_SUMMARY = types.Content(role="model", parts=[types.Part(text="summary")])


def _compaction(start: float, end: float, timestamp: float = 0.0) -> Event:
    return Event(
        author="user",
        timestamp=timestamp,
        actions=EventActions(
            compaction=EventCompaction(
                start_timestamp=start, end_timestamp=end, compacted_content=_SUMMARY
            )
        ),
    )


def _with(**actions: object) -> Event:
    return Event(author="assistant", actions=EventActions(**actions))  # type: ignore[arg-type]


def test_a_plain_event_and_a_state_or_artifact_change_are_skippable() -> None:
    assert event_view(Event(author="user")).role is EventRole.SKIPPABLE
    assert event_view(_with(state_delta={"k": 1})).role is EventRole.SKIPPABLE
    assert event_view(_with(artifact_delta={"f": 0})).role is EventRole.SKIPPABLE
    assert event_view(_with(state_delta={"k": 1}, artifact_delta={"f": 0})).role is (
        EventRole.SKIPPABLE
    )


@pytest.mark.parametrize(
    "actions",
    [
        {"transfer_to_agent": "helper"},
        {"escalate": True},
        {"skip_summarization": True},
        {"end_of_agent": True},
        {"agent_state": {"step": 1}},
        {"requested_tool_confirmations": {"call-1": {"hint": "ok?"}}},
        {"state_delta": {"k": 1}, "transfer_to_agent": "helper"},
    ],
)
def test_any_other_action_must_be_loaded(actions: dict[str, object]) -> None:
    assert event_view(_with(**actions)).role is EventRole.NEEDED


def test_an_auth_request_and_long_running_ids_must_be_loaded() -> None:
    auth = AuthConfig.model_construct(auth_scheme=None)  # any request: its presence counts
    assert event_view(_with(requested_auth_configs={"call-1": auth})).role is EventRole.NEEDED
    running = Event(author="assistant", long_running_tool_ids={"call-1"})
    assert event_view(running).role is EventRole.NEEDED


def test_a_default_action_changed_in_place_is_seen() -> None:
    event = Event(author="assistant")
    event.actions.requested_tool_confirmations["call-1"] = ToolConfirmation(hint="?")
    assert event_view(event).role is EventRole.NEEDED


def test_rewinds_branches_and_isolation_scopes_load_the_whole_session() -> None:
    assert event_view(_with(rewind_before_invocation_id="i-1")).role is EventRole.WHOLE_SESSION
    assert event_view(Event(author="a", branch="root.a")).role is EventRole.WHOLE_SESSION
    assert event_view(Event(author="a", isolation_scope="task")).role is EventRole.WHOLE_SESSION
    compaction = _compaction(1.0, 2.0)
    compaction.branch = "root.a"
    assert event_view(compaction).role is EventRole.WHOLE_SESSION


def test_a_compaction_keeps_its_range_and_a_malformed_one_loads_everything() -> None:
    view = event_view(_compaction(1.5, 2.5))
    assert (view.role, view.compaction_start, view.compaction_end) == (
        EventRole.COMPACTION,
        1.5,
        2.5,
    )
    for start, end in ((2.0, 1.0), (math.nan, 1.0), (1.0, math.nan)):
        assert event_view(_compaction(start, end)).role is EventRole.WHOLE_SESSION
    no_summary = _compaction(1.0, 2.0)
    assert no_summary.actions.compaction is not None
    no_summary.actions.compaction.compacted_content = None  # type: ignore[assignment]
    assert event_view(no_summary).role is EventRole.WHOLE_SESSION


# --- the span from the index is the span from the decoded events -------------------------


def _index(events: list[Event], seqs: list[int], limit: int | None = None) -> CompactionIndex:
    entries = []
    for event, seq in zip(events, seqs, strict=True):
        compaction = event.actions.compaction
        assert compaction is not None
        entries.append(
            CompactionEntry(
                event.timestamp, seq, compaction.start_timestamp, compaction.end_timestamp
            )
        )
    newest_first = entries[::-1]
    if limit is not None:
        newest_first = newest_first[:limit]
    return CompactionIndex(
        first_start=min(entry.start for entry in entries) if entries else None,
        last_end=max(entry.end for entry in entries) if entries else None,
        newest_first=newest_first,
        complete=limit is None or len(newest_first) == len(entries),
    )


def _random_compactions(rng: random.Random, token_like: bool) -> list[Event]:
    events = []
    clock = 100.0
    for _ in range(rng.randint(1, 12)):
        clock += rng.choice((1.0, 2.0, 3.0))
        if token_like:  # each contains the ones before, now and then not
            start = 0.0 if rng.random() < 0.8 else rng.uniform(0, clock - 1)
        else:
            start = rng.uniform(0, clock - 1)
        end = rng.uniform(start, clock - 0.5)
        if rng.random() < 0.1 and events:  # an identical range now and then
            previous = events[-1].actions.compaction
            start, end = previous.start_timestamp, previous.end_timestamp
        events.append(_compaction(start, end, timestamp=clock))
    return events


@pytest.mark.parametrize("seed", range(300))
def test_the_span_from_the_index_is_the_span_from_the_decoded_events(seed: int) -> None:
    rng = random.Random(seed)
    config = (
        EventsCompactionConfig(token_threshold=100, event_retention_size=2)
        if seed % 2
        else EventsCompactionConfig(compaction_interval=2, overlap_size=1)
    )
    events = _random_compactions(rng, token_like=seed % 2 == 1)
    seqs = sorted(rng.sample(range(1, 1000), len(events)))
    expected = span_or_fallback(events, config)
    got = span_from_index(_index(events, seqs), config)
    if isinstance(expected, str):
        assert got == expected
        return
    assert isinstance(got, SpanPlan)
    assert got.span == expected
    # Every compaction ADK keeps, and the last one, is kept when inside the span.
    start, cut = expected
    for seq, event in zip(seqs, events, strict=True):
        inside = start <= event.timestamp < cut
        if inside and (event is events[-1] or _is_kept(event, events)):
            assert seq in got.keep
        if seq in got.keep:
            assert inside
    # Only the newest few: the same plan, or a request for all of them.
    for limit in (1, 2, 4):
        partial = span_from_index(_index(events, seqs, limit), config)
        assert partial is None or partial == got


def _is_kept(event: Event, events: list[Event]) -> bool:
    mine = event.actions.compaction
    assert mine is not None
    for index, other in enumerate(events):
        theirs = other.actions.compaction
        assert theirs is not None
        if other is event:
            continue
        contains = (
            theirs.start_timestamp <= mine.start_timestamp
            and theirs.end_timestamp >= mine.end_timestamp
        )
        identical = (theirs.start_timestamp, theirs.end_timestamp) == (
            mine.start_timestamp,
            mine.end_timestamp,
        )
        if contains and (not identical or index > events.index(event)):
            return False
    return True


def test_token_threshold_needs_only_the_newest_compaction() -> None:
    config = EventsCompactionConfig(token_threshold=100, event_retention_size=2)
    events = [_compaction(0.0, float(end), timestamp=end + 0.5) for end in range(1, 50)]
    plan = span_from_index(_index(events, list(range(1, 50)), limit=1), config)
    assert plan == span_from_index(_index(events, list(range(1, 50))), config)
    assert isinstance(plan, SpanPlan)
    assert plan.span == (0.0, 49.0)
    assert plan.keep == ()  # the newest is after the cut: loaded anyway


def test_no_compaction_and_no_config() -> None:
    config = EventsCompactionConfig(token_threshold=100, event_retention_size=2)
    assert span_from_index(CompactionIndex(), config) == NO_COMPACTION
    assert isinstance(span_from_index(CompactionIndex(), None), str)
