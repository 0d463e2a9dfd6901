"""The sample files the docs' examples name, written once through real ADK Runners.

Every example runs in a copy of this folder, so that ``adk-sqlite show sessions.db
ticket-1`` or ``SqliteStore("./agent.db")`` finds what the page says is there:

- ``sessions.db``: the conversations of `support.conversations` (``ticket-1``, a
  long one with tool calls, a failing tool, a transfer and a model error; ``ticket-2``;
  ``ticket-9`` in the sales app), alice's ``order-help`` (a tool call) and two sessions
  of hers whose ids both begin with ``5f0c``;
- ``agent.db``: the report agent's artifacts (``reports``/``ada``/``s1``, a hostile name
  among them), the memories of support's ada and grace, and the conversations above;
- ``agent-sessions/``: a folder of one file per session with those conversations,
  alice's ``ticket-42`` and, in its catalog, grace's ``notes.txt`` of a session that was
  never created;
- ``damaged.db``: ``sessions.db`` with one event's content JSON that is not a ``Content``
  and another's actions replaced by a pickle that calls ``os.system``;
- ``tampered.db``: ``agent.db`` with one artifact version's size and another's part
  changed by hand;
- ``my_agent/.adk/session.db`` (and its copy ``adk_sessions.db``), ``my_agent/.adk/artifacts``
  and ``adk_memory.db``: written by ADK's own ``SqliteSessionService``,
  ``FileArtifactService`` and ``SqliteMemoryService``;
- ``backups/``: an empty folder.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
from pathlib import Path

from google.adk.artifacts.file_artifact_service import FileArtifactService
from google.adk.memory import SqliteMemoryService
from google.adk.sessions.sqlite_session_service import SqliteSessionService
from google.genai import types

from adk_sqlite import ArtifactService, SessionService, SqliteStore
from adk_sqlite.sqlite import PerSessionSqliteStore
from adk_sqlite.testing import call_tool, say
from cli.artifact_databases import run_report_agent
from cli.memory_databases import hold_and_remember
from support.conversations import CONVERSATIONS, Turn, hold_conversations, run_turns

ALICE_SESSIONS = (
    (
        "order-help",
        (Turn("Where is order 42?", (call_tool("lookup_order", order_id="42"), say("Shipped."))),),
    ),
    ("5f0c3e1a-7b2d-4c89-9e61-2a4b8d7f3c10", (Turn("Hello!", (say("Hello, Alice."),)),)),
    ("5f0c9999-0000-4000-8000-000000000000", (Turn("Hi again.", (say("Welcome back."),)),)),
)


async def write_workspace(folder: Path) -> None:
    """Writes every sample file into ``folder``, which exists and is empty."""
    async with SessionService(SqliteStore(folder / "sessions.db")) as service:
        await hold_conversations(service)
        for session_id, turns in ALICE_SESSIONS:
            await service.create_session(app_name="support", user_id="alice", session_id=session_id)
            await run_turns(service, "support", "alice", session_id, turns)

    async with SqliteStore(folder / "agent.db") as store:
        await run_report_agent(store)
        await hold_and_remember(store)
        await hold_conversations(SessionService(store))

    async with PerSessionSqliteStore(folder / "agent-sessions") as folder_store:
        service = SessionService(folder_store)
        await hold_conversations(service)
        await service.create_session(app_name="support", user_id="alice", session_id="ticket-42")
        await run_turns(service, "support", "alice", "ticket-42", ALICE_SESSIONS[0][1])
        await ArtifactService(folder_store).save_artifact(
            app_name="reports",
            user_id="grace",
            session_id="not-created",
            filename="notes.txt",
            artifact=types.Part(text="kept in the catalog"),
        )

    _copy(folder / "sessions.db", folder / "damaged.db")
    _damage_events(folder / "damaged.db")
    _copy(folder / "agent.db", folder / "tampered.db")
    _tamper_artifacts(folder / "tampered.db")

    adk_folder = folder / "my_agent" / ".adk"
    adk_folder.mkdir(parents=True)
    await _write_adk_stores(adk_folder, folder / "adk_memory.db")
    _copy(adk_folder / "session.db", folder / "adk_sessions.db")
    (folder / "backups").mkdir()


def _copy(source: Path, destination: Path) -> None:
    """A copy of a closed SQLite file (no -wal beside it)."""
    shutil.copyfile(source, destination)


def _execute(path: Path, statement: str, parameters: tuple[object, ...] = ()) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute(statement, parameters)
        connection.commit()
    finally:
        connection.close()


def _damage_events(path: Path) -> None:
    """Two events of ticket-1 as a buggy writer could leave them (see docs/cli.md's check)."""
    connection = sqlite3.connect(path)
    try:
        first, second = (
            row[0]
            for row in connection.execute(
                "SELECT id FROM adk_events WHERE session_id = 'ticket-1' ORDER BY seq LIMIT 2"
            )
        )
    finally:
        connection.close()
    _execute(path, "UPDATE adk_events SET content = ? WHERE id = ?", ('{"parts": 5}', first))
    refused = pickle.dumps(os.system)  # the restricted unpickler refuses it, unrun
    _execute(path, "UPDATE adk_events SET actions = ? WHERE id = ?", (refused, second))


def _tamper_artifacts(path: Path) -> None:
    """One version's size and another's part changed by hand (docs/cli.md's tampered.db)."""
    _execute(
        path,
        "UPDATE adk_artifacts SET size = 99 WHERE filename = 'report.md' AND version = 0",
    )
    _execute(
        path,
        "UPDATE adk_artifacts SET part = 'not json'"
        " WHERE filename = 'user:profile.txt' AND version = 1",
    )


async def _write_adk_stores(adk_folder: Path, memory_path: Path) -> None:
    """ADK's own session database, artifact folder and memory database."""
    sessions = SqliteSessionService(str(adk_folder / "session.db"))
    await hold_conversations(sessions)
    memory = SqliteMemoryService(memory_path)
    for app_name, user_id, session_id, _ in CONVERSATIONS:
        session = await sessions.get_session(
            app_name=app_name, user_id=user_id, session_id=session_id
        )
        assert session is not None
        await memory.add_session_to_memory(session)
    await memory.close()
    artifacts = FileArtifactService(adk_folder / "artifacts")
    for version in ("first draft", "second draft"):
        await artifacts.save_artifact(
            app_name="support",
            user_id="ada",
            session_id="ticket-1",
            filename="notes.txt",
            artifact=types.Part(text=version),
        )
    await artifacts.save_artifact(
        app_name="support",
        user_id="ada",
        filename="user:avatar.png",
        artifact=types.Part.from_bytes(data=b"\x89PNG\r\n", mime_type="image/png"),
    )
