"""Concurrency is decided by the database: coroutines, services and processes alike."""

from __future__ import annotations

import asyncio
import copy
import sqlite3
from pathlib import Path

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.errors import DuplicateEventError, StaleSessionError


async def test_concurrent_appends_to_many_sessions_all_land(service: SessionService) -> None:
    sessions = [
        await service.create_session(app_name="a", user_id="u", session_id=f"s{n}")
        for n in range(20)
    ]

    async def append_many(session_index: int) -> None:
        for i in range(25):
            await service.append_event(
                sessions[session_index],
                Event(author="agent", actions=EventActions(state_delta={"n": i, "app:total": i})),
            )

    await asyncio.gather(*(append_many(n) for n in range(20)))
    for session in sessions:
        stored = await service.get_session(app_name="a", user_id="u", session_id=session.id)
        assert stored is not None
        assert len(stored.events) == 25
        assert stored.state["n"] == 24
        assert stored == session


async def test_concurrent_appends_share_transactions(
    service: SessionService, db_path: Path
) -> None:
    sessions = [
        await service.create_session(app_name="a", user_id="u", session_id=f"s{n}")
        for n in range(20)
    ]
    commits_before = _wal_frames(db_path)
    await asyncio.gather(*(service.append_event(s, Event(author="agent")) for s in sessions))
    # 20 appends, each touching the sessions and events tables: one commit per
    # append would add >= 40 WAL frames; grouped they add far fewer.
    assert _wal_frames(db_path) - commits_before < 20


def _wal_frames(db_path: Path) -> int:
    wal = db_path.with_name(db_path.name + "-wal")
    return max(0, (wal.stat().st_size - 32) // (4096 + 24)) if wal.exists() else 0


async def test_one_failing_append_in_a_group_fails_alone(service: SessionService) -> None:
    sessions = [
        await service.create_session(app_name="a", user_id="u", session_id=f"s{n}")
        for n in range(10)
    ]
    await service.append_event(sessions[3], Event(id="dup", author="agent"))
    results = await asyncio.gather(
        *(
            service.append_event(
                session,
                Event(id="dup", author="agent", actions=EventActions(state_delta={"k": n})),
            )
            for n, session in enumerate(sessions)
        ),
        return_exceptions=True,
    )
    assert isinstance(results[3], DuplicateEventError)
    assert [n for n, result in enumerate(results) if isinstance(result, Exception)] == [3]
    failed = await service.get_session(app_name="a", user_id="u", session_id="s3")
    assert failed is not None
    assert len(failed.events) == 1
    assert "k" not in failed.state
    for n in (0, 9):
        stored = await service.get_session(app_name="a", user_id="u", session_id=f"s{n}")
        assert stored is not None
        assert stored.state["k"] == n


async def test_two_services_on_one_file_reject_the_stale_writer(db_path: Path) -> None:
    async with (
        SessionService(SqliteStore(db_path)) as first,
        SessionService(SqliteStore(db_path)) as second,
    ):
        created = await first.create_session(app_name="a", user_id="u", session_id="s")
        copy_one = await first.get_session(app_name="a", user_id="u", session_id="s")
        copy_two = await second.get_session(app_name="a", user_id="u", session_id="s")
        assert copy_one is not None
        assert copy_two is not None
        await first.append_event(
            copy_one, Event(author="agent", actions=EventActions(state_delta={"w": 1}))
        )
        with pytest.raises(StaleSessionError):
            await second.append_event(
                copy_two, Event(author="agent", actions=EventActions(state_delta={"w": 2}))
            )
        stored = await second.get_session(app_name="a", user_id="u", session_id=created.id)
        assert stored is not None
        assert stored.state["w"] == 1
        assert len(stored.events) == 1


async def test_racing_deep_copies_one_wins_one_is_stale(service: SessionService) -> None:
    session = await service.create_session(app_name="a", user_id="u", session_id="s")
    for _ in range(8):
        current = await service.get_session(app_name="a", user_id="u", session_id="s")
        assert current is not None
        left, right = copy.deepcopy(current), copy.deepcopy(current)
        results = await asyncio.gather(
            service.append_event(
                left, Event(author="a", actions=EventActions(state_delta={"x": "l"}))
            ),
            service.append_event(
                right, Event(author="a", actions=EventActions(state_delta={"x": "r"}))
            ),
            return_exceptions=True,
        )
        assert sum(isinstance(result, StaleSessionError) for result in results) == 1
        assert sum(isinstance(result, Event) for result in results) == 1
    stored = await service.get_session(app_name="a", user_id="u", session_id=session.id)
    assert stored is not None
    assert len(stored.events) == 8


async def test_a_write_waits_for_another_processes_lock_instead_of_failing(db_path: Path) -> None:
    async with SessionService(SqliteStore(db_path, busy_timeout=10)) as service:
        session = await service.create_session(app_name="a", user_id="u")
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        append = asyncio.ensure_future(service.append_event(session, Event(author="agent")))
        await asyncio.sleep(0.3)
        assert not append.done()
        blocker.execute("COMMIT")
        blocker.close()
        await append
        stored = await service.get_session(app_name="a", user_id="u", session_id=session.id)
        assert stored is not None
        assert len(stored.events) == 1


async def test_a_lock_held_past_the_busy_timeout_is_a_clear_error(db_path: Path) -> None:
    from adk_sqlite.errors import DatabaseLockedError

    async with SessionService(SqliteStore(db_path, busy_timeout=0.2)) as service:
        session = await service.create_session(app_name="a", user_id="u")
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(DatabaseLockedError, match="locked"):
                await service.append_event(session, Event(author="agent"))
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        await service.append_event(session, Event(author="agent"))


async def test_a_session_object_from_before_a_delete_is_stale_for_a_recreated_session(
    service: SessionService,
) -> None:
    old = await service.create_session(app_name="a", user_id="u", session_id="s")
    await service.delete_session(app_name="a", user_id="u", session_id="s")
    await service.create_session(app_name="a", user_id="u", session_id="s")
    with pytest.raises(StaleSessionError):
        await service.append_event(old, Event(author="agent"))
