"""A child process for tests/sqlite/test_artifacts.py (run as a script, never collected).

Usage::

    python _artifact_child.py save DATABASE FILENAME COUNT TAG ACKS
    python _artifact_child.py large DATABASE SIZE_MB

DATABASE is a file (`SqliteStore`), or ``folder:PATH`` for a one-file-per-session folder
(`PerSessionSqliteStore`, whose session ``s`` the child creates if it is missing).
``save`` saves COUNT versions of FILENAME, each holding ``TAG-<i>``, and after each save
returns appends ``<version> <content>`` to ACKS with one ``write()`` (so a SIGKILL cannot
take an acknowledgement back). ``large`` saves then loads an artifact of SIZE_MB MiB and
prints the process's peak resident memory growth over its start, in bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import sys
from typing import Any

from google.genai import types

from adk_sqlite import ArtifactService, SessionAlreadyExistsError, SessionService, SqliteStore


def open_store(database: str) -> Any:
    if database.startswith("folder:"):
        return SqliteStore.per_session_files(database.removeprefix("folder:"))
    return SqliteStore(database)


async def save(database: str, filename: str, count: int, tag: str, acks: str) -> None:
    async with open_store(database) as store:
        if database.startswith("folder:"):
            sessions = SessionService(store)
            with contextlib.suppress(SessionAlreadyExistsError):
                await sessions.create_session(app_name="app", user_id="u", session_id="s")
        service = ArtifactService(store)
        ack = os.open(acks, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        for index in range(count):
            content = f"{tag}-{index}"
            version = await service.save_artifact(
                app_name="app",
                user_id="u",
                session_id="s",
                filename=filename,
                artifact=types.Part(text=content),
            )
            os.write(ack, f"{version} {content}\n".encode())
        os.close(ack)


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


async def large(database: str, size_mb: int) -> None:
    start = _peak_rss()
    size = size_mb << 20
    data = bytes(range(256)) * (size // 256)
    async with SqliteStore(database) as store:
        service = ArtifactService(store)
        await service.save_artifact(
            app_name="app",
            user_id="u",
            session_id="s",
            filename="big.bin",
            artifact=types.Part.from_bytes(data=data, mime_type="application/x-test"),
        )
        loaded = await service.load_artifact(
            app_name="app", user_id="u", session_id="s", filename="big.bin"
        )
        assert loaded is not None
        assert loaded.inline_data is not None
        assert loaded.inline_data.data == data
    print(_peak_rss() - start, flush=True)


def main() -> None:
    command, *args = sys.argv[1:]
    if command == "save":
        database, filename, count, tag, acks = args
        asyncio.run(save(database, filename, int(count), tag, acks))
    elif command == "large":
        database, size_mb = args
        asyncio.run(large(database, int(size_mb)))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main()
