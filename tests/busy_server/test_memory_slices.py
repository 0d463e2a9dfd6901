"""A busy server: putting a long session into memory does not hold the event loop up.

`MemoryService.add_session_to_memory` builds a session's memories (the searchable text
of every event) a slice per turn of the loop; on the shared file, writing thousands of
them commits on the writer thread. Counted in turns and threads, never timed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import MemoryService, SessionService, SqliteStore
from adk_sqlite.codec.fast import slices
from adk_sqlite.sqlite import memory_jobs
from support.job_threads import record_job_threads
from support.turns import counting_turns

EVENTS = 300
APP, USER = "app", "u"


def said(index: int) -> Event:
    return Event(
        id=f"e{index:04d}",
        invocation_id=f"inv{index}",
        author="user" if index % 2 else "agent",
        timestamp=1_700_000_000 + index,
        content=types.Content(
            role="user" if index % 2 else "model",
            parts=[types.Part(text=f"note tok{index} about the harbour ferry timetable")],
        ),
    )


async def long_session(service: SessionService) -> Any:
    session = await service.create_session(app_name=APP, user_id=USER, session_id="long")
    for index in range(EVENTS):
        await service.append_event(session, said(index))
    return await service.get_session(app_name=APP, user_id=USER, session_id="long")


async def test_a_long_session_is_put_into_memory_in_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with SqliteStore(tmp_path / "agent.db") as store:
        session = await long_session(SessionService(store))
        memory = MemoryService(store)
        # With no time at all, each event's memory is a slice of its own.
        monkeypatch.setattr(slices, "SLICE_SECONDS", 0.0)

        _, turns = await counting_turns(memory.add_session_to_memory(session))
        found = [
            await memory.search_memory(app_name=APP, user_id=USER, query=f"tok{index}")
            for index in range(EVENTS)
        ]

    assert turns >= EVENTS - 1
    assert [[entry.custom_metadata["event_id"] for entry in each.memories] for each in found] == [
        [f"e{index:04d}"] for index in range(EVENTS)
    ]


async def test_a_large_memory_write_commits_off_the_loop_and_a_small_one_on_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory_write_threads: list[str] = []
    record_job_threads(monkeypatch, memory_jobs, "add_memories", memory_write_threads)
    long_text = " ".join(f"word{n}" for n in range(2_000))  # about 16 KiB each
    long_events = [
        Event(
            id=f"long{index}",
            invocation_id="inv",
            author="agent",
            content=types.Content(role="model", parts=[types.Part(text=long_text)]),
        )
        for index in range(40)
    ]
    async with SqliteStore(tmp_path / "agent.db") as store:
        memory = MemoryService(store)

        await memory.add_events_to_memory(
            app_name=APP, user_id=USER, session_id="s", events=[said(1)]
        )
        await memory.add_events_to_memory(
            app_name=APP, user_id=USER, session_id="s", events=long_events
        )
        found = await memory.search_memory(app_name=APP, user_id=USER, query="word1999")

    assert memory_write_threads == ["add_memories on the loop", "add_memories on a thread"]
    assert len(found.memories) == len(long_events)
