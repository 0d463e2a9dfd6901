"""Inline I/O: reads, and writes while both locks are free, run on the event loop's thread.

These tests drive `GroupCommitter` on a real writer connection, with jobs that
report the thread they ran on, and check that a taken lock (another adk-sqlite
writer's ``flock`` or any SQLite writer) never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.errors import DatabaseLockedError
from adk_sqlite.sqlite.engine.connection import open_connection, parse_database, run_on_connection
from adk_sqlite.sqlite.engine.writer import GroupCommitter, WriteLock


@pytest.fixture
async def committer(db_path: Path) -> AsyncIterator[GroupCommitter]:
    target = parse_database(db_path)
    writer = await open_connection(target, role="writer", busy_timeout_ms=0, synchronous="NORMAL")
    await run_on_connection(writer, lambda raw: raw.execute("CREATE TABLE t (n INTEGER)"))
    lock = WriteLock(db_path, timeout=5.0)
    lock.open()
    try:
        yield GroupCommitter(writer, target, lock=lock, inline=True, busy_timeout_ms=5000)
    finally:
        lock.close()
        await writer.close()


def _insert_and_report_thread(n: int) -> Callable[[sqlite3.Connection], int]:
    def job(connection: sqlite3.Connection) -> int:
        connection.execute("INSERT INTO t VALUES (?)", (n,))
        return threading.get_ident()

    return job


def _rows(db_path: Path) -> list[int]:
    with sqlite3.connect(db_path) as reader:
        return [n for (n,) in reader.execute("SELECT n FROM t ORDER BY n")]


async def _ticks_while(awaitable: asyncio.Future[Any], seconds: float) -> int:
    """Counts event-loop turns of 10 ms during ``seconds`` while ``awaitable`` waits."""
    ticks = 0
    for _ in range(int(seconds / 0.01)):
        await asyncio.sleep(0.01)
        ticks += 1
    assert not awaitable.done()
    return ticks


async def test_a_write_with_the_locks_free_commits_on_the_loop_thread(
    committer: GroupCommitter, db_path: Path
) -> None:
    thread = await committer.submit(_insert_and_report_thread(1))
    assert thread == threading.get_ident()
    assert _rows(db_path) == [1]


async def test_writes_ready_together_share_one_inline_transaction(
    committer: GroupCommitter, db_path: Path
) -> None:
    wal = db_path.with_name(db_path.name + "-wal")
    before = wal.stat().st_size
    threads = await asyncio.gather(
        *(committer.submit(_insert_and_report_thread(n)) for n in range(50))
    )
    assert set(threads) == {threading.get_ident()}
    assert _rows(db_path) == list(range(50))
    # One transaction writes the table's page once; fifty would write it fifty times.
    assert (wal.stat().st_size - before) < 5 * (4096 + 24)


async def test_another_writers_flock_sends_the_write_to_the_thread_and_the_loop_runs_on(
    committer: GroupCommitter, db_path: Path
) -> None:
    # Another open file description on the lock file: flock treats it as another writer.
    other = os.open(db_path.with_name(db_path.name + "-lock"), os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        write = asyncio.ensure_future(committer.submit(_insert_and_report_thread(7)))
        assert await _ticks_while(write, 0.3) >= 20
        fcntl.flock(other, fcntl.LOCK_UN)
        thread = await asyncio.wait_for(write, 5)
    finally:
        os.close(other)
    assert thread != threading.get_ident()
    assert _rows(db_path) == [7]
    # The lock is free again: the next write is inline once more.
    assert await committer.submit(_insert_and_report_thread(8)) == threading.get_ident()


async def test_a_foreign_sqlite_writer_sends_the_write_to_the_thread_and_the_loop_runs_on(
    committer: GroupCommitter, db_path: Path
) -> None:
    blocker = sqlite3.connect(db_path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        write = asyncio.ensure_future(committer.submit(_insert_and_report_thread(3)))
        assert await _ticks_while(write, 0.3) >= 20
        blocker.execute("COMMIT")
        thread = await asyncio.wait_for(write, 5)
    finally:
        blocker.close()
    assert thread != threading.get_ident()
    assert _rows(db_path) == [3]


async def test_a_failing_inline_job_fails_alone(committer: GroupCommitter, db_path: Path) -> None:
    def failing(connection: sqlite3.Connection) -> None:
        connection.execute("INSERT INTO t VALUES (-1)")
        raise ValueError("refused")

    results = await asyncio.gather(
        committer.submit(_insert_and_report_thread(1)),
        committer.submit(failing),
        committer.submit(_insert_and_report_thread(2)),
        return_exceptions=True,
    )
    assert isinstance(results[1], ValueError)
    assert _rows(db_path) == [1, 2]


@pytest.mark.parametrize(
    "options",
    [{"synchronous": "FULL"}, {"synchronous": "EXTRA"}, {"inline_io": False}],
    ids=["full", "extra", "switched-off"],
)
async def test_without_inline_commits_a_taken_lock_still_waits_off_the_loop(
    db_path: Path, options: dict[str, object]
) -> None:
    async with SessionService(SqliteStore(db_path, busy_timeout=5, **options)) as service:  # type: ignore[arg-type]
        session = await service.create_session(app_name="a", user_id="u")
        blocker = sqlite3.connect(db_path, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            append = asyncio.ensure_future(service.append_event(session, Event(author="agent")))
            assert await _ticks_while(append, 0.3) >= 20
            blocker.execute("COMMIT")
            await asyncio.wait_for(append, 5)
        finally:
            blocker.close()


async def test_the_busy_timeout_still_bounds_a_wait_that_began_inline(db_path: Path) -> None:
    async with SessionService(SqliteStore(db_path, busy_timeout=0.3)) as service:
        session = await service.create_session(app_name="a", user_id="u")
        blocker = sqlite3.connect(db_path, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            with pytest.raises(DatabaseLockedError):
                await asyncio.wait_for(service.append_event(session, Event(author="agent")), 5)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        # Inline again once the lock is free, with the busy timeout restored to 0
        # on the writer (a later taken lock fails over at once, never sleeps).
        await service.append_event(session, Event(author="agent"))
        stored = await service.get_session(app_name="a", user_id="u", session_id=session.id)
        assert stored is not None
        assert len(stored.events) == 1


async def test_reads_on_the_loop_never_wait_for_a_writer_in_the_middle_of_a_transaction(
    db_path: Path,
) -> None:
    async with SessionService(SqliteStore(db_path, busy_timeout=30)) as service:
        session = await service.create_session(app_name="a", user_id="u", state={"k": 1})
        await service.append_event(session, Event(author="agent"))
        writer = sqlite3.connect(db_path, isolation_level=None)
        try:
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("DELETE FROM adk_events")
            started = asyncio.get_running_loop().time()
            stored = await service.get_session(app_name="a", user_id="u", session_id=session.id)
            listed = await service.list_sessions(app_name="a", user_id="u")
            elapsed = asyncio.get_running_loop().time() - started
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        assert stored is not None
        assert len(stored.events) == 1  # the committed state, not the pending delete
        assert [s.id for s in listed.sessions] == [session.id]
        assert elapsed < 5  # far below the busy timeout: nothing waited for the lock


async def test_a_read_that_finds_a_lock_taken_is_retried_on_the_reader_thread(
    db_path: Path,
) -> None:
    # A WAL reader meets a lock only while another connection recovers the log,
    # which cannot be staged on demand; this job meets a real SQLITE_BUSY from
    # SQLite on its first run instead (a write lock held elsewhere), as such a
    # read would.
    store = SqliteStore(db_path, busy_timeout=10)
    async with store:
        holder = sqlite3.connect(db_path, isolation_level=None)
        contender = sqlite3.connect(db_path, isolation_level=None, timeout=0)
        holder.execute("BEGIN IMMEDIATE")
        threads: list[int] = []

        def job(connection: sqlite3.Connection) -> int:
            threads.append(threading.get_ident())
            if len(threads) == 1:
                contender.execute("BEGIN IMMEDIATE")  # raises SQLITE_BUSY
            (count,) = connection.execute("SELECT count(*) FROM adk_sessions").fetchone()
            return int(count)

        try:
            assert await store._read(job) == 0
        finally:
            holder.execute("ROLLBACK")
            holder.close()
            contender.close()
    assert threads[0] == threading.get_ident()  # first try: inline
    assert threads[1] != threading.get_ident()  # the retry: on the reader's thread
