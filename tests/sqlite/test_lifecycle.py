"""Opening, closing, in-memory lifetime and resource hygiene."""

from __future__ import annotations

import asyncio
import gc
import threading
from pathlib import Path

import pytest
from google.adk.events.event import Event

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.errors import StoreClosedError


async def test_close_is_idempotent(db_path: Path) -> None:
    store = SqliteStore(db_path)
    await store.create_tables()
    await store.close()
    await store.close()


async def test_using_a_closed_store_raises_a_clear_error(db_path: Path) -> None:
    service = SessionService(SqliteStore(db_path))
    await service.create_session(app_name="a", user_id="u")
    await service.close()
    with pytest.raises(StoreClosedError, match="closed"):
        await service.list_sessions(app_name="a")


async def test_closing_a_never_opened_store_creates_nothing(db_path: Path) -> None:
    await SqliteStore(db_path).close()
    assert not db_path.exists()


async def test_memory_store_keeps_data_across_calls_until_close() -> None:
    async with SessionService(SqliteStore(":memory:")) as service:
        session = await service.create_session(app_name="a", user_id="u", state={"k": 1})
        await service.append_event(session, Event(author="agent"))
        assert (
            await service.get_session(app_name="a", user_id="u", session_id=session.id) == session
        )
    async with SessionService(SqliteStore(":memory:")) as fresh:
        assert await fresh.get_session(app_name="a", user_id="u", session_id=session.id) is None


async def test_pending_writes_finish_before_close(db_path: Path) -> None:
    service = SessionService(SqliteStore(db_path))
    session = await service.create_session(app_name="a", user_id="u")
    others = [await service.create_session(app_name="a", user_id="u") for _ in range(5)]
    appends = [
        asyncio.ensure_future(service.append_event(other, Event(author="agent")))
        for other in others
    ]
    await asyncio.sleep(0)
    await service.close()
    await asyncio.gather(*appends)
    async with SessionService(SqliteStore(db_path)) as reopened:
        assert len((await reopened.list_sessions(app_name="a")).sessions) == 6
        assert await reopened.get_session(app_name="a", user_id="u", session_id=session.id)


async def test_worker_threads_are_daemons_and_end_at_close(db_path: Path) -> None:
    before = set(threading.enumerate())
    store = SqliteStore(db_path)
    await store.create_tables()
    started = set(threading.enumerate()) - before
    assert started
    assert all(thread.daemon for thread in started)
    await store.close()
    for thread in started:
        thread.join(timeout=5)
    assert not any(thread.is_alive() for thread in started)


async def test_a_store_garbage_collected_while_open_warns(db_path: Path) -> None:
    stores = [SqliteStore(db_path)]
    await stores[0].create_tables()
    with pytest.warns(ResourceWarning, match="garbage-collected while open"):
        _drop_and_collect(stores)
    await asyncio.sleep(0.2)  # let the stopped worker threads finish


def _drop_and_collect(stores: list[SqliteStore]) -> None:
    stores.clear()
    gc.collect()


async def test_many_open_close_cycles_leak_no_threads(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    for n in range(50):
        async with SessionService(SqliteStore(tmp_path / f"{n % 3}.db")) as service:
            await service.create_session(app_name="a", user_id="u")
    started = set(threading.enumerate()) - before
    for thread in started:
        thread.join(timeout=5)
    assert [thread for thread in started if thread.is_alive()] == []
