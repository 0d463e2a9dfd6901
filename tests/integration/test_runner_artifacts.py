"""A real ADK Runner whose tool saves and loads artifacts, on one adk-sqlite store.

The session service and the artifact service share the store (one file, one folder,
one PostgreSQL schema). A tool saves a report through ``ToolContext.save_artifact`` and
reads it back; the event that announces it carries ``artifact_delta``; after both
services are closed and reopened, the session, its events and the artifact are found.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from google.adk.agents import LlmAgent
from google.adk.runners import Runner
from google.adk.tools.tool_context import ToolContext
from google.genai import types

from adk_sqlite import ArtifactService, SessionService, SqliteStore
from adk_sqlite.testing import ScriptedModel, call_tool, say
from support.postgres import fresh_schema

APP = "reports"
USER = "ada"

OpenStore = Callable[[], Any]


async def write_report(title: str, tool_context: ToolContext) -> dict[str, Any]:
    """Writes a report as an artifact and reads back every version of it.

    Args:
        title: The report's title.
        tool_context: Supplied by ADK.

    Returns:
        The version saved and what loading it gave.
    """
    version = await tool_context.save_artifact(
        "report.md", types.Part.from_bytes(data=f"# {title}\n".encode(), mime_type="text/markdown")
    )
    await tool_context.save_artifact("user:profile.txt", types.Part(text=f"last: {title}"))
    loaded = await tool_context.load_artifact("report.md")
    assert loaded is not None
    assert loaded.inline_data is not None
    assert loaded.inline_data.data is not None
    return {"version": version, "loaded": loaded.inline_data.data.decode()}


@pytest.fixture(params=["sqlite", "sqlite-per-session", "postgres"])
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OpenStore]:
    if request.param == "sqlite":
        yield lambda: SqliteStore(tmp_path / "agent.db")
    elif request.param == "sqlite-per-session":
        yield lambda: SqliteStore.per_session_files(tmp_path / "sessions")
    else:
        async with fresh_schema() as dsn:
            from adk_sqlite.postgres import PostgresStore

            yield lambda: PostgresStore(dsn)


async def test_a_tools_artifacts_live_in_the_sessions_store(open_store: OpenStore) -> None:
    model = ScriptedModel(
        [
            call_tool("write_report", title="Q1"),
            say("Saved the Q1 report."),
            call_tool("write_report", title="Q2"),
            say("Saved the Q2 report."),
        ]
    )
    agent = LlmAgent(name="writer", model=model, tools=[write_report])
    store = open_store()
    async with store:
        sessions = SessionService(store)
        runner = Runner(
            agent=agent,
            app_name=APP,
            session_service=sessions,
            artifact_service=ArtifactService(store),
        )
        session = await sessions.create_session(app_name=APP, user_id=USER)
        deltas = []
        for text in ("Write the Q1 report.", "Now Q2."):
            message = types.Content(role="user", parts=[types.Part(text=text)])
            async for event in runner.run_async(
                user_id=USER, session_id=session.id, new_message=message
            ):
                if event.actions.artifact_delta:
                    deltas.append(dict(event.actions.artifact_delta))
        assert model.remaining == 0
    # Both tool calls saved version n of report.md and of the user's profile.
    assert deltas == [
        {"report.md": 0, "user:profile.txt": 0},
        {"report.md": 1, "user:profile.txt": 1},
    ]
    # The scripted model saw each tool's result, loaded from the store.
    results = [
        part.function_response.response
        for request in model.requests
        for content in request.contents
        for part in content.parts or []
        if part.function_response is not None
    ]
    assert {"version": 1, "loaded": "# Q2\n"} in results

    async with open_store() as reopened:
        stored = await SessionService(reopened).get_session(
            app_name=APP, user_id=USER, session_id=session.id
        )
        assert stored is not None
        assert [
            dict(e.actions.artifact_delta) for e in stored.events if e.actions.artifact_delta
        ] == deltas
        artifacts = ArtifactService(reopened)
        keys = await artifacts.list_artifact_keys(app_name=APP, user_id=USER, session_id=session.id)
        assert keys == ["report.md", "user:profile.txt"]
        first = await artifacts.load_artifact(
            app_name=APP, user_id=USER, session_id=session.id, filename="report.md", version=0
        )
        assert first == types.Part.from_bytes(data=b"# Q1\n", mime_type="text/markdown")
        profile = await artifacts.load_artifact(
            app_name=APP, user_id=USER, filename="user:profile.txt"
        )
        assert profile == types.Part(text="last: Q2")
