"""A large read leaves the application's objects where the collector put them.

The application makes cyclic garbage (only the cyclic collector can free it),
then reads a 2,000-event session from a real file. The next young collection
must reclaim that garbage, as it would had the application not read anything:
no object of the process may be moved to an older generation or frozen, and the
collector must be left as the application had it.
"""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite import SessionService, SqliteStore

EVENTS = 2000


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _make_cyclic_garbage(collected: list[str]) -> None:
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    weakref.finalize(first, collected.append, "cycle")


async def _long_session(service: SessionService) -> None:
    session = await service.create_session(app_name="a", user_id="u", session_id="long")
    for index in range(EVENTS):
        await service.append_event(
            session,
            Event(
                author="user" if index % 2 else "agent",
                invocation_id=f"inv-{index // 4}",
                content=types.Content(role="user", parts=[types.Part(text=f"message {index}")]),
                actions=EventActions(state_delta={"n": index} if index % 5 == 0 else {}),
            ),
        )


@pytest.mark.parametrize("fast_decoding", [True, False], ids=["fast", "validated"])
async def test_a_large_read_leaves_the_applications_garbage_to_the_next_young_collection(
    tmp_path: Path, fast_decoding: bool
) -> None:
    store = SqliteStore(tmp_path / "sessions.db")
    service = SessionService(store, fast_decoding=fast_decoding)
    await store.create_tables()
    try:
        await _long_session(service)
        gc.collect()
        enabled, frozen = gc.isenabled(), gc.get_freeze_count()
        collected: list[str] = []
        _make_cyclic_garbage(collected)
        read = await service.get_session(app_name="a", user_id="u", session_id="long")
        assert read is not None
        assert len(read.events) == EVENTS
        assert gc.isenabled() == enabled
        assert gc.get_freeze_count() == frozen
        gc.collect(0)
        assert collected == ["cycle"]
    finally:
        await store.close()


async def test_a_large_read_keeps_what_the_application_froze_frozen(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "sessions.db")
    service = SessionService(store)
    await store.create_tables()
    try:
        await _long_session(service)
        kept = [_Node() for _ in range(10)]
        gc.freeze()  # as a pre-fork server does
        try:
            read = await service.get_session(app_name="a", user_id="u", session_id="long")
            assert read is not None
            # Frozen objects are in no generation: none of these was let go.
            tracked = {id(item) for item in gc.get_objects()}
            assert not tracked & {id(node) for node in kept}
            assert gc.isenabled()
        finally:
            gc.unfreeze()
    finally:
        await store.close()
