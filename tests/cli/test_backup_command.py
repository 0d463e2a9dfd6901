"""``adk-sqlite backup`` and `backup_database`: consistent copies of a live database."""

from __future__ import annotations

import asyncio
import json
import stat
import time
from pathlib import Path

from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import SessionService, SqliteStore, backup_database, check_database
from support.conversations import ADA, APP, TICKET

from .conftest import run_cli, sql


def test_backup_is_an_owner_only_copy_that_passes_integrity_check(
    db_path: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "copy.db"

    result = run_cli("backup", db_path, destination, "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["integrity"] == ["ok"]
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".copy.db.partial-*"))
    query = "SELECT count(*), (SELECT count(*) FROM adk_events) FROM adk_sessions"
    assert sql(destination, query) == sql(db_path, query)
    assert (report["sessions"], report["events"]) == tuple(sql(db_path, query)[0])
    assert check_database(destination).ok


async def test_backup_copy_reads_back_the_same_sessions(db_path: Path, tmp_path: Path) -> None:
    destination = tmp_path / "copy.db"
    backup_database(db_path, destination)

    async with SessionService(SqliteStore(db_path)) as original:
        expected = await original.get_session(app_name=APP, user_id=ADA, session_id=TICKET)
    async with SessionService(SqliteStore(destination)) as copy:
        copied = await copy.get_session(app_name=APP, user_id=ADA, session_id=TICKET)

    assert copied == expected


def test_backup_refuses_an_existing_destination(db_path: Path, tmp_path: Path) -> None:
    destination = tmp_path / "copy.db"
    destination.write_text("precious")

    result = run_cli("backup", db_path, destination)

    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert destination.read_text() == "precious"


def test_backup_into_a_missing_folder_exits_3(db_path: Path, tmp_path: Path) -> None:
    result = run_cli("backup", db_path, tmp_path / "nowhere" / "copy.db")

    assert result.exit_code == 3
    assert "does not exist" in result.stderr


def _text(text: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=text)])


async def test_backup_while_an_agent_keeps_writing_is_one_consistent_snapshot(
    tmp_path: Path,
) -> None:
    source, destination = tmp_path / "live.db", tmp_path / "copy.db"
    padding = "x" * 2000  # a few hundred pages, so the copy takes many steps
    warmed_up, stop = asyncio.Event(), asyncio.Event()
    written = 0

    async def agent(service: SessionService) -> None:
        nonlocal written
        session = await service.create_session(app_name=APP, user_id=ADA, session_id="live")
        while not stop.is_set():
            await service.append_event(
                session,
                Event(
                    author="user", content=_text(padding), actions={"state_delta": {"n": written}}
                ),
            )
            written += 1
            if written == 300:
                warmed_up.set()
            await asyncio.sleep(0)

    def slow_progress(done: int, total: int) -> None:
        steps.append((done, total))
        time.sleep(0.002)  # keep the copy running long enough for the agent to write

    steps: list[tuple[int, int]] = []
    async with SessionService(SqliteStore(source)) as service:
        writer = asyncio.create_task(agent(service))
        await warmed_up.wait()
        before = written
        report = await asyncio.to_thread(
            backup_database, source, destination, progress=slow_progress, pages_per_step=8
        )
        during = written
        stop.set()
        await writer

    assert len(steps) > 10
    assert during > before, "the agent should have written while the copy ran"
    assert report.integrity == ["ok"]
    # One snapshot: the copied session's state counts exactly the copied events.
    [(events,)] = sql(destination, "SELECT count(*) FROM adk_events")
    [(state,)] = sql(destination, "SELECT state FROM adk_sessions WHERE id = 'live'")
    assert json.loads(state) == {"n": events - 1}
    assert before <= events <= during
    assert report.events == events
    async with SessionService(SqliteStore(destination)) as copy:
        session = await copy.get_session(app_name=APP, user_id=ADA, session_id="live")
    assert session is not None
    assert len(session.events) == events
