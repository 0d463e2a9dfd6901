"""Damaged and constrained files: truncated, corrupted, not a database, read-only, full.

A store over such a file must raise clear errors from `adk_sqlite.errors` (never a raw
driver or decoding error), must not make matters worse (a file that is not a database is
left byte for byte as it was), and once the constraint is lifted (the file made writable
again, space freed) the database is intact and usable.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.platform import time as platform_time
from google.genai import types

from adk_sqlite import (
    AdkSqliteError,
    CorruptRecordError,
    DatabaseUnavailableError,
    ReadOnlyDatabaseError,
    SessionService,
    SqliteStore,
)

from ._support import child_env, python_command

SESSIONS = 30
EVENTS_PER_SESSION = 5


async def build_reference_database(path: Path) -> None:
    """A database whose bytes are the same on every run, so corruption seeds replay."""
    platform_time.set_time_provider(lambda: 1_700_000_000.0)
    try:
        async with SessionService(SqliteStore(path)) as service:
            for i in range(SESSIONS):
                session = await service.create_session(
                    app_name="a",
                    user_id=f"u{i % 3}",
                    session_id=f"s{i}",
                    state={"k": i, "app:x": i, f"user:y{i}": [i, "é"]},
                )
                for j in range(EVENTS_PER_SESSION):
                    await service.append_event(
                        session,
                        Event(
                            id=f"e{i}-{j}",
                            invocation_id="inv",
                            author="agent",
                            timestamp=1_700_000_000.0 + j,
                            content=types.Content(
                                role="model", parts=[types.Part(text=f"reply {i}-{j} " * 20)]
                            ),
                            actions=EventActions(state_delta={"n": j, "app:last": f"{i}-{j}"}),
                        ),
                    )
    finally:
        platform_time.reset_time_provider()
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # The only values that differ between runs: random starting revisions, and the
        # time the schema was created.
        connection.execute("UPDATE adk_sessions SET revision = 1")
        connection.execute("UPDATE adk_sqlite_schema SET applied_at = 2460000.5")
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("PRAGMA journal_mode = DELETE")
    finally:
        connection.close()


@pytest.fixture(scope="module")
def reference_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reference") / "reference.db"
    asyncio.run(build_reference_database(path))
    return path


def test_the_reference_database_is_the_same_on_every_build(
    reference_database: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again.db"
    asyncio.run(build_reference_database(again))
    assert again.read_bytes() == reference_database.read_bytes()


def _schema_pages(path: Path) -> set[int]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT pageno FROM dbstat WHERE name IN ('sqlite_schema', 'sqlite_master')"
        ).fetchall()
    except sqlite3.OperationalError:  # SQLite built without dbstat
        rows = []
    finally:
        connection.close()
    return {1} | {row[0] for row in rows}


async def try_everything(path: Path) -> dict[str, str]:
    """Every kind of call once: each outcome is "ok", an adk_sqlite error, or raw."""
    service = SessionService(SqliteStore(path))
    outcomes: dict[str, str] = {}

    async def attempt(name: str, call: Any) -> Any:
        try:
            result = await call
        except AdkSqliteError as exc:
            outcomes[name] = type(exc).__name__
            return None
        except Exception as exc:
            outcomes[name] = f"raw {type(exc).__name__}: {exc}"
            return None
        outcomes[name] = "ok"
        return result

    await attempt("list all", service.list_sessions(app_name="a"))
    await attempt("list user", service.list_sessions(app_name="a", user_id="u1"))
    session = None
    for i in range(0, SESSIONS, 3):
        found = await attempt(
            f"get s{i}",
            service.get_session(app_name="a", user_id=f"u{i % 3}", session_id=f"s{i}"),
        )
        session = session or found
    await attempt("user state", service.get_user_state(app_name="a", user_id="u1"))
    await attempt("app state", service.get_app_state(app_name="a"))
    await attempt("create", service.create_session(app_name="a", user_id="u9", session_id="new"))
    if session is not None:
        await attempt(
            "append",
            service.append_event(
                session, Event(author="agent", actions=EventActions(state_delta={"z": 1}))
            ),
        )
    await attempt("delete", service.delete_session(app_name="a", user_id="u1", session_id="s1"))
    await attempt("close", service.close())
    return outcomes


def raw_errors(outcomes: dict[str, str]) -> dict[str, str]:
    return {name: outcome for name, outcome in outcomes.items() if outcome.startswith("raw")}


def _copy(source: Path, directory: Path) -> Path:
    target = directory / "damaged.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


# --- truncated -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "keep",
    [50, 100, 4096, 4096 * 3 + 17, "half", "all but one byte"],
    ids=lambda keep: f"keep {keep}",
)
async def test_a_truncated_file_gives_clear_errors(
    reference_database: Path, tmp_path: Path, keep: int | str
) -> None:
    damaged = _copy(reference_database, tmp_path)
    size = damaged.stat().st_size
    length = {"half": size // 2, "all but one byte": size - 1}.get(keep, keep)  # type: ignore[call-overload]
    os.truncate(damaged, length)
    threads_before = threading.active_count()
    outcomes = await try_everything(damaged)
    assert raw_errors(outcomes) == {}
    assert outcomes["close"] == "ok"
    await asyncio.sleep(0.05)
    assert threading.active_count() <= threads_before


async def test_an_empty_file_is_a_new_database(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    async with SessionService(SqliteStore(empty)) as service:
        await service.create_session(app_name="a", user_id="u", session_id="s")
        assert await service.get_session(app_name="a", user_id="u", session_id="s")


# --- corrupted -----------------------------------------------------------------------


def corrupt(source: Path, directory: Path, seed: int) -> Path:
    """Overwrites 1-20 random runs of 1-64 random bytes, outside the schema's pages."""
    damaged = _copy(source, directory)
    size = damaged.stat().st_size
    page_size = 4096
    spared = _schema_pages(source)
    rng = random.Random(seed)
    with damaged.open("r+b") as file:
        for _ in range(rng.randint(1, 20)):
            offset = rng.randrange(page_size, size)
            while offset // page_size + 1 in spared:
                offset = rng.randrange(page_size, size)
            file.seek(offset)
            file.write(rng.randbytes(rng.randint(1, 64)))
    return damaged


async def run_corruption_campaign(
    reference: Path, directory: Path, seeds: range
) -> dict[str, dict[str, str]]:
    """Runs every call on each corrupted copy; returns the raw errors, by seed."""
    raw: dict[str, dict[str, str]] = {}
    tally: dict[str, int] = {}
    threads_before = threading.active_count()
    for seed in seeds:
        outcomes = await try_everything(corrupt(reference, directory, seed))
        # Whatever the damage, the store closes and its threads end.
        assert outcomes["close"] == "ok", (seed, outcomes)
        if raw_errors(outcomes):
            raw[str(seed)] = raw_errors(outcomes)
        for outcome in outcomes.values():
            kind = outcome.split(":")[0]
            tally[kind] = tally.get(kind, 0) + 1
    await asyncio.sleep(0.05)
    assert threading.active_count() <= threads_before
    assert tally.get("ok", 0) > 0
    assert sum(tally.values()) > tally.get("ok", 0), "no seed damaged anything"
    print(f"\ncorruption outcomes over {len(seeds)} files: {dict(sorted(tally.items()))}")
    return raw


async def test_corrupted_files_give_only_adk_sqlite_errors(
    reference_database: Path, tmp_path: Path
) -> None:
    raw = await run_corruption_campaign(reference_database, tmp_path, range(25))
    # A raw pydantic ValidationError here is the bug pinned by
    # test_unpickler_attacks.py::test_a_renamed_field_raises_the_unpicklers_own_error.
    assert raw == {}


@pytest.mark.slow
async def test_a_thousand_corrupted_files_give_only_adk_sqlite_errors(
    reference_database: Path, tmp_path: Path
) -> None:
    assert await run_corruption_campaign(reference_database, tmp_path, range(1000)) == {}


async def test_a_damaged_header_is_a_database_unavailable_error(
    reference_database: Path, tmp_path: Path
) -> None:
    damaged = _copy(reference_database, tmp_path)
    with damaged.open("r+b") as file:
        file.write(b"SQLite format 2\0")
    before = damaged.read_bytes()
    with pytest.raises(DatabaseUnavailableError, match="not a database"):
        await SessionService(SqliteStore(damaged)).list_sessions(app_name="a")
    assert damaged.read_bytes() == before


def _break_schema_name(path: Path) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA writable_schema = ON")
        # A name that is not UTF-8, in a schema row SQLite can no longer parse: SQLite's
        # error message then quotes bytes that are not UTF-8.
        connection.execute(
            "UPDATE sqlite_master SET name = CAST(x'61ff62' AS TEXT), sql = 'CREATE TABLE x(('"
            " WHERE name = 'adk_app_states'"
        )
    finally:
        connection.close()


async def test_a_schema_holding_bytes_that_are_not_utf8_is_a_clear_error(
    reference_database: Path, tmp_path: Path
) -> None:
    damaged = _copy(reference_database, tmp_path)
    _break_schema_name(damaged)
    outcomes = await try_everything(damaged)
    assert raw_errors(outcomes) == {}


@pytest.mark.parametrize("column", ["content", "branch", "usage_metadata", "extra"])
async def test_a_blob_in_an_event_text_column_is_a_corrupt_record_naming_the_session(
    tmp_path: Path, column: str
) -> None:
    database = tmp_path / "edited.db"
    async with SessionService(SqliteStore(database)) as service:
        session = await service.create_session(app_name="a", user_id="u", session_id="edited")
        await service.append_event(session, Event(author="agent", branch="b"))
    with sqlite3.connect(database) as editor:
        editor.execute(f"UPDATE adk_events SET {column} = x'00ff'")
    async with SessionService(SqliteStore(database)) as service:
        with pytest.raises(CorruptRecordError, match="'edited'"):
            await service.get_session(app_name="a", user_id="u", session_id="edited")
        listed = await service.list_sessions(app_name="a", user_id="u")
        assert [s.id for s in listed.sessions] == ["edited"]


# --- not a database ------------------------------------------------------------------

NOT_DATABASES = {
    "text": b"hello, these are my notes\n" * 100,
    "png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
    "zip": b"PK\x03\x04" + b"\0" * 2000,
    "random": random.Random(1).randbytes(65536),
    "only the magic": b"SQLite format 3\0",
    "magic and garbage": b"SQLite format 3\0" + random.Random(2).randbytes(8192),
}


@pytest.mark.parametrize("name", list(NOT_DATABASES))
async def test_a_file_that_is_not_a_database_is_refused_and_left_untouched(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(NOT_DATABASES[name])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    outcomes = await try_everything(path)
    assert raw_errors(outcomes) == {}
    assert {outcome for name, outcome in outcomes.items() if name != "close"} == {
        "DatabaseUnavailableError"
    }
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


async def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailableError):
        await SessionService(SqliteStore(tmp_path)).list_sessions(app_name="a")


# --- read-only and full: run in a child that can be unprivileged or see a tmpfs --------


def run_unprivileged(scenario: str) -> dict[str, Any]:
    """Runs a `_constrained_files` scenario in a process that file modes apply to.

    Root ignores file modes (CAP_DAC_OVERRIDE). As root, the child therefore runs under
    ``setpriv`` with every capability dropped: still uid 0 (so it can run this
    interpreter, which may live under /root), but bound by the modes like anyone else.
    """
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv(1): cannot drop CAP_DAC_OVERRIDE")
        prefix = ["setpriv", "--bounding-set=-all", "--inh-caps=-all"]
    directory = Path(tempfile.mkdtemp(prefix="adk-sqlite-readonly-"))
    try:
        result = subprocess.run(
            [*prefix, *python_command("_constrained_files.py", scenario, str(directory))],
            capture_output=True,
            text=True,
            env=child_env(),
            timeout=120,
            check=False,
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_read_only_file_can_be_read_refuses_writes_and_is_left_unchanged() -> None:
    result = run_unprivileged("read-only-file")
    assert result["outcomes"] == {
        "get_session": "ok",
        "list_sessions": "ok",
        "create_session": ReadOnlyDatabaseError.__name__,
        "append_event": ReadOnlyDatabaseError.__name__,
        "delete_session": ReadOnlyDatabaseError.__name__,
        "close": "ok",
    }
    assert result["unchanged"]
    # SQLite's own behaviour: the -wal and -shm a reader needed are left with the file's
    # read-only mode (the -wal empty), and must be made writable along with the file.
    assert result["leftovers"] == [["-wal", "0o400", 0], ["-shm", "0o400", 32768]]
    assert result["integrity"] == [["ok"]]
    assert result["events_after"] == ["first", "after"]


def test_a_read_only_folder_is_a_clear_error_and_the_file_stays_intact() -> None:
    result = run_unprivileged("read-only-dir")
    # WAL needs to create -wal and -shm beside the file, so even reads cannot open it.
    outcomes = result["outcomes"]
    assert outcomes.pop("close") == "ok"
    assert set(outcomes.values()) == {ReadOnlyDatabaseError.__name__}
    assert result["unchanged"]
    assert result["integrity"] == [["ok"]]
    assert result["events_after"] == ["first", "after"]


_MOUNT_FAILED = 97


def run_on_a_tiny_filesystem(scenario: str) -> dict[str, Any]:
    """Runs a scenario in a private mount namespace whose folder is a 4 MiB tmpfs."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare(1) is not installed: cannot make a small file system")
    directory = Path(tempfile.mkdtemp(prefix="adk-sqlite-full-"))
    namespace = ["unshare", "--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        namespace[1:1] = ["--user", "--map-root-user"]
    mount_then_run = (
        f'mount -t tmpfs -o size=4m tmpfs "$1" || exit {_MOUNT_FAILED}; shift; exec "$@"'
    )
    try:
        result = subprocess.run(
            [
                *namespace,
                "sh",
                "-c",
                mount_then_run,
                "sh",
                str(directory),
                *python_command("_constrained_files.py", scenario, str(directory)),
            ],
            capture_output=True,
            text=True,
            env=child_env(),
            timeout=300,
            check=False,
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    if result.returncode == _MOUNT_FAILED or result.stderr.startswith("unshare:"):
        pytest.skip(f"cannot mount a private tmpfs here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_full_disk_is_a_clear_error_and_nothing_half_written() -> None:
    result = run_on_a_tiny_filesystem("full-disk")
    appended = result["appended"]
    assert 0 < appended < 1000
    error = result["error"]
    assert error["adk_sqlite"], error
    assert error["type"] == "DatabaseError"
    assert "disk is full" in error["message"]
    assert error["cause"] == "SQLITE_FULL"
    # Every append that returned is there, the failed one is not, in any scope.
    assert result["after_failure"] == {
        "events": appended,
        "state": {"n": appended, "app:n": appended, "user:n": appended},
    }
    # Once space is freed, the same store goes on working.
    assert result["events_after_freeing"] == appended + 1
    assert result["last_event_after_freeing"] == "after-freeing"
    assert result["integrity"] == [["ok"]]
