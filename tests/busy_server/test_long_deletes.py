"""A shared file runs deletes on its writer thread, not the event loop's.

A delete's work grows with what it removes: deleting a 10,000-event session, 100
artifact versions or a session's thousands of memories took 20-30 ms on the loop's
thread. Which thread ran each delete is recorded by wrapping the store's own job
functions; the jobs still run, against the real file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import ArtifactService, MemoryService, SessionService, SqliteStore
from adk_sqlite.sqlite import artifact_jobs, memory_jobs
from adk_sqlite.sqlite.shared_file import jobs as shared_file_jobs
from support.job_threads import record_job_threads

APP, USER, SESSION = "app", "u", "s"


@pytest.mark.parametrize("session_artifacts", ["keep", "delete"])
async def test_deletes_run_on_the_writer_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session_artifacts: Any
) -> None:
    threads: list[str] = []
    for module, name in (
        (shared_file_jobs, "delete_session"),
        (shared_file_jobs, "delete_session_and_artifacts"),
        (artifact_jobs, "delete_artifact"),
        (memory_jobs, "delete_memories"),
        (shared_file_jobs, "append_event"),
    ):
        record_job_threads(monkeypatch, module, name, threads)
    async with SqliteStore(tmp_path / "agent.db", session_artifacts=session_artifacts) as store:
        sessions, artifacts, memory = (
            SessionService(store),
            ArtifactService(store),
            MemoryService(store),
        )
        session = await sessions.create_session(app_name=APP, user_id=USER, session_id=SESSION)
        said = Event(
            author="user",
            invocation_id="inv",
            content=types.Content(role="user", parts=[types.Part(text="the ferry leaves at nine")]),
        )
        await sessions.append_event(session, said)
        await memory.add_events_to_memory(
            app_name=APP, user_id=USER, session_id=SESSION, events=[said]
        )
        await artifacts.save_artifact(
            app_name=APP,
            user_id=USER,
            session_id=SESSION,
            filename="notes.txt",
            artifact=types.Part(text="timetable"),
        )

        await artifacts.delete_artifact(
            app_name=APP, user_id=USER, session_id=SESSION, filename="notes.txt"
        )
        deleted = await store.delete_memories(app_name=APP, user_id=USER, session_id=SESSION)
        await sessions.delete_session(app_name=APP, user_id=USER, session_id=SESSION)
        gone = await sessions.get_session(app_name=APP, user_id=USER, session_id=SESSION)

    # With session_artifacts="delete", the job deletes the artifacts, then calls the
    # plain session delete itself (in the same transaction, on the same thread).
    session_deletes = (
        ["delete_session on a thread"]
        if session_artifacts == "keep"
        else ["delete_session_and_artifacts on a thread", "delete_session on a thread"]
    )
    assert threads == [
        "append_event on the loop",
        "delete_artifact on a thread",
        "delete_memories on a thread",
        *session_deletes,
    ]
    assert deleted == 1
    assert gone is None
