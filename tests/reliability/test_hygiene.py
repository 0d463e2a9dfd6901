"""Resource hygiene: thousands of open/close cycles leave no thread, descriptor or connection.

Each cycle opens a store the way an application would (a file, ``:memory:``, a file that
is not a database, a store opened and closed without a single call) and closes it. After
every hundred cycles the process must hold exactly the threads, file descriptors and
``sqlite3.Connection`` objects it held before the first.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from google.adk.events.event import Event

from adk_sqlite import DatabaseUnavailableError, SessionService, SqliteStore

from ._support import child_env, open_fds


def _connections() -> int:
    return sum(isinstance(thing, sqlite3.Connection) for thing in gc.get_objects())


async def snapshot(expected_threads: int | None = None) -> tuple[int, list[str], int]:
    """Threads, descriptors and connections, once finished threads have ended."""
    deadline = time.monotonic() + 5
    while expected_threads is not None and threading.active_count() > expected_threads:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.005)
    gc.collect()
    return threading.active_count(), sorted(open_fds()), _connections()


async def _one_cycle(n: int, directory: Path, not_a_database: Path) -> None:
    kind = n % 4
    if kind == 0:
        async with SessionService(SqliteStore(directory / f"cycle-{n % 7}.db")) as service:
            session = await service.create_session(app_name="a", user_id="u", state={"n": n})
            await service.append_event(session, Event(author="agent"))
            assert await service.get_session(app_name="a", user_id="u", session_id=session.id)
    elif kind == 1:
        async with SessionService(SqliteStore(":memory:")) as service:
            await service.create_session(app_name="a", user_id="u")
            await service.list_sessions(app_name="a")
    elif kind == 2:
        service = SessionService(SqliteStore(not_a_database))
        with pytest.raises(DatabaseUnavailableError):
            await service.create_session(app_name="a", user_id="u")
        await service.close()
    else:
        store = SqliteStore(directory / "untouched.db")
        await store.create_tables()
        await store.close()
        await store.close()


async def run_cycles(directory: Path, cycles: int) -> tuple[int, list[str], int]:
    not_a_database = directory / "notes.db"
    not_a_database.write_text("not a database\n" * 100)
    # One cycle of each kind first, so lazily built caches do not count as leaks.
    for n in range(4):
        await _one_cycle(n, directory, not_a_database)
    before = await snapshot()
    for n in range(cycles):
        await _one_cycle(n, directory, not_a_database)
        if n % 100 == 99 or n == cycles - 1:
            now = await snapshot(expected_threads=before[0])
            assert now == before, f"after {n + 1} cycles"
    return before


async def test_hundreds_of_open_close_cycles_leak_nothing(tmp_path: Path) -> None:
    await run_cycles(tmp_path, 300)


@pytest.mark.slow
async def test_ten_thousand_open_close_cycles_leak_nothing(tmp_path: Path) -> None:
    started = time.monotonic()
    threads, fds, connections = await run_cycles(tmp_path, 10_000)
    print(
        f"\n10,000 cycles in {time.monotonic() - started:.0f} s; steady at {threads} threads,"
        f" {len(fds)} descriptors, {connections} sqlite3 connections"
    )


async def test_a_store_collected_while_open_warns_and_releases_everything(
    tmp_path: Path,
) -> None:
    before = await snapshot()
    services = [SessionService(SqliteStore(tmp_path / "forgotten.db"))]
    await services[0].create_session(app_name="a", user_id="u")
    assert threading.active_count() > before[0]
    with pytest.warns(ResourceWarning, match="garbage-collected while open"):
        _drop_and_collect(services)
    assert await snapshot(expected_threads=before[0]) == before


def _drop_and_collect(services: list[SessionService]) -> None:
    services.clear()
    gc.collect()


def test_a_forgotten_store_does_not_keep_the_interpreter_from_exiting(tmp_path: Path) -> None:
    script = (
        "import asyncio\n"
        "from adk_sqlite import SessionService, SqliteStore\n"
        "async def main():\n"
        f"    service = SessionService(SqliteStore({str(tmp_path / 'left-open.db')!r}))\n"
        "    await service.create_session(app_name='a', user_id='u', session_id='s')\n"
        "    globals()['kept'] = service\n"
        "asyncio.run(main())\n"
        "print('done', flush=True)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    # The committed session survived the unclosed exit.
    connection = sqlite3.connect(tmp_path / "left-open.db")
    try:
        assert connection.execute("SELECT id FROM adk_sessions").fetchall() == [("s",)]
    finally:
        connection.close()
