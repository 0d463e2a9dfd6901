"""Importing memories from google-adk's own ``SqliteMemoryService``.

The source is written by ADK's service itself: real sessions, held through an ADK
Runner with `ScriptedModel`, added with ``add_session_to_memory``. The import is then
searched through `adk_sqlite.MemoryService`.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from google.adk.agents import LlmAgent
from google.adk.memory import SqliteMemoryService
from google.adk.runners import Runner
from google.adk.sessions import InMemorySessionService, Session
from google.genai import types

from adk_sqlite import MemoryService, SchemaError, SqliteStore, import_adk_memory
from adk_sqlite.cli import main
from adk_sqlite.testing import ScriptedModel, say

APP = "support"
TURNS = {
    ("ada", "refunds"): [
        ("What is the refund policy?", "Refunds are accepted within 30 days."),
        ("And for opened boxes?", "Opened boxes are refunded at 80 percent."),
    ],
    ("ada", "shipping"): [("How long does shipping take?", "Shipping takes two days.")],
    ("grace", "g1"): [("Do you ship abroad?", "We ship to 40 countries.")],
}
MEMORIES = 2 * sum(len(turns) for turns in TURNS.values())


async def _sessions() -> list[Session]:
    service = InMemorySessionService()  # type: ignore[no-untyped-call]
    held = []
    for (user_id, session_id), turns in TURNS.items():
        model = ScriptedModel([say(answer) for _, answer in turns])
        runner = Runner(
            agent=LlmAgent(name="helper", model=model), app_name=APP, session_service=service
        )
        await service.create_session(app_name=APP, user_id=user_id, session_id=session_id)
        for text, _ in turns:
            message = types.Content(role="user", parts=[types.Part(text=text)])
            async for _ in runner.run_async(
                user_id=user_id, session_id=session_id, new_message=message
            ):
                pass
        session = await service.get_session(app_name=APP, user_id=user_id, session_id=session_id)
        assert session is not None
        held.append(session)
    return held


@pytest.fixture
async def adk_memory_db(tmp_path: Path) -> Path:
    """A database written by ADK's SqliteMemoryService from real sessions."""
    path = tmp_path / "adk_memory.db"
    service = SqliteMemoryService(path)
    for session in await _sessions():
        await service.add_session_to_memory(session)
    await service.close()
    return path


async def _found(database: Path, user_id: str, query: str) -> set[str]:
    async with MemoryService(SqliteStore(database)) as service:
        response = await service.search_memory(app_name=APP, user_id=user_id, query=query)
    return {entry.custom_metadata["event_id"] for entry in response.memories}


async def _found_by_adk(source: Path, user_id: str, query: str) -> set[str]:
    service = SqliteMemoryService(f"sqlite:///{source}?mode=ro")
    response = await service.search_memory(app_name=APP, user_id=user_id, query=query)
    return {entry.custom_metadata["event_id"] for entry in response.memories}


def _rows(path: Path, statement: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(statement).fetchall()
    finally:
        connection.close()


async def test_every_memory_arrives_and_is_found_as_adk_found_it(
    adk_memory_db: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "agent.db"

    report = await import_adk_memory(adk_memory_db, destination)

    assert (report.entries, report.memories_imported, report.users) == (MEMORIES, MEMORIES, 2)
    assert report.skipped == []
    for user_id, query in (("ada", "refund"), ("ada", "shipping days"), ("grace", "ship")):
        expected = await _found_by_adk(adk_memory_db, user_id, query)
        assert expected
        assert await _found(destination, user_id, query) == expected


async def test_memories_keep_their_session_event_author_time_and_content(
    adk_memory_db: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "agent.db"

    await import_adk_memory(adk_memory_db, destination)

    source = _rows(
        adk_memory_db,
        "SELECT app_name, user_id, session_id, event_id, author, timestamp, content_json"
        " FROM memory_events ORDER BY event_id",
    )
    imported = _rows(
        destination,
        "SELECT app_name, user_id, session_id, event_id, author, timestamp, content"
        " FROM adk_memories ORDER BY event_id",
    )
    assert imported == source


async def test_importing_again_stores_nothing_twice(adk_memory_db: Path, tmp_path: Path) -> None:
    destination = tmp_path / "agent.db"
    await import_adk_memory(adk_memory_db, destination)

    second = await import_adk_memory(adk_memory_db, destination)

    assert second.memories_imported == MEMORIES
    assert _rows(destination, "SELECT count(*) FROM adk_memories") == [(MEMORIES,)]


async def test_memory_goes_on_in_adk_sqlite_beside_the_imported_memories(
    adk_memory_db: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "agent.db"
    await import_adk_memory(adk_memory_db, destination)
    [session, *_] = await _sessions()  # held again: new event ids

    async with MemoryService(SqliteStore(destination)) as service:
        await service.add_session_to_memory(session)
    new = len([event for event in session.events if event.content])

    assert _rows(destination, "SELECT count(*) FROM adk_memories") == [(MEMORIES + new,)]
    assert await _found(destination, "ada", "opened boxes")


async def test_unreadable_rows_are_skipped_with_their_reason(
    adk_memory_db: Path, tmp_path: Path
) -> None:
    connection = sqlite3.connect(adk_memory_db)
    insert = (
        "INSERT INTO memory_events (app_name, user_id, session_id, event_id, author,"
        " timestamp, content_json, search_text) VALUES (?, ?, ?, ?, ?, ?, ?, '')"
    )
    for row in (
        (APP, "ada", "s", "bad-json", "user", 1.0, "{not json"),
        (APP, "ada", "s", "not-content", "user", 1.0, '{"parts": 7}'),
        (APP, "ada", "s", "no-text", "user", 1.0, '{"parts": [{"thought": true, "text": "x"}]}'),
        (APP, "ada", "s", "bad-time", "user", "yesterday", '{"parts": [{"text": "hi"}]}'),
        (APP, "ada", "s", "blob", "user", 1.0, b'{"parts": [{"text": "hi"}]}'),
        (APP, "ada", "s", "huge", "user", 1.0, json.dumps({"parts": [{"text": "a " * 200_000}]})),
        (APP, "", "s", "no-user", "user", 1.0, '{"parts": [{"text": "hi"}]}'),
    ):
        connection.execute(insert, row)
    connection.commit()
    connection.close()

    report = await import_adk_memory(adk_memory_db, tmp_path / "agent.db")

    reasons = {skipped.event_id: skipped.reason for skipped in report.skipped}
    assert sorted(reasons) == [
        "bad-json",
        "bad-time",
        "blob",
        "huge",
        "no-text",
        "no-user",
        "not-content",
    ]
    assert reasons["bad-json"].startswith("content_json is not an ADK Content")
    assert reasons["bad-time"] == "timestamp is not a number"
    assert reasons["blob"] == "content_json is not text"
    assert reasons["no-text"] == "holds no text"
    assert reasons["no-user"] == "user_id is not a non-empty text"
    assert "max_memory_bytes" in reasons["huge"]
    assert report.memories_imported == MEMORIES
    assert report.entries == MEMORIES + 7


async def test_a_session_database_is_not_a_memory_database(tmp_path: Path) -> None:
    path = tmp_path / "agent.db"
    async with SqliteStore(path):
        pass

    with pytest.raises(SchemaError, match="not a database of ADK's SqliteMemoryService"):
        await import_adk_memory(path, tmp_path / "other.db")


async def test_a_folder_of_per_session_files_receives_the_memories_in_its_catalog(
    adk_memory_db: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "agent-sessions"
    async with SqliteStore.per_session_files(folder):
        pass

    report = await import_adk_memory(adk_memory_db, folder)

    assert report.memories_imported == MEMORIES
    assert _rows(folder / "catalog.db", "SELECT count(*) FROM adk_memories") == [(MEMORIES,)]


# --- the command line ------------------------------------------------------------------


def _cli(*args: str | Path) -> Result:
    return CliRunner(env={"COLUMNS": "200"}).invoke(
        main, [str(arg) for arg in args], catch_exceptions=False
    )


def test_the_import_command_recognises_an_adk_memory_database(
    adk_memory_db: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "agent.db"

    result = _cli("import", adk_memory_db, destination, "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["layout"] == "sqlite_memory_service"
    assert report["memories_imported"] == MEMORIES
    listed = _cli("memory", destination, "refund", "--app", APP, "--user", "ada", "--json")
    assert json.loads(listed.stdout)["memories"]


def test_the_import_command_says_what_it_imported(adk_memory_db: Path, tmp_path: Path) -> None:
    result = _cli("import", adk_memory_db, tmp_path / "agent.db")

    assert result.exit_code == 0
    assert f"memories: {MEMORIES} of {MEMORIES} imported, for 2 users" in result.stdout


def test_memory_on_a_file_without_adk_memories_exits_4(tmp_path: Path) -> None:
    source = tmp_path / "adk_sessions.db"
    sqlite3.connect(source).execute("CREATE TABLE sessions (id TEXT)").connection.close()

    result = _cli("import", source, tmp_path / "agent.db", "--memory")

    assert result.exit_code == 4
    assert "not a database of ADK's SqliteMemoryService" in result.stderr
