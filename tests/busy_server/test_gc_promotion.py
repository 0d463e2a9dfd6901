"""A long read leaves nothing in the collector's oldest generation but what it returns.

A read of a long session decodes its events over many turns of the event loop, and
the collector runs between two slices: whatever the read holds across those turns is
promoted to the oldest generation, and counts towards the next full collection of
the whole process (issue 16, "a busy server"). The events themselves must be held
(they are the result); the rows, records, decoded JSON and slice buffers must not.
So after one read, with the ``Session`` still held, the oldest generation may have
grown by the events' tracked objects (see
``tests/codec/test_tracked_objects_per_event.py``) and the ``Session``'s own, and
by nothing that scales with the number of events.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite import SessionService, SqliteStore

EVENTS = 1000
SLICE = 100  # ten slices, nine turns of the loop between them
TRACKED_PER_TEXT_EVENT = 14  # as tests/codec/test_tracked_objects_per_event.py holds it
# The Session (instance, __dict__, fields set, state dict, events list), its
# release watch (weak reference, entry) and the loop's own bookkeeping of the
# turns: a few dozen objects, whatever the number of events.
PER_READ = 100


@pytest.mark.parametrize("fast_decoding", [True, False], ids=["fast", "validated"])
async def test_a_long_read_promotes_its_events_and_nothing_else(
    tmp_path: Path, fast_decoding: bool
) -> None:
    store = SqliteStore(tmp_path / "sessions.db")
    service = SessionService(store, fast_decoding=fast_decoding, decode_slice=SLICE)
    await store.create_tables()
    try:
        session = await service.create_session(app_name="a", user_id="u", session_id="long")
        for index in range(EVENTS):
            await service.append_event(
                session,
                Event(
                    author="agent",
                    invocation_id=f"inv-{index // 4}",
                    content=types.Content(role="model", parts=[types.Part(text=f"m {index}")]),
                    actions=EventActions(state_delta={"n": index} if index % 5 == 0 else {}),
                ),
            )
        del session
        # First-use work done before counting; held, so that freeing it (a slice per
        # turn once dropped) does not run during the read counted below.
        warm = await service.get_session(app_name="a", user_id="u", session_id="long")
        gc.collect()
        oldest_before = len(gc.get_objects(2))

        read = await service.get_session(app_name="a", user_id="u", session_id="long")
        gc.collect(1)  # what survives the young collections now joins the oldest generation
        promoted = len(gc.get_objects(2)) - oldest_before

        assert warm is not None
        assert read is not None
        assert len(read.events) == EVENTS
        # The events are held, so promoted. The count is net of what left the oldest
        # generation meanwhile: a background checkpoint or a worker's job that ended
        # during the read frees a few dozen objects there (seen: 6-47 on a slower machine).
        assert promoted >= EVENTS * TRACKED_PER_TEXT_EVENT - PER_READ
        assert promoted <= EVENTS * TRACKED_PER_TEXT_EVENT + PER_READ
    finally:
        await store.close()
