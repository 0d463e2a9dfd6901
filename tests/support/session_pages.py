"""A session for the session page's tests, written by a real ADK Runner.

An `LlmAgent` driven by `ScriptedModel` looks an order up (a tool that answers),
saves a note (state changes and an artifact), calls a tool that raises, and
repeats hostile text: HTML that would run script if it were ever parsed as
markup, in the user's message, the model's answer, a tool's arguments and
result, a state key and value, and an artifact's name.
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

APP = "shop"
USER = "ada"
SESSION = "order-help"
NOTE = "note.txt"
FAILURE = "the refund service is down"
HOSTILE = (
    '<script>alert("script")</script><img src=x onerror="alert(\'img\')">'
    '<a id="injected-link" href="javascript:alert(\'link\')">click</a>'
    '</script><b id="injected">bold</b><!-- \u2028\u2029 --> & &amp; "quotes"'
)
"""Text that must show literally: no dialog, no element of its own."""
HOSTILE_NAME = "<img src=x onerror=\"alert('name')\">.txt"

TURNS = 4
"""User messages, so invocations: the page's turns."""
TOOL_CALLS = 4
"""lookup_order, save_note, refund (raises), echo."""


def lookup_order(order_id: str) -> dict[str, str]:
    """Looks an order up.

    Args:
        order_id: The order number.

    Returns:
        The order's status.
    """
    return {"status": "shipped", "order_id": order_id}


async def save_note(text: str, tool_context: ToolContext) -> dict[str, Any]:
    """Saves a note as an artifact and in state.

    Args:
        text: The note.
        tool_context: Supplied by ADK.

    Returns:
        The note's version.
    """
    tool_context.state["last_note"] = text
    tool_context.state["user:notes"] = tool_context.state.get("user:notes", 0) + 1
    tool_context.state[HOSTILE] = HOSTILE
    version = await tool_context.save_artifact(NOTE, types.Part(text=text))
    await tool_context.save_artifact(HOSTILE_NAME, types.Part(text=HOSTILE))
    return {"version": version}


def refund(order_id: str) -> dict[str, str]:
    """Refunds an order; the refund service is down.

    Args:
        order_id: The order number.

    Returns:
        Never: it raises.
    """
    raise RuntimeError(FAILURE)


def echo(text: str) -> dict[str, str]:
    """Says a text back.

    Args:
        text: What to say.

    Returns:
        The text.
    """
    return {"echo": text}


def _model() -> ScriptedModel:
    return ScriptedModel(
        [
            call_tool("lookup_order", order_id="42"),
            say("Order 42 has shipped."),
            call_tool("save_note", text="customer asked about 42"),
            say("Noted."),
            call_tool("refund", order_id="42"),
            call_tool("echo", text=HOSTILE),
            say(HOSTILE),
        ]
    )


async def write_sample_session(store: SqliteStore | PerSessionSqliteStore) -> None:
    """Holds the sample conversation through ``store`` (sessions and artifacts)."""
    sessions = SessionService(store)
    runner = Runner(
        agent=LlmAgent(name="clerk", model=_model(), tools=[lookup_order, save_note, refund, echo]),
        app_name=APP,
        session_service=sessions,
        artifact_service=ArtifactService(store),
    )
    await sessions.create_session(app_name=APP, user_id=USER, session_id=SESSION)
    for text in ("Where is order 42?", "Make a note.", "Refund it.", HOSTILE):
        message = types.Content(role="user", parts=[types.Part(text=text)])
        try:
            async for _ in runner.run_async(user_id=USER, session_id=SESSION, new_message=message):
                pass
        except RuntimeError as exc:
            # google-adk 2.13 records the tool's failure as an error event, then raises.
            if str(exc) != FAILURE:
                raise
