"""A shared file commits long events on its writer thread, not the loop's: one of more than
`INLINE_WRITE_BYTES`, or a group of appends that add up to more.

On the loop's thread, a group commit of twenty 150 KiB tool answers held every other
task up for 7 ms while SQLite copied them into the WAL. Which thread ran each
append's job is recorded by wrapping the store's own job function; the job still
runs, against the real file.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.sqlite.engine.writer import INLINE_WRITE_BYTES
from adk_sqlite.sqlite.shared_file import jobs as shared_file_jobs
from support.job_threads import record_job_threads


def tool_answer(index: int, characters: int) -> Event:
    """A tool's answer holding about ``characters`` characters of JSON."""
    rows = [{"row": row, "title": f"result {row}"} for row in range(characters // 30)]
    return Event(
        id=f"answer-{index}",
        invocation_id=f"inv-{index}",
        author="researcher",
        content=types.Content(
            role="user",
            parts=[
                types.Part(
                    function_response=types.FunctionResponse(
                        id=f"call-{index}", name="search", response={"rows": rows}
                    )
                )
            ],
        ),
    )


async def test_a_large_event_is_committed_off_the_loop_and_a_small_one_on_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    append_threads: list[str] = []
    record_job_threads(monkeypatch, shared_file_jobs, "append_event", append_threads)
    large = INLINE_WRITE_BYTES + 10_000
    async with SqliteStore(tmp_path / "sessions.db") as store:
        service = SessionService(store)
        session = await service.create_session(app_name="app", user_id="u", session_id="s")

        await service.append_event(session, tool_answer(0, 1_000))
        await service.append_event(session, tool_answer(1, large))
        await service.append_event(session, tool_answer(2, 1_000))
        stored = await service.get_session(app_name="app", user_id="u", session_id="s")

    assert append_threads == [
        "append_event on the loop",
        "append_event on a thread",
        "append_event on the loop",
    ]
    assert stored is not None
    assert [event.model_dump() for event in stored.events] == [
        event.model_dump() for event in session.events
    ]


async def test_concurrent_appends_that_add_up_to_a_large_write_are_committed_off_the_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    append_threads: list[str] = []
    record_job_threads(monkeypatch, shared_file_jobs, "append_event", append_threads)
    each = INLINE_WRITE_BYTES // 3  # four of them are more than one inline transaction takes
    async with SqliteStore(tmp_path / "sessions.db") as store:
        service = SessionService(store)
        sessions = [
            await service.create_session(app_name="app", user_id="u", session_id=f"s{n}")
            for n in range(4)
        ]

        await asyncio.gather(
            *(service.append_event(s, tool_answer(n, 1_000)) for n, s in enumerate(sessions))
        )
        small_batch = list(append_threads)
        append_threads.clear()
        await asyncio.gather(
            *(service.append_event(s, tool_answer(10 + n, each)) for n, s in enumerate(sessions))
        )
        stored = [
            await service.get_session(app_name="app", user_id="u", session_id=f"s{n}")
            for n in range(4)
        ]

    assert small_batch == ["append_event on the loop"] * 4
    assert append_threads == ["append_event on a thread"] * 4
    assert [[event.id for event in session.events] for session in stored if session] == [
        [f"answer-{n}", f"answer-{10 + n}"] for n in range(4)
    ]
