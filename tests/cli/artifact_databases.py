"""Databases holding artifacts, for the command line's tests, written by a real ADK Runner.

An `LlmAgent` driven by `ScriptedModel` calls ``write_report`` twice; the tool saves
the report (markdown bytes), the user's profile (a ``user:`` text artifact) and a
file whose name a hostile tool chose (a newline, an ANSI escape, rich markup, a
``../`` and a bidi override in it). Sessions and artifacts share one store: a
shared file, or a folder of one file per session.
"""

from __future__ import annotations

from typing import Any

from google.adk.agents import LlmAgent
from google.adk.runners import Runner
from google.adk.tools.tool_context import ToolContext
from google.genai import types

from adk_sqlite import ArtifactService, SessionService, SqliteStore
from adk_sqlite.sqlite import PerSessionSqliteStore
from adk_sqlite.testing import ScriptedModel, call_tool, say

APP = "reports"
USER = "ada"
SESSION = "s1"
REPORT = "report.md"
PROFILE = "user:profile.txt"
HOSTILE = "evil\n\x1b[31m[red]../x\u202e.txt"
HOSTILE_BYTES = b"\x1b[2J not for the terminal"


def report_bytes(title: str) -> bytes:
    return f"# {title}\n\nAll good.\n".encode()


async def write_report(title: str, tool_context: ToolContext) -> dict[str, Any]:
    """Writes a report, the user's profile and a file with a hostile name as artifacts.

    Args:
        title: The report's title.
        tool_context: Supplied by ADK.

    Returns:
        The version of the report saved.
    """
    version = await tool_context.save_artifact(
        REPORT, types.Part.from_bytes(data=report_bytes(title), mime_type="text/markdown")
    )
    await tool_context.save_artifact(PROFILE, types.Part(text=f"last report: {title} ✓"))
    await tool_context.save_artifact(
        HOSTILE, types.Part.from_bytes(data=HOSTILE_BYTES, mime_type="application/octet-stream")
    )
    return {"version": version}


async def run_report_agent(
    store: SqliteStore | PerSessionSqliteStore, *, session_id: str = SESSION
) -> None:
    """Two turns of an agent whose tool saves artifacts, through ``store``."""
    model = ScriptedModel(
        [
            call_tool("write_report", title="Q1"),
            say("Saved the Q1 report."),
            call_tool("write_report", title="Q2"),
            say("Saved the Q2 report."),
        ]
    )
    agent = LlmAgent(name="writer", model=model, tools=[write_report])
    sessions = SessionService(store)
    runner = Runner(
        agent=agent,
        app_name=APP,
        session_service=sessions,
        artifact_service=ArtifactService(store),
    )
    await sessions.create_session(app_name=APP, user_id=USER, session_id=session_id)
    for text in ("Write the Q1 report.", "Now Q2."):
        message = types.Content(role="user", parts=[types.Part(text=text)])
        async for _ in runner.run_async(user_id=USER, session_id=session_id, new_message=message):
            pass
    assert model.remaining == 0
