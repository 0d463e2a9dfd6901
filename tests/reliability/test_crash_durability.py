"""Writers killed with SIGKILL at random moments lose nothing they acknowledged.

Each run forks a writer (see ``_crash_writer.py``) that appends events with state deltas in
every scope, lets it run for a random time between 0 and `MAX_LIFETIME` seconds (so kills
land while it opens or migrates the database, in the middle of appends, group commits and
WAL checkpoints), kills it with SIGKILL and then checks the file:

* ``PRAGMA integrity_check`` is ``ok`` and ``PRAGMA foreign_key_check`` is empty;
* every event whose ``append_event`` had returned before the kill is stored;
* each session's events are exactly ``<session>-1 .. <session>-N``, in order: nothing
  missing in the middle, no partial event, every row decodes;
* no half-applied delta: the session's ``n``, ``last`` and ``payload``, the ``app:`` and
  the ``user:`` state all equal the values carried by the newest stored event that wrote
  them, and no ``temp:`` key was stored;
* at most one append per writer task is stored without having been acknowledged (it
  committed, and the writer died before it could say so).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from google.adk.sessions.base_session_service import GetSessionConfig
from google.adk.sessions.session import Session

from adk_sqlite import SessionService, SqliteStore

from ._crash_writer import APP, SESSIONS
from ._support import integrity_problems, start_child, table_names

MAX_LIFETIME = 0.3
KILLS_PER_FILE = 25
OUR_TABLES = {"adk_sessions", "adk_events", "adk_app_states", "adk_user_states"}


@dataclass
class CrashFigures:
    """What a campaign of kills did, for the report in docs/reliability.md."""

    kills: int = 0
    files: int = 0
    acknowledged: int = 0
    stored: int = 0
    committed_unacknowledged: int = 0
    kills_before_first_ack: int = 0
    lost: int = 0


class ForkServer:
    """The `_crash_writer` fork server: `spawn` forks one writer and returns its pid."""

    def __init__(self) -> None:
        self._process = start_child("_crash_writer.py")

    def spawn(self, database: Path, acks: Path, seed: int, synchronous: str) -> int:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._process.stdin.write(f"{database} {acks} {seed} {synchronous}\n")
        self._process.stdin.flush()
        return int(self._process.stdout.readline())

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=30)
        if self._process.stdout is not None:
            self._process.stdout.close()


@contextlib.contextmanager
def fork_server() -> Iterator[ForkServer]:
    server = ForkServer()
    try:
        yield server
    finally:
        server.close()


def kill_and_wait(pid: int) -> None:
    """SIGKILLs a writer and returns once it is gone (the fork server reaps it)."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        assert time.monotonic() < deadline, f"writer {pid} survived SIGKILL"
        time.sleep(0.001)


def read_acknowledgements(path: Path) -> list[str]:
    lines = path.read_text().splitlines() if path.exists() else []
    errors = [line for line in lines if line.startswith("ERROR")]
    assert errors == [], f"a writer failed before it was killed: {errors}"
    return lines


@dataclass
class StoredEvents:
    """What the events table holds, read with plain SQL (the schema is documented)."""

    ids: dict[tuple[str, str], list[str]]  # per (user, session), in read order
    newest_in_app: str | None  # in append order
    newest_of_user: dict[str, str]

    @classmethod
    def read(cls, database: Path) -> StoredEvents:
        connection = sqlite3.connect(database)
        try:
            rows = connection.execute(
                "SELECT user_id, session_id, id, timestamp_unix, seq FROM adk_events"
                " WHERE app_name = ? ORDER BY seq",
                (APP,),
            ).fetchall()
        finally:
            connection.close()
        by_session: dict[tuple[str, str], list[tuple[float, int, str]]] = {}
        newest_of_user: dict[str, str] = {}
        for user_id, session_id, event_id, timestamp, seq in rows:
            by_session.setdefault((user_id, session_id), []).append((timestamp, seq, event_id))
            newest_of_user[user_id] = event_id
        return cls(
            ids={key: [row[2] for row in sorted(events)] for key, events in by_session.items()},
            newest_in_app=rows[-1][2] if rows else None,
            newest_of_user=newest_of_user,
        )


def check_session(session: Session, all_ids: list[str]) -> None:
    """Asserts a session holds whole events and whole deltas only.

    ``session`` holds the newest of its events (the ones not checked before) and
    ``all_ids`` every stored event id of the session.
    """
    expected = [f"{session.id}-{k}" for k in range(1, len(all_ids) + 1)]
    assert all_ids == expected, f"session {session.id} has a gap or a stray event"
    assert session.state["n"] == len(all_ids)
    assert not any(key.startswith("temp:") for key in session.state)
    first = len(all_ids) - len(session.events) + 1
    for k, event in enumerate(session.events, start=first):
        assert event.id == all_ids[k - 1]
        delta = event.actions.state_delta
        assert delta["n"] == k
        assert "temp:scratch" not in delta
        assert event.content is not None
        assert event.content.parts is not None
        assert event.content.parts[0].text == f"{event.id} {delta['payload']}"
    if all_ids:
        newest = session.events[-1].actions.state_delta
        assert session.state["last"] == newest["last"] == all_ids[-1]
        assert session.state["payload"] == newest["payload"]


class FileChecker:
    """Checks one database file after each kill; remembers what it already decoded."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.acknowledged: set[str] = set()
        self.stored: set[str] = set()
        self._checked_until: dict[str, float] = {}

    async def check(self) -> set[str]:
        """Checks the file after a kill; returns the ids of the events stored since the last."""
        if not self.database.exists():
            assert self.acknowledged == set()
            return set()
        assert integrity_problems(self.database) == []
        tables = set(table_names(self.database)) & OUR_TABLES
        # Migration is one transaction: the tables exist together or not at all.
        assert tables in (set(), OUR_TABLES)
        if not tables:
            assert self.acknowledged == set()
            return set()
        events = StoredEvents.read(self.database)
        async with SessionService(SqliteStore(self.database)) as service:
            for user_id, session_id in SESSIONS:
                await self._check_session(service, user_id, session_id, events.ids)
            app_state = await service.get_app_state(app_name=APP)
            assert app_state.get("last") == events.newest_in_app
            for user_id in {user_id for user_id, _ in SESSIONS}:
                user_state = await service.get_user_state(app_name=APP, user_id=user_id)
                assert user_state.get("last") == events.newest_of_user.get(user_id)
        stored = {event_id for ids in events.ids.values() for event_id in ids}
        missing = self.acknowledged - stored
        assert missing == set(), f"acknowledged appends were lost: {sorted(missing)[:10]}"
        new, self.stored = stored - self.stored, stored
        return new

    async def _check_session(
        self,
        service: SessionService,
        user_id: str,
        session_id: str,
        all_ids: dict[tuple[str, str], list[str]],
    ) -> None:
        # Decode, through the library, only the events not decoded after an earlier kill
        # (after_timestamp is inclusive, so the newest one checked before comes again).
        session = await service.get_session(
            app_name=APP,
            user_id=user_id,
            session_id=session_id,
            config=GetSessionConfig(after_timestamp=self._checked_until.get(session_id, 0.0)),
        )
        if session is None:
            assert not any(ack.startswith(f"{session_id}-") for ack in self.acknowledged)
            assert (user_id, session_id) not in all_ids
            return
        check_session(session, all_ids.get((user_id, session_id), []))
        if session.events:
            self._checked_until[session_id] = session.events[-1].timestamp


async def run_crash_campaign(
    directory: Path, *, kills: int, synchronous: str, seed: int
) -> CrashFigures:
    rng = random.Random(seed)
    figures = CrashFigures()
    with fork_server() as server:
        for file_number in range((kills + KILLS_PER_FILE - 1) // KILLS_PER_FILE):
            # A fresh file now and then keeps each check fast and puts more kills into
            # the first open of a database.
            checker = FileChecker(directory / f"crash-{file_number}.db")
            figures.files += 1
            for run in range(min(KILLS_PER_FILE, kills - figures.kills)):
                acks = directory / f"acks-{file_number}-{run}.txt"
                pid = server.spawn(checker.database, acks, rng.randrange(2**32), synchronous)
                await asyncio.sleep(rng.uniform(0, MAX_LIFETIME))
                kill_and_wait(pid)
                figures.kills += 1
                new_acks = read_acknowledgements(acks)
                if not new_acks:
                    figures.kills_before_first_ack += 1
                checker.acknowledged.update(new_acks)
                unacknowledged = await checker.check() - set(new_acks)
                # One append in flight per writer task at most.
                assert len(unacknowledged) <= len(SESSIONS), sorted(unacknowledged)
                figures.committed_unacknowledged += len(unacknowledged)
            figures.acknowledged += len(checker.acknowledged)
            figures.stored += len(checker.stored)
            figures.lost += len(checker.acknowledged - checker.stored)
    return figures


async def test_writers_killed_at_random_moments_lose_nothing_acknowledged(
    tmp_path: Path,
) -> None:
    figures = await run_crash_campaign(tmp_path, kills=20, synchronous="NORMAL", seed=7)
    assert figures.kills == 20
    assert figures.acknowledged > 0
    assert figures.lost == 0


@pytest.mark.slow
@pytest.mark.parametrize(("synchronous", "kills"), [("NORMAL", 300), ("FULL", 200)])
async def test_hundreds_of_kills_lose_nothing_acknowledged(
    tmp_path: Path, synchronous: str, kills: int
) -> None:
    started = time.monotonic()
    figures = await run_crash_campaign(tmp_path, kills=kills, synchronous=synchronous, seed=2024)
    seconds = time.monotonic() - started
    print(f"\ncrash campaign synchronous={synchronous}: {figures} in {seconds:.0f} s")
    assert figures.kills == kills
    assert figures.lost == 0
