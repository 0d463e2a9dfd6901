"""Idempotent, resumable, incremental: run it twice, kill it, run it again."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
import textwrap
import threading
from pathlib import Path

import asyncpg
import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from adk_sqlite import (
    ExportProgress,
    PostgresStore,
    SessionService,
    SqliteStore,
    export_to_postgres,
)

from ._support import apps_of, assert_same_sessions, build_source


async def _count(dsn: str, sql: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        value: int = await connection.fetchval(sql)
        return value
    finally:
        await connection.close()


async def _event_rows(dsn: str) -> tuple[int, int]:
    """(rows, distinct (session, id) pairs) in the target's events table."""
    rows = await _count(dsn, "SELECT count(*) FROM adk_events")
    distinct = await _count(
        dsn, "SELECT count(DISTINCT (app_name, user_id, session_id, id)) FROM adk_events"
    )
    return rows, distinct


async def test_running_twice_copies_nothing_the_second_time(source_path: Path, dsn: str) -> None:
    await build_source(source_path, sessions=4, events=5)
    first = await export_to_postgres(source_path, dsn)

    second = await export_to_postgres(source_path, dsn)

    assert first.events.copied_rows == 20
    assert [t.copied_rows for t in second.tables] == [0, 0, 0, 0, 0, 0, 0]
    assert second.verified
    assert second.checksums == first.checksums
    assert await _event_rows(dsn) == (20, 20)
    assert await _count(dsn, "SELECT count(*) FROM adk_sessions") == 4


async def test_rows_written_to_the_source_later_are_picked_up(source_path: Path, dsn: str) -> None:
    keys = await build_source(source_path, sessions=2, events=3)
    await export_to_postgres(source_path, dsn)
    app, user, session_id = keys[0]
    async with SessionService(SqliteStore(source_path)) as service:
        session = await service.get_session(app_name=app, user_id=user, session_id=session_id)
        assert session is not None
        await service.append_event(
            session,
            Event(
                author="agent",
                actions=EventActions(state_delta={"own": "later", "app:shared": "later"}),
            ),
        )
        newcomer = await service.create_session(
            app_name="c", user_id="new", state={"user:fresh": True}
        )
        await service.append_event(newcomer, Event(author="user"))

    report = await export_to_postgres(source_path, dsn)

    assert report.sessions.copied_rows == 2  # one new, one brought up to date
    assert report.events.copied_rows == 2
    assert report.app_states.copied_rows == 1
    assert report.user_states.copied_rows == 1
    await assert_same_sessions(source_path, dsn, app_names=apps_of(source_path))


_KILLED_EXPORT = textwrap.dedent(
    """
    import asyncio, sys, time
    from adk_sqlite import export_to_postgres

    def progress(step):
        print(step.phase, step.done, step.total, flush=True)
        if step.phase == "events":
            time.sleep(0.02)  # a slow link: the kill lands mid-way, not after the end

    asyncio.run(export_to_postgres(sys.argv[1], sys.argv[2], batch_size=25, progress=progress))
    print("finished", flush=True)
    """
)


async def test_killed_half_way_then_rerun_holds_each_row_once(source_path: Path, dsn: str) -> None:
    await build_source(source_path, sessions=8, events=60)
    total = 8 * 60
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _KILLED_EXPORT,
        str(source_path),
        dsn,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    while True:
        line = (await asyncio.wait_for(child.stdout.readline(), timeout=120)).decode()
        assert line, "the export process died before it could be killed"
        assert line != "finished\n", "the export ended before it could be killed"
        phase, done, _ = line.split()
        if phase == "events" and int(done) >= total // 3:
            child.send_signal(signal.SIGKILL)
            break
    await child.wait()
    assert child.returncode == -signal.SIGKILL
    rows_after_kill, _ = await _event_rows(dsn)
    assert 0 < rows_after_kill < total

    report = await export_to_postgres(source_path, dsn)

    assert report.verified
    assert report.events.copied_rows == total - rows_after_kill
    assert await _event_rows(dsn) == (total, total)
    await assert_same_sessions(source_path, dsn, app_names=apps_of(source_path))


class _InterruptedError(Exception):
    """Raised by a progress callback to stop an export."""


async def test_an_export_stopped_by_its_progress_callback_resumes(
    source_path: Path, dsn: str
) -> None:
    await build_source(source_path, sessions=3, events=10)

    def stop_after_two_batches(step: ExportProgress) -> None:
        if step.phase == "events" and step.done >= 8:
            raise _InterruptedError

    with pytest.raises(_InterruptedError):
        await export_to_postgres(source_path, dsn, batch_size=4, progress=stop_after_two_batches)
    assert await _event_rows(dsn) == (8, 8)

    report = await export_to_postgres(source_path, dsn, batch_size=4)

    assert report.events.copied_rows == 22
    assert await _event_rows(dsn) == (30, 30)
    await assert_same_sessions(source_path, dsn, app_names=apps_of(source_path))


async def test_a_live_writer_is_not_blocked_and_its_write_goes_in_the_next_run(
    source_path: Path, dsn: str
) -> None:
    (key, *_) = await build_source(source_path, sessions=2, events=4)
    app, user, session_id = key
    appended: list[str] = []

    def append_from_another_thread() -> None:
        # A writer with no patience at all: any lock held by the export fails it.
        async def append() -> None:
            async with SessionService(SqliteStore(source_path, busy_timeout=0)) as service:
                session = await service.get_session(
                    app_name=app, user_id=user, session_id=session_id
                )
                assert session is not None
                event = await service.append_event(session, Event(author="live"))
                appended.append(event.id)

        asyncio.run(append())

    def write_during_the_copy(step: ExportProgress) -> None:
        if step.phase == "events" and step.done == 0:
            writer = threading.Thread(target=append_from_another_thread)
            writer.start()
            writer.join(timeout=30)

    first = await export_to_postgres(source_path, dsn, progress=write_during_the_copy)

    assert len(appended) == 1
    assert first.verified
    assert first.events.source_rows == 8  # the snapshot the export started from
    second = await export_to_postgres(source_path, dsn)
    assert second.events.copied_rows == 1
    await assert_same_sessions(source_path, dsn, app_names=apps_of(source_path))


async def test_the_source_file_is_never_written(source_path: Path, dsn: str) -> None:
    await build_source(source_path, sessions=2, events=2)
    with sqlite3.connect(source_path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    before = source_path.read_bytes()

    await export_to_postgres(source_path, dsn)
    await export_to_postgres(source_path, dsn)

    assert source_path.read_bytes() == before


async def test_a_target_store_is_left_open_and_usable(source_path: Path, dsn: str) -> None:
    await build_source(source_path, sessions=1, events=1)
    async with PostgresStore(dsn) as target:
        await export_to_postgres(source_path, target)
        listing = await target.list_sessions(app_name="a")
    assert len(listing.sessions) == 1
