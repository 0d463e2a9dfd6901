"""``adk-sqlite forget``: a user of an app erased from a database written by the library."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING

from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import ArtifactService, MemoryService, SessionService, SqliteStore
from adk_sqlite.sqlite import PerSessionSqliteStore
from support.postgres import fresh_schema

if TYPE_CHECKING:
    from adk_sqlite import PostgresStore

from .conftest import run_cli

EXPECTED = {
    "sessions": 1,
    "events": 1,
    "user_state": 1,
    "artifact_versions": 1,
    "memories": 1,
    "damaged_events": 0,
    "files": 0,
}


async def _write(path: Path) -> None:
    async with SqliteStore(path) as store:
        await _fill(store)


async def _fill(store: SqliteStore | PerSessionSqliteStore | PostgresStore) -> None:
    sessions, memory = SessionService(store), MemoryService(store)
    for user in ("ada", "bob"):
        session = await sessions.create_session(
            app_name="support", user_id=user, state={"user:plan": "pro"}
        )
        await sessions.append_event(
            session,
            Event(
                author="user",
                content=types.Content(role="user", parts=[types.Part(text=f"{user} here")]),
            ),
        )
        await ArtifactService(store).save_artifact(
            app_name="support",
            user_id=user,
            session_id=session.id,
            filename="a.txt",
            artifact=types.Part(text=user),
        )
        stored = await sessions.get_session(app_name="support", user_id=user, session_id=session.id)
        assert stored is not None
        await memory.add_session_to_memory(stored)


def test_forget_erases_one_user_and_reports_it(tmp_path: Path) -> None:
    path = tmp_path / "agent.db"
    asyncio.run(_write(path))

    result = run_cli("forget", path, "--app", "support", "--user", "ada", "--yes", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == EXPECTED
    sessions = run_cli("sessions", path, "--json")
    users = {session["user_id"] for session in json.loads(sessions.output)["sessions"]}
    assert users == {"bob"}


def test_forget_without_yes_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "agent.db"
    asyncio.run(_write(path))

    result = run_cli("forget", path, "--app", "support", "--user", "ada")

    assert result.exit_code == 2
    assert "--yes" in result.output
    sessions = run_cli("sessions", path, "--json")
    assert len(json.loads(sessions.output)["sessions"]) == 2


def test_forget_erases_one_user_of_a_folder_and_their_files(tmp_path: Path) -> None:
    folder = tmp_path / "agent-sessions"

    async def write() -> None:
        async with SqliteStore.per_session_files(folder) as store:
            await _fill(store)

    asyncio.run(write())

    result = run_cli("forget", folder, "--app", "support", "--user", "ada", "--yes", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {**EXPECTED, "files": 1}
    assert not list(folder.rglob("support+ada+*"))
    sessions = run_cli("sessions", folder, "--json")
    users = {session["user_id"] for session in json.loads(sessions.output)["sessions"]}
    assert users == {"bob"}
    human = run_cli("forget", folder, "--app", "support", "--user", "bob", "--yes")
    assert "Erased 1 session" in human.output
    assert "removed 1 session file" in human.output


def test_forget_erases_one_user_in_postgresql() -> None:
    from adk_sqlite import PostgresStore

    async def scenario() -> None:
        async with fresh_schema() as url:
            async with PostgresStore(url) as store:
                await _fill(store)
            # The CLI runs its own event loop: off this one's thread.
            result = await asyncio.to_thread(
                run_cli, "forget", url, "--app", "support", "--user", "ada", "--yes", "--json"
            )
            assert result.exit_code == 0, result.output
            assert json.loads(result.output) == EXPECTED
            async with PostgresStore(url) as store:
                listing = await SessionService(store).list_sessions(app_name="support")
            assert {session.user_id for session in listing.sessions} == {"bob"}

    asyncio.run(scenario())
