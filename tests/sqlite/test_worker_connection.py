"""The aiosqlite adapter: its start-up check, and the public path it falls back to.

Every job of a `SqliteStore` runs through `worker_connection`; when aiosqlite's internals
are missing or not what the adapter expects, the store must keep working, unchanged, on
the standard-library worker thread, and say so once.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import aiosqlite
import pytest
from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.sqlite.engine import worker_connection

ADAPTER_LOG = "adk_sqlite.sqlite"


async def _round_trip(path: Path) -> list[str]:
    """Creates a session, appends three events, reads them back in a fresh store."""
    async with SessionService(SqliteStore(path, inline_io=False)) as service:
        session = await service.create_session(app_name="app", user_id="u", state={"k": 1})
        for text in ("one", "two", "three"):
            event = Event(
                author="agent",
                content=types.Content(role="model", parts=[types.Part(text=text)]),
            )
            await service.append_event(session, event)
    async with SessionService(SqliteStore(path)) as service:
        stored = await service.get_session(app_name="app", user_id="u", session_id=session.id)
    assert stored is not None
    assert stored.state == {"k": 1}
    return [e.content.parts[0].text for e in stored.events if e.content and e.content.parts]


async def test_the_installed_aiosqlite_passes_the_check(tmp_path: Path) -> None:
    assert await _round_trip(tmp_path / "s.db") == ["one", "two", "three"]
    assert worker_connection.uses_aiosqlite_internals() is True


async def test_jobs_run_on_the_connections_own_thread(tmp_path: Path) -> None:
    async def open_one() -> worker_connection.WorkerConnection:
        import sqlite3

        return await worker_connection.open_worker_connection(
            lambda: sqlite3.connect(tmp_path / "t.db", check_same_thread=False)
        )

    connection = await open_one()
    try:
        first = await connection.run(lambda raw: threading.get_ident())
        second = await connection.run(lambda raw: threading.get_ident())
    finally:
        await connection.close()
    assert first == second != threading.get_ident()


async def test_missing_execute_falls_back_to_the_public_path_and_warns_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(worker_connection, "_internals_hold", None)
    monkeypatch.delattr(aiosqlite.Connection, "_execute")
    with caplog.at_level(logging.WARNING, logger=ADAPTER_LOG):
        assert await _round_trip(tmp_path / "s.db") == ["one", "two", "three"]
    assert worker_connection.uses_aiosqlite_internals() is False
    # Closing the stores ended their worker threads.
    assert not [t for t in threading.enumerate() if t.name.startswith("adk-sqlite-connection")]
    warnings = [r for r in caplog.records if r.name == ADAPTER_LOG]
    assert len(warnings) == 1
    assert "_execute" in warnings[0].getMessage()


async def test_an_unexpected_connection_attribute_falls_back_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(worker_connection, "_internals_hold", None)
    monkeypatch.setattr(aiosqlite.Connection, "_conn", property(lambda self: None))
    with caplog.at_level(logging.WARNING, logger=ADAPTER_LOG):
        assert await _round_trip(tmp_path / "s.db") == ["one", "two", "three"]
    assert worker_connection.uses_aiosqlite_internals() is False
    assert len([r for r in caplog.records if r.name == ADAPTER_LOG]) == 1
