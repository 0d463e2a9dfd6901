"""A store belongs to one running event loop at a time.

Two threads, each running its own event loop, once shared one store and crashed the
interpreter (PostgreSQL), hung, or failed with "cannot start a transaction within a
transaction" (SQLite). Now the second loop gets `EventLoopError` at once, and a store
whose loop has stopped is handed on (successive ``asyncio.run`` calls).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from adk_sqlite import EventLoopError, SessionService, SqliteStore


@asynccontextmanager
async def _opened(layout: str, tmp_path: Path) -> AsyncIterator[Any]:
    async with AsyncExitStack() as stack:
        if layout == "postgres":
            from adk_sqlite.postgres import PostgresStore
            from support.postgres import fresh_schema

            yield PostgresStore(await stack.enter_async_context(fresh_schema()))
        else:
            yield SqliteStore(tmp_path / "sessions.db")


def _in_thread(work: Callable[[], Any]) -> BaseException | None:
    """Runs ``work`` (which runs its own event loop) in a thread; what it raised."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # handed back to the test
            raised.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    return raised[0] if raised else None


@pytest.mark.parametrize("layout", ["sqlite", "postgres"])
async def test_a_second_running_loop_is_refused_with_a_clear_error(
    layout: str, tmp_path: Path
) -> None:
    async with _opened(layout, tmp_path) as store:
        service = SessionService(store)
        await service.create_session(app_name="app", user_id="u", session_id="s")

        async def from_another_loop() -> None:
            await service.get_session(app_name="app", user_id="u", session_id="s")

        # This test's loop is running (it waits for the thread): the thread is refused.
        raised = await asyncio.to_thread(_in_thread, lambda: asyncio.run(from_another_loop()))
        assert isinstance(raised, EventLoopError), raised
        assert "another running event loop" in str(raised)
        # The store is unharmed for its own loop.
        session = await service.get_session(app_name="app", user_id="u", session_id="s")
        assert session is not None
        await store.close()


def test_a_store_is_handed_on_when_its_loop_has_stopped(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "sessions.db")
    service = SessionService(store)

    async def create() -> None:
        await service.create_session(app_name="app", user_id="u", session_id="s")

    async def read_and_close() -> int:
        session = await service.get_session(app_name="app", user_id="u", session_id="s")
        await store.close()
        return 0 if session is None else 1

    asyncio.run(create())
    assert asyncio.run(read_and_close()) == 1
