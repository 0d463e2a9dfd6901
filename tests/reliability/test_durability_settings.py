"""``synchronous`` is applied: FULL forces every commit to disk, NORMAL does not.

SQLite's ``PRAGMA synchronous`` is a per-connection setting, so a connection of the test's
own would only report its own value, and the store does not expose its writer connection.
These tests therefore check the behaviour the setting exists for: a child process makes
`APPENDS` appends under ``strace``, and the test counts the ``fsync``/``fdatasync`` system
calls. With ``FULL`` each commit syncs the WAL (at least one call per append); with
``NORMAL`` only WAL checkpoints (and creating the database) sync, so a few calls cover
all the appends. Skipped where strace is missing or not allowed to trace (no ptrace).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ._support import child_env

APPENDS = 100

WRITER = """
import asyncio, sys
from google.adk.events.event import Event
from adk_sqlite import SessionService, SqliteStore

async def main(path, level, appends):
    async with SessionService(SqliteStore(path, synchronous=level)) as service:
        session = await service.create_session(app_name="a", user_id="u")
        for _ in range(appends):
            await service.append_event(session, Event(author="agent"))

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def count_syncs(database: Path, level: str, appends: int = APPENDS) -> int:
    """How many fsync and fdatasync calls ``appends`` sequential appends cost."""
    strace = shutil.which("strace")
    if strace is None:
        pytest.skip("strace is not installed")
    summary = database.with_suffix(".strace")
    result = subprocess.run(
        [
            strace,
            "-f",
            "-c",
            "-e",
            "trace=fsync,fdatasync",
            "-o",
            str(summary),
            sys.executable,
            "-c",
            WRITER,
            str(database),
            level,
            str(appends),
        ],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=300,
        check=False,
    )
    if result.returncode != 0 and "ptrace" in result.stderr.lower():
        pytest.skip(f"strace cannot trace here: {result.stderr.strip()[:200]}")
    assert result.returncode == 0, result.stderr
    calls = 0
    for line in summary.read_text().splitlines():
        fields = line.split()
        if fields and fields[-1] in ("fsync", "fdatasync"):
            calls += int(fields[3])
    return calls


def test_full_syncs_every_commit(tmp_path: Path) -> None:
    assert count_syncs(tmp_path / "full.db", "FULL") >= APPENDS


def test_extra_syncs_every_commit(tmp_path: Path) -> None:
    assert count_syncs(tmp_path / "extra.db", "EXTRA") >= APPENDS


def test_normal_syncs_only_at_checkpoints(tmp_path: Path) -> None:
    assert count_syncs(tmp_path / "normal.db", "NORMAL") < APPENDS // 4
