"""``adk api_server --memory_service_uri adk-sqlite:///...``: memory through ADK's server.

An offline agent adds its session to memory after every turn (ADK's
``CallbackContext.add_session_to_memory``) and has ADK's ``load_memory`` tool. In a
first server process the user tells it a fact in one session and asks for it in
another; the server is stopped with SIGTERM and started again on the same database,
and a new session still finds the fact. Sessions, artifacts and memory share the
one URL, so one file holds all three.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path
from typing import Any

import httpx

from server.agents_folder import SERVICES_PY, USER, adk_server, message

APP = "memo"

AGENT_PY = """\
from google.adk.agents import LlmAgent
from google.adk.agents.callback_context import CallbackContext
from google.adk.tools.load_memory_tool import load_memory_tool

from adk_sqlite.testing import ScriptedModel, call_tool, say


async def remember_the_turn(callback_context: CallbackContext) -> None:
    await callback_context.add_session_to_memory()


# Each process: a first turn answered plainly, then a turn that looks in memory.
model = ScriptedModel(
    [
        say("Noted."),
        call_tool("load_memory", query="cat name"),
        say("I looked it up."),
        *(f"Reply {i}." for i in range(50)),
    ]
)
root_agent = LlmAgent(
    name="memo",
    model=model,
    tools=[load_memory_tool],
    after_agent_callback=remember_the_turn,
    instruction="Be brief.",
)
"""


def _agents_folder(root: Path) -> Path:
    agents = root / "agents"
    (agents / APP).mkdir(parents=True)
    (agents / APP / "__init__.py").write_text("from . import agent\n")
    (agents / APP / "agent.py").write_text(AGENT_PY)
    (agents / "services.py").write_text(SERVICES_PY)
    return agents


async def _turn(http: httpx.AsyncClient, session_id: str, text: str) -> list[dict[str, Any]]:
    response = await http.post(
        "/run",
        json={
            "app_name": APP,
            "user_id": USER,
            "session_id": session_id,
            "new_message": message(text),
        },
    )
    response.raise_for_status()
    events: list[dict[str, Any]] = response.json()
    return events


async def _new_session(http: httpx.AsyncClient) -> str:
    response = await http.post(f"/apps/{APP}/users/{USER}/sessions")
    response.raise_for_status()
    session_id: str = response.json()["id"]
    return session_id


def _memory_answer(events: list[dict[str, Any]]) -> dict[str, Any]:
    (answer,) = [
        part["functionResponse"]["response"]
        for event in events
        for part in (event.get("content") or {}).get("parts", [])
        if part.get("functionResponse", {}).get("name") == "load_memory"
    ]
    return answer


def _texts(answer: dict[str, Any]) -> list[str]:
    """The texts of the memories in load_memory's answer (``{"result": {"memories": ...}}``)."""
    return [
        part.get("text", "")
        for memory in answer["result"]["memories"]
        for part in (memory.get("content") or {}).get("parts", [])
    ]


async def _tell_then_ask(base_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        told = await _new_session(http)
        await _turn(http, told, "My cat is called Mistigri.")
        asked = await _new_session(http)
        return _memory_answer(await _turn(http, asked, "What is my cat's name?"))


async def _ask_in_a_new_session(base_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        session = await _new_session(http)
        await _turn(http, session, "Hello again.")
        return _memory_answer(await _turn(http, session, "What is my cat's name?"))


def test_memory_through_adk_api_server_survives_a_restart(tmp_path: Path) -> None:
    agents = _agents_folder(tmp_path)
    database = tmp_path / "agents.db"
    url = f"adk-sqlite:///{database}"
    options = (
        "--session_service_uri",
        url,
        "--artifact_service_uri",
        url,
        "--memory_service_uri",
        url,
    )
    with adk_server("api_server", agents, *options) as server:
        first = asyncio.run(_tell_then_ask(server.base_url))
        # Ended by the SIGTERM raised again after the stores closed (see test_adk_server_processes).
        assert server.terminate() == -signal.SIGTERM, server.output()
    assert any("Mistigri" in text for text in _texts(first)), first
    assert not Path(f"{database}-wal").exists() or Path(f"{database}-wal").stat().st_size == 0

    # One file holds the sessions and the memories.
    with sqlite3.connect(database) as connection:
        sessions = connection.execute("SELECT count(*) FROM adk_sessions").fetchone()[0]
        memories = connection.execute(
            "SELECT count(*) FROM adk_memories WHERE app_name = ? AND search_text LIKE ?",
            (APP, "%mistigri%"),
        ).fetchone()[0]
    assert sessions == 2
    assert memories == 1  # the fact once, though its session was added after every turn

    with adk_server("api_server", agents, *options) as server:
        second = asyncio.run(_ask_in_a_new_session(server.base_url))
    assert any("Mistigri" in text for text in _texts(second)), second
