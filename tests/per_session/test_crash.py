"""A writer killed with SIGKILL leaves sound files, a catalog naming only real files, and
nothing acknowledged lost; whatever it interrupted, ``check --repair`` finishes.

Each round starts ``_crash_writer.py`` on the same folder, lets it work (appends with
``app:``/``user:`` deltas, creates, deletes, archives on three concurrent tasks), kills it
with SIGKILL at a random moment and then checks the folder:

* every file (catalog, sessions, archive) passes ``PRAGMA integrity_check``;
* every catalog row names a file that exists;
* the catalog drifts from the files only in the ways an interrupted operation may
  leave (never a missing, unreadable or foreign file, never a damaged file);
* every acknowledged append is stored: a live session holds events ``1..N`` in order,
  with ``N`` at least what was acknowledged or seen stored before, and at most one
  more (committed, not acknowledged); a session that is gone had a delete or an
  archive under way, and an archived one is whole in ``archive/``;
* no scoped delta is lost or half-applied: once the session is read, the ``app:`` and
  ``user:`` state under its id equal its newest event's ``n``;
* after ``check_session_folder(repair=True)`` a check finds nothing (every other round;
  in the others the next writer starts on what the kill left).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from adk_sqlite import SessionService, SqliteStore, check_session_folder

from ._crash_writer import APP

HERE = Path(__file__).resolve().parent
ROUNDS = 6
SLOW_ROUNDS = 40
ALLOWED_DRIFT = {
    "unmerged_state",
    "stale_listing",
    "orphan_file",
    "temporary_file",
    "deleted_file",
    "unfinished_archive",
    "archive_copy_of_live_session",
}


@dataclass
class Acknowledged:
    """What the writers acknowledged, per session."""

    appended: dict[str, int] = field(default_factory=dict)
    leaving: set[str] = field(default_factory=set)  # a delete or archive was started
    archived: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, path: Path) -> Acknowledged:
        acked = cls()
        for line in path.read_text().splitlines():
            assert not line.startswith("ERROR"), line
            verb, session_id, *rest = line.split()
            if verb == "append":
                acked.appended[session_id] = int(rest[0])
            elif verb in ("deleting", "archiving"):
                acked.leaving.add(session_id)
            elif verb == "deleted":
                acked.deleted.add(session_id)
            elif verb == "archived":
                acked.archived.add(session_id)
        return acked


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    source = Path(__file__).resolve().parents[2] / "src"
    env["PYTHONPATH"] = os.pathsep.join([str(source), *filter(None, [env.get("PYTHONPATH")])])
    env.pop("PYTHONWARNINGS", None)
    return env


def _run_and_kill(folder: Path, acks: Path, seed: int, rng: random.Random) -> None:
    child = subprocess.Popen(
        [sys.executable, str(HERE / "_crash_writer.py"), str(folder), str(acks), str(seed)],
        stdout=subprocess.PIPE,
        text=True,
        env=_child_env(),
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.5))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL, "the writer ended before it was killed"


def _integrity(path: Path) -> list[str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [row[0] for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()


def _events(path: Path, session_id: str) -> list[str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT id FROM adk_events WHERE session_id = ? ORDER BY timestamp_unix, seq",
            (session_id,),
        ).fetchall()
    finally:
        connection.close()
    return [row[0] for row in rows]


def _check_files(folder: Path) -> None:
    files = [folder / "catalog.db"]
    for sub in ("sessions", "archive"):
        files += [p for p in (folder / sub).glob("*.db") if not p.name.startswith(".")]
    for path in files:
        assert _integrity(path) == ["ok"], path
    connection = sqlite3.connect(folder / "catalog.db")
    try:
        named = [row[0] for row in connection.execute("SELECT file_name FROM adk_session_files")]
    finally:
        connection.close()
    missing = [name for name in named if not (folder / "sessions" / name).is_file()]
    assert missing == [], "catalog rows pointing nowhere"


async def _check_sessions(folder: Path, acked: Acknowledged, seen: dict[str, int]) -> None:
    """Checks every session the writers appended to; ``seen`` keeps the stored counts."""
    async with SessionService(SqliteStore.per_session_files(folder)) as service:
        for session_id, acknowledged in acked.appended.items():
            count = max(acknowledged, seen.get(session_id, 0))
            user_id = f"user{session_id[1]}"
            session = await service.get_session(
                app_name=APP, user_id=user_id, session_id=session_id
            )
            if session is None:
                assert session_id in acked.leaving, f"{session_id} vanished"
                if session_id in acked.archived:
                    archived = folder / "archive" / f"{APP}+{user_id}+{session_id}.db"
                    stored = _events(archived, session_id)
                    assert stored[:count] == [f"{session_id}-{n}" for n in range(1, count + 1)]
                continue
            stored = [event.id for event in session.events]
            assert count <= len(stored) <= count + 1, (session_id, count, len(stored))
            assert stored == [f"{session_id}-{n}" for n in range(1, len(stored) + 1)]
            assert session.state["n"] == len(stored)
            assert session.state[f"app:{session_id}"] == len(stored)
            assert session.state[f"user:{session_id}"] == len(stored)
            seen[session_id] = len(stored)


def _check_drift(folder: Path) -> None:
    report = check_session_folder(folder)
    assert report.catalog.ok
    assert report.file_problems == []
    unexpected = [d for d in report.drift if d.kind not in ALLOWED_DRIFT]
    assert unexpected == []


async def _campaign(folder: Path, acks: Path, rounds: int, seed: int) -> None:
    rng = random.Random(seed)
    seen: dict[str, int] = {}
    for round_number in range(rounds):
        _run_and_kill(folder, acks, seed * 1000 + round_number, rng)
        _check_files(folder)
        _check_drift(folder)
        await _check_sessions(folder, Acknowledged.read(acks), seen)
        # Every other round the next writer starts on what the kill left.
        if round_number % 2:
            assert check_session_folder(folder, repair=True).ok
            assert check_session_folder(folder).drift == []
    acked = Acknowledged.read(acks)
    assert sum(acked.appended.values()) > rounds, "the writers hardly wrote anything"


async def test_a_writer_killed_at_random_moments_leaves_a_consistent_folder(
    tmp_path: Path,
) -> None:
    await _campaign(tmp_path / "sessions", tmp_path / "acks", ROUNDS, seed=1)


@pytest.mark.slow
async def test_many_kills_leave_a_consistent_folder(tmp_path: Path) -> None:
    await _campaign(tmp_path / "sessions", tmp_path / "acks", SLOW_ROUNDS, seed=2)
