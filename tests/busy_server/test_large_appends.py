"""A shared file commits an event of hundreds of KiB on its writer thread, not the loop's.

On the loop's thread, a group commit of twenty such events held every other task
up for about 20 ms while SQLite copied them into the WAL. Which thread ran each
append's job is recorded by wrapping the store's own job function; the job still
runs, against the real file.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.sqlite import artifact_jobs
from adk_sqlite.sqlite.shared_file import jobs as shared_file_jobs


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


@pytest.fixture
def append_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The thread each append's job runs on, in order."""
    threads: list[int] = []
    original: Callable[..., Any] = shared_file_jobs.append_event

    def recording(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return original(*args, **kwargs)

    monkeypatch.setattr(shared_file_jobs, "append_event", recording)
    return threads


async def test_a_large_event_is_committed_off_the_loop_and_a_small_one_on_it(
    tmp_path: Path, append_threads: list[int]
) -> None:
    large = artifact_jobs.OFF_LOOP_ABOVE + 10_000
    async with SqliteStore(tmp_path / "sessions.db") as store:
        service = SessionService(store)
        session = await service.create_session(app_name="app", user_id="u", session_id="s")

        await service.append_event(session, tool_answer(0, 1_000))
        await service.append_event(session, tool_answer(1, large))
        await service.append_event(session, tool_answer(2, 1_000))
        stored = await service.get_session(app_name="app", user_id="u", session_id="s")

    loop_thread = threading.get_ident()
    assert [thread == loop_thread for thread in append_threads] == [True, False, True]
    assert stored is not None
    assert [event.model_dump() for event in stored.events] == [
        event.model_dump() for event in session.events
    ]
