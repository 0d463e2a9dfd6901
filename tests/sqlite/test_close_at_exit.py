"""A store nobody closes is closed at interpreter exit: nothing lost, no ``-wal`` left.

ADK's ``adk web`` and ``adk api_server`` never close their services, and scripts often
just end. Each case runs a child interpreter that writes and exits without ``close()``,
holding its store to the end as a server holds its services (``held``), or dropping it
when its coroutine returns (``dropped``: garbage-collected open, which warns).
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from google.genai import types

from adk_sqlite import ArtifactService, SessionService, SqliteStore

SCRIPT = """
import asyncio, sys
from google.adk.events.event import Event
from google.genai import types
from adk_sqlite import ArtifactService, SessionService, SqliteStore

LAYOUT, WHERE, HOLD = sys.argv[1], sys.argv[2], sys.argv[3] == "held"
held = []

async def main():
    store = SqliteStore(WHERE) if LAYOUT == "shared" else SqliteStore.per_session_files(WHERE)
    sessions = SessionService(store)
    session = await sessions.create_session(app_name="app", user_id="u", session_id="s")
    for n in range(50):
        event = Event(author="agent", content=types.Content(parts=[types.Part(text=str(n))]))
        await sessions.append_event(session, event)
    if LAYOUT == "shared":
        await ArtifactService(store).save_artifact(
            app_name="app", user_id="u", session_id="s", filename="a.txt",
            artifact=types.Part(text="kept"),
        )
    if HOLD:
        held.append(store)
    # no close(): the interpreter ends here

asyncio.run(main())
"""


def _run_child(layout: str, where: Path, hold: str = "held") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-X", "dev", "-c", SCRIPT, layout, str(where), hold],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_shared_file_left_open_is_checkpointed_and_closed_at_exit(tmp_path: Path) -> None:
    database = tmp_path / "agent.db"
    child = _run_child("shared", database)
    assert child.returncode == 0, child.stderr
    assert "ResourceWarning" not in child.stderr
    assert not Path(f"{database}-wal").exists()

    _check_shared(database)


def test_a_shared_file_dropped_open_loses_nothing(tmp_path: Path) -> None:
    database = tmp_path / "agent.db"
    child = _run_child("shared", database, "dropped")
    assert child.returncode == 0, child.stderr
    assert "was garbage-collected while open" in child.stderr
    _check_shared(database)


def _check_shared(database: Path) -> None:
    async def check() -> None:
        async with SqliteStore(database) as store:
            session = await SessionService(store).get_session(
                app_name="app", user_id="u", session_id="s"
            )
            assert session is not None
            assert len(session.events) == 50
            loaded = await ArtifactService(store).load_artifact(
                app_name="app", user_id="u", session_id="s", filename="a.txt"
            )
            assert loaded == types.Part(text="kept")

    asyncio.run(check())


def test_a_session_folder_left_open_is_closed_at_exit(tmp_path: Path) -> None:
    folder = tmp_path / "sessions"
    child = _run_child("per-session", folder)
    assert child.returncode == 0, child.stderr
    assert "ResourceWarning" not in child.stderr
    assert not list(folder.rglob("*-wal"))

    async def check() -> None:
        async with SqliteStore.per_session_files(folder) as store:
            service = SessionService(store)
            listing = await service.list_sessions(app_name="app", user_id="u")
            assert [s.id for s in listing.sessions] == ["s"]
            session = await service.get_session(app_name="app", user_id="u", session_id="s")
            assert session is not None
            assert len(session.events) == 50

    asyncio.run(check())


def test_close_sync_then_close_is_a_no_op(tmp_path: Path) -> None:
    async def use() -> SqliteStore:
        store = SqliteStore(tmp_path / "a.db")
        await store.create_tables()
        return store

    store = asyncio.run(use())
    store.close_sync()
    store.close_sync()
    asyncio.run(store.close())
    assert not Path(f"{tmp_path / 'a.db'}-wal").exists()


@pytest.mark.parametrize("unused", [None])
def test_the_script_is_valid_python(unused: None) -> None:
    compile(textwrap.dedent(SCRIPT), "<child>", "exec")


SIGTERM_SCRIPT = """
import asyncio, sys, time
from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.closing import close_on_sigterm

held = []

async def main():
    store = SqliteStore(sys.argv[1])
    held.append(store)
    sessions = SessionService(store)
    await sessions.create_session(app_name="app", user_id="u", session_id="s")

asyncio.run(main())
assert close_on_sigterm()
print("ready", flush=True)
time.sleep(60)
"""


def test_sigterm_closes_what_is_open_then_ends_the_process_as_sigterm(tmp_path: Path) -> None:
    database = tmp_path / "agent.db"
    child = subprocess.Popen(
        [sys.executable, "-c", SIGTERM_SCRIPT, str(database)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        assert Path(f"{database}-wal").exists()
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=30)
    finally:
        child.kill()
        child.communicate()
    assert child.returncode == -signal.SIGTERM
    assert not Path(f"{database}-wal").exists()

    async def check() -> None:
        async with SqliteStore(database) as store:
            listing = await SessionService(store).list_sessions(app_name="app", user_id="u")
            assert [s.id for s in listing.sessions] == ["s"]

    asyncio.run(check())
