"""`ArtifactService` on `SqliteStore`: what the shared contract suite cannot show.

Large artifacts (memory, the event loop), saves from two processes at once, writers
killed in the middle of saving, the size limit, and where the bytes are stored.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from google.genai import types

from adk_sqlite import ArtifactService, ArtifactTooLargeError, SqliteStore
from adk_sqlite.sqlite.table_sets import artifact_tables_in
from support.heartbeat import heartbeat

CHILD = Path(__file__).with_name("_artifact_child.py")
KEY = {"app_name": "app", "user_id": "u", "session_id": "s"}


def _child(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_bytes_are_stored_as_a_blob_not_inside_the_parts_json(tmp_path: Path) -> None:
    data = bytes(range(256)) * 8
    async with SqliteStore(tmp_path / "a.db") as store:
        service = ArtifactService(store)
        part = types.Part.from_bytes(data=data, mime_type="image/png")
        assert await service.save_artifact(filename="x.png", artifact=part, **KEY) == 0
    with sqlite3.connect(tmp_path / "a.db") as connection:
        stored, part_json, size = connection.execute(
            "SELECT data, part, size FROM adk_artifacts"
        ).fetchone()
    assert stored == data
    assert size == len(data)
    assert "data" not in part_json.replace("inlineData", "").replace("inline_data", "")


async def test_a_custom_artifact_table_is_used_and_must_differ_from_the_others(
    tmp_path: Path,
) -> None:
    async with SqliteStore(tmp_path / "a.db", artifact_table="files") as store:
        await ArtifactService(store).save_artifact(
            filename="a.txt", artifact=types.Part(text="hi"), **KEY
        )
    with sqlite3.connect(tmp_path / "a.db") as connection:
        assert connection.execute("SELECT count(*) FROM files").fetchone() == (1,)
        # The operator tools find it by its columns, whatever its name.
        assert artifact_tables_in(connection) == ["files"]
    with pytest.raises(ValueError, match="artifact_table"):
        SqliteStore(tmp_path / "b.db", artifact_table="adk_events")
    with pytest.raises(ValueError, match="artifact_table"):
        SqliteStore(tmp_path / "b.db", artifact_table="files; DROP TABLE x")


async def test_too_large_an_artifact_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    async with SqliteStore(tmp_path / "a.db") as store:
        service = ArtifactService(store, max_artifact_size=1000)
        assert (
            await service.save_artifact(filename="f", artifact=types.Part(text="small"), **KEY) == 0
        )
        with pytest.raises(ArtifactTooLargeError, match="max_artifact_size"):
            await service.save_artifact(
                filename="f",
                artifact=types.Part.from_bytes(data=b"x" * 1001, mime_type="a/b"),
                **KEY,
            )
        with pytest.raises(ArtifactTooLargeError):
            await service.save_artifact(filename="f", artifact=types.Part(text="é" * 501), **KEY)
        assert await service.list_versions(filename="f", **KEY) == [0]
        loaded = await service.load_artifact(filename="f", **KEY)
        assert loaded == types.Part(text="small")


async def test_a_large_save_leaves_the_event_loop_running(tmp_path: Path) -> None:
    data = b"\x5a" * (64 << 20)
    async with SqliteStore(tmp_path / "a.db") as store:
        service = ArtifactService(store)
        await service.save_artifact(filename="warm", artifact=types.Part(text="x"), **KEY)
        async with heartbeat() as beats:
            started = time.perf_counter()
            await service.save_artifact(
                filename="big", artifact=types.Part.from_bytes(data=data, mime_type="a/b"), **KEY
            )
            loaded = await service.load_artifact(filename="big", **KEY)
            elapsed = time.perf_counter() - started
    assert loaded is not None
    assert loaded.inline_data is not None
    assert loaded.inline_data.data == data
    # The copies ran on the store's threads: the loop woke up all along (a blocked loop
    # would tick once or twice in all that time).
    assert beats.ticks >= min(20, int(elapsed / 0.01)), (beats.ticks, elapsed)


def test_a_100_mb_artifact_round_trips_in_well_under_three_times_its_size(
    tmp_path: Path,
) -> None:
    child = _child("large", str(tmp_path / "a.db"), "100")
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    growth = int(out.split()[-1])
    # The test's own copy of the data is 1x; the save and the load add at most one more.
    assert growth < 2.5 * (100 << 20), growth


@pytest.fixture(params=["file", "folder"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database a child writes: a shared file, or a one-file-per-session folder."""
    return str(tmp_path / "a.db") if request.param == "file" else f"folder:{tmp_path / 'f'}"


def _open(where: str) -> Any:
    if where.startswith("folder:"):
        return SqliteStore.per_session_files(where.removeprefix("folder:"))
    return SqliteStore(where)


def test_two_processes_saving_one_name_get_distinct_versions_and_lose_none(
    tmp_path: Path, where: str
) -> None:
    acks = tmp_path / "acks"
    children = [_child("save", where, "shared.txt", "30", tag, str(acks)) for tag in ("a", "b")]
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    acknowledged = dict(line.split(" ", 1) for line in acks.read_text().splitlines())
    assert sorted(int(v) for v in acknowledged) == list(range(60))

    async def check() -> None:
        async with _open(where) as store:
            service = ArtifactService(store)
            assert await service.list_versions(filename="shared.txt", **KEY) == list(range(60))
            for version, content in acknowledged.items():
                loaded = await service.load_artifact(
                    filename="shared.txt", version=int(version), **KEY
                )
                assert loaded == types.Part(text=content)

    asyncio.run(check())


@pytest.mark.parametrize("kill_after", [0.4, 0.8, 1.2, 1.6])
def test_a_writer_killed_while_saving_loses_no_acknowledged_version(
    tmp_path: Path, kill_after: float, where: str
) -> None:
    acks = tmp_path / "acks"
    child = _child("save", where, "log.txt", "100000", "k", str(acks))
    try:
        time.sleep(kill_after)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=30)
    acknowledged = (
        dict(line.split(" ", 1) for line in acks.read_text().splitlines()) if acks.exists() else {}
    )
    files = (
        list(Path(where.removeprefix("folder:")).rglob("*.db"))
        if where.startswith("folder:")
        else [Path(where)]
    )
    for file in files:
        with sqlite3.connect(file) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    async def check() -> None:
        async with _open(where) as store:
            service = ArtifactService(store)
            versions = await service.list_versions(filename="log.txt", **KEY)
            # Consecutive from 0; at most one committed save was not yet acknowledged.
            assert versions == list(range(len(versions)))
            assert len(acknowledged) <= len(versions) <= len(acknowledged) + 1
            for version, content in acknowledged.items():
                loaded = await service.load_artifact(
                    filename="log.txt", version=int(version), **KEY
                )
                assert loaded == types.Part(text=content)

    asyncio.run(check())


async def test_a_stream_of_large_saves_keeps_the_wal_bounded(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    wal = Path(f"{path}-wal")
    data = os.urandom(1 << 20)
    largest = 0
    async with SqliteStore(path) as store:
        service = ArtifactService(store)
        for index in range(120):
            await service.save_artifact(
                filename=f"f{index % 4}",
                artifact=types.Part.from_bytes(data=data, mime_type="a/b"),
                **KEY,
            )
            largest = max(largest, wal.stat().st_size if wal.exists() else 0)
    # Without the restarting checkpoints every 32 MiB, the WAL holds all 120 MiB.
    assert largest < 80 << 20, largest >> 20
