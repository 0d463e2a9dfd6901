"""The engine's worker connection: every job of a `SqliteStore` runs on its connection's thread.

Both layouts run on the engine's own `WorkerPool`; no other library's internals are used.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.sqlite.engine import worker_connection


def _connection_threads() -> list[threading.Thread]:
    prefix = worker_connection.CONNECTION_THREAD_NAME
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


async def test_a_store_round_trips_and_ends_its_threads_on_close(tmp_path: Path) -> None:
    before = len(_connection_threads())
    path = tmp_path / "s.db"
    async with SessionService(SqliteStore(path, inline_io=False)) as service:
        session = await service.create_session(app_name="app", user_id="u", state={"k": 1})
        for text in ("one", "two", "three"):
            event = Event(
                author="agent",
                content=types.Content(role="model", parts=[types.Part(text=text)]),
            )
            await service.append_event(session, event)
        assert len(_connection_threads()) > before
    async with SessionService(SqliteStore(path)) as service:
        stored = await service.get_session(app_name="app", user_id="u", session_id=session.id)
    assert stored is not None
    assert stored.state == {"k": 1}
    texts = [e.content.parts[0].text for e in stored.events if e.content and e.content.parts]
    assert texts == ["one", "two", "three"]
    assert len(_connection_threads()) == before


async def test_jobs_run_on_the_connections_own_thread(tmp_path: Path) -> None:
    connection = await worker_connection.open_worker_connection(
        lambda: sqlite3.connect(tmp_path / "t.db", check_same_thread=False)
    )
    try:
        first = await connection.run(lambda raw: threading.get_ident())
        second = await connection.run(lambda raw: threading.get_ident())
    finally:
        await connection.close()
    assert first == second != threading.get_ident()


async def test_a_failing_connect_raises_and_leaves_no_thread(tmp_path: Path) -> None:
    before = len(_connection_threads())

    def refuse() -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    with pytest.raises(sqlite3.OperationalError):
        await worker_connection.open_worker_connection(refuse)
    for thread in _connection_threads()[before:]:
        thread.join(timeout=5)
    assert len([t for t in _connection_threads() if t.is_alive()]) == before


async def test_an_error_in_a_job_reaches_the_caller_and_the_connection_goes_on(
    tmp_path: Path,
) -> None:
    connection = await worker_connection.open_worker_connection(
        lambda: sqlite3.connect(tmp_path / "t.db", check_same_thread=False)
    )
    try:
        with pytest.raises(sqlite3.OperationalError):
            await connection.run(lambda raw: raw.execute("SELECT * FROM missing"))
        assert await connection.run(lambda raw: raw.execute("SELECT 41 + 1").fetchone()) == (42,)
    finally:
        await connection.close()
