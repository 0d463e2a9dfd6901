"""``adk api_server`` and ``adk web`` as real processes over an adk-sqlite database.

The agents folder holds an offline agent (whose tool saves an artifact and loads it
back) and the one-line ``services.py``; the servers are started with
``--session_service_uri`` and ``--artifact_service_uri adk-sqlite:///<tmp>/agents.db``,
driven over HTTP on 127.0.0.1, stopped by SIGTERM to their PID, and started again
on the same database. Each start costs a fresh Python importing ADK (3-10 s), so
one module-scoped run serves several tests.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import SessionService, SqliteStore
from server.agents_folder import APP, USER, AgentApi, adk_server, write_agents_folder


@dataclass(frozen=True)
class FirstRun:
    """What one ``adk api_server`` process wrote and showed before SIGTERM stopped it."""

    agents: Path
    database: Path
    sessions: dict[str, dict[str, Any]]
    listing: list[dict[str, Any]]
    artifacts: dict[str, Any]
    wal_size_after_exit: int | None
    exit_code: int
    output: str

    @property
    def url(self) -> str:
        return f"adk-sqlite:///{self.database}"


Conversation = tuple[dict[str, dict[str, Any]], list[dict[str, Any]], dict[str, Any]]


async def _converse(base_url: str) -> Conversation:
    """Two sessions, turns over /run and /run_sse.

    Returns the sessions read back, the list, and the first session's artifacts as
    ADK's artifact endpoints give them.
    """
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        api = AgentApi(http)
        first = await api.create_session(state={"topic": "tea"})
        second = await api.create_session(session_id="chosen-id", state={"topic": "coffee"})
        assert second["id"] == "chosen-id"
        replies = [
            await api.run(first["id"], "I like tea."),
            await api.run_sse(first["id"], "And biscuits."),
            await api.run_sse(second["id"], "Hello."),
            await api.run(first["id"], "What do I like?"),
            await api.run(second["id"], "Goodbye."),
            await api.run_sse(first["id"], "Thanks."),
        ]
        assert all(replies), replies
        sessions = {id_: await api.get_session(id_) for id_ in (first["id"], "chosen-id")}
        listing = await api.list_sessions()
        artifacts = await api.artifacts(first["id"])
    return sessions, listing, artifacts


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> FirstRun:
    root = tmp_path_factory.mktemp("api_server")
    agents = write_agents_folder(root)
    database = root / "agents.db"
    url = f"adk-sqlite:///{database}"
    with adk_server(
        "api_server", agents, "--session_service_uri", url, "--artifact_service_uri", url
    ) as server:
        sessions, listing, artifacts = asyncio.run(_converse(server.base_url))
        exit_code = server.terminate()
    return FirstRun(
        agents=agents,
        database=database,
        sessions=sessions,
        listing=listing,
        artifacts=artifacts,
        wal_size_after_exit=_wal_size(database),
        exit_code=exit_code,
        output=server.output(),
    )


def test_api_server_writes_every_turn_to_the_adk_sqlite_database(first_run: FirstRun) -> None:
    tea = next(session for id_, session in first_run.sessions.items() if id_ != "chosen-id")

    # Four turns in the first session, each a message and an answer; the first
    # turn also holds the tool's call and result.
    assert len(tea["events"]) == 4 * 2 + 2
    assert tea["state"] == {"topic": "tea", "facts": 1, "user:last_fact": "likes tea"}
    assert len(first_run.sessions["chosen-id"]["events"]) == 2 * 2
    assert "Using session service URI: adk-sqlite:" in first_run.output
    assert first_run.database.stat().st_size > 0
    # The tool's save is announced by its event, and the tool read the artifact back.
    deltas = [e["actions"]["artifactDelta"] for e in tea["events"] if e["actions"]["artifactDelta"]]
    assert deltas == [{"facts.txt": 0}]
    results = [
        part["functionResponse"]["response"]
        for event in tea["events"]
        for part in (event.get("content") or {}).get("parts", [])
        if part.get("functionResponse")
    ]
    assert results == [{"saved": "likes tea", "version": 0, "loaded": "likes tea"}]


def test_api_server_serves_the_artifacts_from_the_same_database(first_run: FirstRun) -> None:
    facts = first_run.artifacts["facts.txt"]
    assert list(first_run.artifacts) == ["facts.txt"]
    assert facts["versions"] == [0]
    latest = types.Part.model_validate(facts["latest"])
    assert latest == types.Part.from_bytes(data=b"likes tea", mime_type="text/plain")
    assert [types.Part.model_validate(c) for c in facts["contents"]] == [latest]
    # Sessions and artifacts are in the one database file the URL names.
    with sqlite3.connect(first_run.database) as connection:
        assert connection.execute("SELECT filename, version FROM adk_artifacts").fetchall() == [
            ("facts.txt", 0)
        ]


def test_api_server_restarted_on_the_same_database_finds_every_session_and_event(
    first_run: FirstRun,
) -> None:
    tea_id = next(id_ for id_ in first_run.sessions if id_ != "chosen-id")

    async def read_back(base_url: str) -> Conversation:
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
            api = AgentApi(http)
            listing = await api.list_sessions()
            sessions = {id_: await api.get_session(id_) for id_ in first_run.sessions}
            artifacts = await api.artifacts(tea_id)
            # The conversation goes on in the new process (whose script starts
            # again with the tool call: message, call, result, answer).
            await api.run(tea_id, "I am back.")
            continued = await api.get_session(tea_id)
            assert len(continued["events"]) == len(sessions[tea_id]["events"]) + 4
            # The new turn's tool saved the next version of the same artifact.
            assert (await api.artifacts(tea_id))["facts.txt"]["versions"] == [0, 1]
        return sessions, listing, artifacts

    url = first_run.url
    with adk_server(
        "api_server",
        first_run.agents,
        "--session_service_uri",
        url,
        "--artifact_service_uri",
        url,
    ) as server:
        sessions, listing, artifacts = asyncio.run(read_back(server.base_url))

    assert sessions == first_run.sessions
    assert artifacts == first_run.artifacts
    assert sorted(listing, key=lambda s: s["id"]) == sorted(
        first_run.listing, key=lambda s: s["id"]
    )


def _wal_size(database: Path) -> int | None:
    wal = database.with_name(database.name + "-wal")
    return wal.stat().st_size if wal.exists() else None


def test_api_server_stopped_by_sigterm_leaves_the_wal_checkpointed(first_run: FirstRun) -> None:
    # uvicorn shuts down, then raises SIGTERM again with the handler it found: the one
    # the registry's factories installed, which closes the stores (and ends the process).
    assert first_run.exit_code == -signal.SIGTERM
    assert first_run.wal_size_after_exit is None, first_run.output


def test_api_server_stopped_by_ctrl_c_leaves_the_wal_checkpointed(tmp_path: Path) -> None:
    agents = write_agents_folder(tmp_path)
    database = tmp_path / "agents.db"

    with adk_server(
        "api_server", agents, "--session_service_uri", f"adk-sqlite:///{database}"
    ) as server:
        asyncio.run(_converse(server.base_url))
        assert _wal_size(database)
        server.terminate(signal.SIGINT)

    # uvicorn re-raises SIGINT after its shutdown: KeyboardInterrupt, then atexit.
    assert _wal_size(database) is None, server.output()


async def _store_two_sessions(database: Path) -> dict[str, list[str]]:
    """Writes two sessions with events straight through the library; returns their event ids."""
    written: dict[str, list[str]] = {}
    async with SessionService(SqliteStore(database)) as service:
        for session_id, words in (("morning", ["Hello.", "Tea, please."]), ("evening", ["Bye."])):
            session = await service.create_session(
                app_name=APP, user_id=USER, session_id=session_id, state={"slot": session_id}
            )
            for text in words:
                event = Event(
                    author="user",
                    invocation_id=f"inv-{session_id}",
                    content=types.Content(role="user", parts=[types.Part(text=text)]),
                )
                await service.append_event(session, event)
                written.setdefault(session_id, []).append(event.id)
    return written


def test_adk_web_lists_the_sessions_stored_in_the_database(tmp_path: Path) -> None:
    agents = write_agents_folder(tmp_path)
    database = tmp_path / "agents.db"
    written = asyncio.run(_store_two_sessions(database))

    with adk_server("web", agents, "--session_service_uri", f"adk-sqlite:///{database}") as server:
        listing = httpx.get(f"{server.base_url}/apps/{APP}/users/{USER}/sessions", timeout=30)
        morning = httpx.get(
            f"{server.base_url}/apps/{APP}/users/{USER}/sessions/morning", timeout=30
        )
        dev_ui = httpx.get(f"{server.base_url}/dev-ui/", timeout=30)

    assert listing.status_code == 200
    assert {session["id"] for session in listing.json()} == {"morning", "evening"}
    assert morning.json()["state"] == {"slot": "morning"}
    assert [event["id"] for event in morning.json()["events"]] == written["morning"]
    assert dev_ui.status_code == 200  # the web UI: this is adk web, not the API server
