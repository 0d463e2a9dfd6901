"""Scenarios on files the writer may not write (run as a child, never collected).

``python _constrained_files.py <scenario> <directory>`` runs one scenario in
``<directory>`` and prints one JSON object with what it observed; the test asserts on it.
They run in a child because each needs what a test process cannot give itself: to be an
unprivileged user (root ignores file modes) or to see a tiny file system of its own.

* ``read-only-file``: the database file is mode 0400.
* ``read-only-dir``: the file is writable but its folder is not (WAL needs -wal and -shm).
* ``full-disk``: the folder is a 4 MiB tmpfs, filled up by appends until SQLite reports
  SQLITE_FULL; then space is freed.

An operation's outcome is ``"ok"``, the name of the adk_sqlite error it raised, or
``"raw <type>: <message>"`` for any other exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite import AdkSqliteError, SessionService, SqliteStore

KEY = {"app_name": "a", "user_id": "u", "session_id": "s"}


async def _outcome(call: Callable[[], Awaitable[Any]]) -> str:
    try:
        await call()
    except AdkSqliteError as exc:
        return type(exc).__name__
    except Exception as exc:
        return f"raw {type(exc).__name__}: {exc}"
    return "ok"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _integrity(path: Path) -> list[Any]:
    connection = sqlite3.connect(path)
    try:
        return (
            connection.execute("PRAGMA integrity_check").fetchall()
            + connection.execute("PRAGMA foreign_key_check").fetchall()
        )
    finally:
        connection.close()


async def _prepare(database: Path) -> None:
    async with SessionService(SqliteStore(database)) as service:
        session = await service.create_session(**KEY, state={"k": 1})
        await service.append_event(session, Event(id="first", author="agent"))


async def _try_everything(database: Path) -> dict[str, str]:
    service = SessionService(SqliteStore(database))
    outcomes = {
        "get_session": await _outcome(lambda: service.get_session(**KEY)),
        "list_sessions": await _outcome(lambda: service.list_sessions(app_name="a")),
        "create_session": await _outcome(
            lambda: service.create_session(app_name="a", user_id="u", session_id="new")
        ),
    }
    session = None
    with contextlib.suppress(AdkSqliteError):
        session = await service.get_session(**KEY)
    if session is not None:
        outcomes["append_event"] = await _outcome(
            lambda: service.append_event(session, Event(id="while-read-only", author="agent"))
        )
    outcomes["delete_session"] = await _outcome(lambda: service.delete_session(**KEY))
    outcomes["close"] = await _outcome(service.close)
    return outcomes


async def _usable_again(database: Path) -> list[str]:
    """Appends one event after the constraint is lifted; returns the stored event ids."""
    async with SessionService(SqliteStore(database)) as service:
        session = await service.get_session(**KEY)
        assert session is not None
        await service.append_event(session, Event(id="after", author="agent"))
        stored = await service.get_session(**KEY)
        assert stored is not None
        return [event.id for event in stored.events]


async def read_only_file(directory: Path) -> dict[str, Any]:
    database = directory / "sessions.db"
    await _prepare(database)
    database.chmod(0o400)
    before = _digest(database)
    outcomes = await _try_everything(database)
    unchanged = _digest(database) == before
    database.chmod(0o600)
    # Reading a WAL database needs -wal and -shm files; SQLite creates them with the
    # database file's mode (here read-only) and leaves them behind. Making the database
    # writable again means making them writable too (docs/reliability.md).
    leftovers = []
    for suffix in ("-wal", "-shm"):
        side = Path(f"{database}{suffix}")
        if side.exists():
            leftovers.append([suffix, oct(side.stat().st_mode & 0o777), side.stat().st_size])
            side.chmod(0o600)
    return {
        "outcomes": outcomes,
        "unchanged": unchanged,
        "leftovers": leftovers,
        "integrity": _integrity(database),
        "events_after": await _usable_again(database),
    }


async def read_only_dir(directory: Path) -> dict[str, Any]:
    folder = directory / "sub"
    folder.mkdir()
    database = folder / "sessions.db"
    await _prepare(database)
    before = _digest(database)
    folder.chmod(0o500)
    try:
        outcomes = await _try_everything(database)
    finally:
        folder.chmod(0o700)
    return {
        "outcomes": outcomes,
        "unchanged": _digest(database) == before,
        "integrity": _integrity(database),
        "events_after": await _usable_again(database),
    }


async def full_disk(directory: Path) -> dict[str, Any]:
    database = directory / "sessions.db"
    ballast = directory / "ballast"
    ballast.write_bytes(b"\0" * (1024 * 1024))
    text = "x" * 100_000
    appended = 0
    error: dict[str, Any] = {}
    async with SessionService(SqliteStore(database)) as service:
        session = await service.create_session(**KEY)
        while appended < 1000:
            n = appended + 1
            event = Event(
                id=f"e{n}",
                author="agent",
                content=types.Content(role="model", parts=[types.Part(text=text)]),
                actions=EventActions(state_delta={"n": n, "app:n": n, "user:n": n}),
            )
            try:
                await service.append_event(session, event)
            except Exception as exc:
                cause = exc.__cause__
                error = {
                    "type": type(exc).__name__,
                    "adk_sqlite": isinstance(exc, AdkSqliteError),
                    "message": str(exc),
                    "cause": getattr(cause, "sqlite_errorname", None),
                }
                break
            appended = n
        stored = await service.get_session(**KEY)
        assert stored is not None
        after_failure = {
            "events": len(stored.events),
            "state": stored.state,
        }
        ballast.unlink()
        await service.append_event(stored, Event(id="after-freeing", author="agent"))
        again = await service.get_session(**KEY)
        assert again is not None
    return {
        "appended": appended,
        "error": error,
        "after_failure": after_failure,
        "events_after_freeing": len(again.events),
        "last_event_after_freeing": again.events[-1].id,
        "integrity": _integrity(database),
    }


SCENARIOS = {
    "read-only-file": read_only_file,
    "read-only-dir": read_only_dir,
    "full-disk": full_disk,
}


def main() -> None:
    scenario, directory = sys.argv[1:]
    os.umask(0o077)
    result = asyncio.run(SCENARIOS[scenario](Path(directory)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
