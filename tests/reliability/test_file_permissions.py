"""Database files hold conversations: they are created readable by their owner only."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.adk.events.event import Event

from adk_sqlite import SessionService, SqliteStore


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    mask: int = request.param
    previous = os.umask(mask)
    try:
        yield mask
    finally:
        os.umask(previous)


def modes(directory: Path) -> dict[str, int]:
    return {path.name: stat.S_IMODE(path.stat().st_mode) for path in directory.iterdir()}


async def _write_something(database: str | Path, directory: Path) -> dict[str, int]:
    async with SessionService(SqliteStore(database)) as service:
        session = await service.create_session(app_name="a", user_id="u", state={"k": 1})
        await service.append_event(session, Event(author="agent"))
        # While the store is open the WAL files exist; look at them now.
        return modes(directory)


def assert_private(found: dict[str, int]) -> None:
    # The database, its -wal and -shm, and whatever else the store keeps beside them
    # (a -lock file for writers in other processes, today) are all owner-only.
    assert {"sessions.db", "sessions.db-wal", "sessions.db-shm"} <= found.keys()
    assert all(name.startswith("sessions.db") for name in found)
    assert set(found.values()) == {0o600}, found


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o000], indirect=True, ids=oct)
async def test_a_new_database_and_its_wal_files_are_0600_whatever_the_umask(
    tmp_path: Path, umask: int
) -> None:
    assert_private(await _write_something(tmp_path / "sessions.db", tmp_path))


@pytest.mark.parametrize("umask", [0o000], indirect=True, ids=oct)
@pytest.mark.parametrize(
    "url", ["sqlite:///{path}", "sqlite+aiosqlite:///{path}", "sqlite:///{path}?cache=private"]
)
async def test_a_database_created_from_a_url_is_0600(tmp_path: Path, umask: int, url: str) -> None:
    assert_private(await _write_something(url.format(path=tmp_path / "sessions.db"), tmp_path))


@pytest.mark.parametrize("umask", [0o000], indirect=True, ids=oct)
async def test_an_existing_file_keeps_the_mode_its_owner_gave_it(
    tmp_path: Path, umask: int
) -> None:
    # Documented: adk-sqlite never changes the mode of a file it did not create, and
    # SQLite gives -wal and -shm the database file's mode.
    existing = tmp_path / "shared.db"
    existing.touch(mode=0o640)
    existing.chmod(0o640)
    found = await _write_something(existing, tmp_path)
    assert {name: found[name] for name in ("shared.db", "shared.db-wal", "shared.db-shm")} == {
        "shared.db": 0o640,
        "shared.db-wal": 0o640,
        "shared.db-shm": 0o640,
    }
    # Files the store itself creates beside it are still owner-only.
    assert {mode for name, mode in found.items() if name.startswith("shared.db-lock")} <= {0o600}
