"""Several processes writing one file: nothing lost, no lock errors, stale writers refused.

The writers are separate processes (``_contention_writer.py``), each with its own store and
connections, so only SQLite's file locking stands between them; ``busy_timeout`` (30 s by
default) is what keeps a writer waiting for the lock instead of failing.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.adk.events.event import Event

from adk_sqlite import DatabaseLockedError, SessionService, SqliteStore

from ._contention_writer import APP, RACE_KEY, _user_of
from ._support import integrity_problems, start_child


@dataclass
class ContentionFigures:
    processes: int
    appends: int
    stored: int
    errors: int
    seconds: float


def _expected_counts(sessions: int, appends: int) -> list[int]:
    return [appends // sessions + (n < appends % sessions) for n in range(sessions)]


def _finish(writer: subprocess.Popen[str], timeout: float) -> str:
    output, _ = writer.communicate(timeout=timeout)
    assert writer.returncode == 0, f"a writer exited with {writer.returncode}"
    return output


async def run_contention(
    database: Path, *, processes: int, sessions: int, appends: int
) -> ContentionFigures:
    writers = [
        start_child(
            "_contention_writer.py", "appends", str(database), str(i), str(sessions), str(appends)
        )
        for i in range(processes)
    ]
    try:
        for writer in writers:  # every process has opened the file and made its sessions
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
        started = time.monotonic()
        for writer in writers:
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.flush()
        reports = [json.loads(_finish(writer, timeout=600)) for writer in writers]
        seconds = time.monotonic() - started
    finally:
        for writer in writers:
            if writer.poll() is None:
                writer.kill()
                writer.wait()
    errors = [error for report in reports for error in report["errors"]]
    assert errors == [], errors[:5]
    assert [report["appended"] for report in reports] == [appends] * processes

    assert integrity_problems(database) == []
    expected = _expected_counts(sessions, appends)
    stored = 0
    async with SessionService(SqliteStore(database)) as service:
        app_state = await service.get_app_state(app_name=APP)
        for process in range(processes):
            for number, count in enumerate(expected):
                user_id = _user_of(process, number)
                session = await service.get_session(
                    app_name=APP, user_id=user_id, session_id=f"p{process}-s{number}"
                )
                assert session is not None
                ids = [event.id for event in session.events]
                assert ids == [f"p{process}-s{number}-{n}" for n in range(1, count + 1)]
                assert session.state["n"] == count
                # Rows that every process (app) or several processes (user) rewrite kept
                # each writer's last value: no update was lost to another process.
                assert app_state[f"p{process}-s{number}"] == count
                assert session.state[f"user:p{process}-s{number}"] == count
                stored += len(ids)
    return ContentionFigures(processes, processes * appends, stored, len(errors), seconds)


async def test_four_processes_appending_to_one_file_lose_nothing(tmp_path: Path) -> None:
    figures = await run_contention(tmp_path / "shared.db", processes=4, sessions=10, appends=500)
    assert figures.stored == figures.appends == 2000


@pytest.mark.slow
async def test_eight_processes_with_many_appends_lose_nothing(tmp_path: Path) -> None:
    figures = await run_contention(tmp_path / "shared.db", processes=8, sessions=20, appends=5000)
    print(f"\ncontention: {figures}")
    assert figures.stored == figures.appends == 40_000


def _command(writer: subprocess.Popen[str], command: str) -> None:
    assert writer.stdin is not None
    writer.stdin.write(command + "\n")
    writer.stdin.flush()


def _reply(writer: subprocess.Popen[str]) -> str:
    assert writer.stdout is not None
    return writer.stdout.readline().strip()


async def run_race(database: Path, rounds: int) -> list[str]:
    """Two processes append through copies of the same revision, ``rounds`` times."""
    async with SessionService(SqliteStore(database)) as service:
        await service.create_session(**RACE_KEY)
    racers = {
        name: start_child("_contention_writer.py", "race", str(database), name)
        for name in ("left", "right")
    }
    winners: list[str] = []
    try:
        for _ in range(rounds):
            for racer in racers.values():
                _command(racer, "read")
            assert [_reply(racer) for racer in racers.values()] == ["ready", "ready"]
            for racer in racers.values():
                _command(racer, "go")
            outcomes = sorted(_reply(racer) for racer in racers.values())
            assert outcomes[0] == "stale", outcomes
            assert outcomes[1].startswith("won "), outcomes
            winners.append(outcomes[1].removeprefix("won "))
    finally:
        for racer in racers.values():
            assert racer.stdin is not None
            racer.stdin.close()
            racer.wait(timeout=60)
            assert racer.stdout is not None
            racer.stdout.close()
    async with SessionService(SqliteStore(database)) as service:
        session = await service.get_session(**RACE_KEY)
    assert session is not None
    # Exactly the winners' events landed, in order, and only their deltas.
    assert [event.id for event in session.events] == winners
    for event in session.events:
        assert event.actions.state_delta["winner"] == event.id.split("-")[0]
    assert session.state["winner"] == winners[-1].split("-")[0]
    assert session.state["round"] == rounds
    assert integrity_problems(database) == []
    return winners


async def test_two_processes_racing_on_one_session_one_wins_one_is_stale(
    tmp_path: Path,
) -> None:
    winners = await run_race(tmp_path / "race.db", rounds=10)
    assert len(winners) == 10


@pytest.mark.slow
async def test_hundreds_of_races_one_winner_each(tmp_path: Path) -> None:
    winners = await run_race(tmp_path / "race.db", rounds=500)
    print(
        f"\nraces: {len(winners)}, won by left {sum(w.startswith('left') for w in winners)},"
        f" by right {sum(w.startswith('right') for w in winners)}"
    )
    assert len(winners) == 500


def _holds_the_write_lock(database: Path) -> bool:
    """Whether another connection holds SQLite's write lock right now."""
    probe = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()
    return False


def _wait_until_stopped(pid: int) -> None:
    stat = Path(f"/proc/{pid}/stat")
    for _ in range(5000):
        # The state is the first field after the parenthesised command name.
        if stat.read_text().rsplit(")", 1)[1].split()[0] in ("T", "t"):
            return
        time.sleep(0.0002)
    pytest.fail(f"process {pid} did not stop after SIGSTOP")


def _stop_inside_a_transaction(writer: subprocess.Popen[str], database: Path) -> None:
    """SIGSTOPs the busy writer, until it is caught holding the write lock."""
    for attempt in range(2000):
        writer.send_signal(signal.SIGSTOP)
        # The signal is delivered asynchronously: probe only once the process has
        # really stopped, or it may still commit after the probe saw the lock.
        _wait_until_stopped(writer.pid)
        if _holds_the_write_lock(database):
            return
        writer.send_signal(signal.SIGCONT)
        time.sleep(0.001 * (attempt % 7))
    pytest.fail("never caught the busy writer inside a transaction")


async def test_a_writer_stuck_holding_the_lock_costs_others_busy_timeout_not_forever(
    tmp_path: Path,
) -> None:
    database = tmp_path / "stuck.db"
    async with SessionService(SqliteStore(database)) as service:
        session = await service.create_session(app_name=APP, user_id="u", session_id="s")
    writer = start_child("_contention_writer.py", "busy", str(database))
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "ready"
    store = SqliteStore(database, busy_timeout=0.5)
    try:
        await store.create_tables()  # opened (and migrated) before the other writer stops
        _stop_inside_a_transaction(writer, database)
        started = time.monotonic()
        with pytest.raises(DatabaseLockedError):
            await asyncio.wait_for(
                SessionService(store).append_event(session, Event(author="agent")), timeout=3
            )
        assert time.monotonic() - started < 3
    finally:
        writer.send_signal(signal.SIGCONT)
        writer.kill()
        writer.wait()
        if writer.stdout is not None:
            writer.stdout.close()
        if writer.stdin is not None:
            writer.stdin.close()
        await store.close()
