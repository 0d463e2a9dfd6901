"""Databases holding memories, for the command line's tests, written by a real ADK Runner.

An `LlmAgent` driven by `ScriptedModel` holds two sessions with Ada (refunds, then
shipping) and one with Grace; after each, the session goes to memory through
`adk_sqlite.MemoryService.add_session_to_memory`, as an app does. One of Ada's
messages holds rich markup, an ANSI escape and a bidi override, as a hostile user
could type. Sessions and memories share one store: a shared file, or a folder of one
file per session.
"""

from __future__ import annotations

from pathlib import Path

from google.adk.agents import LlmAgent
from google.adk.runners import Runner
from google.genai import types

from adk_sqlite import MemoryService, SessionService, SqliteStore
from adk_sqlite.sqlite import PerSessionSqliteStore
from adk_sqlite.testing import ScriptedModel, say

APP = "support"
ADA = "ada"
GRACE = "grace"
REFUNDS = "refunds"
SHIPPING = "shipping"
HOSTILE = "[bold red]pwned[/] \x1b[2J gone\u202e"
ESCAPED_HOSTILE = r"[bold red]pwned[/] \x1b[2J gone\u202e"

# (user, session, [(user message, agent answer), ...])
CONVERSATIONS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        ADA,
        REFUNDS,
        (
            ("What is the refund policy?", "Refunds are accepted within 30 days."),
            (HOSTILE, "I cannot help with that."),
        ),
    ),
    (ADA, SHIPPING, (("How long does shipping take?", "Shipping takes two days."),)),
    (GRACE, "g1", (("Do you ship abroad? What about refunds?", "We ship to 40 countries."),)),
)
ADA_MEMORIES = 6
ALL_MEMORIES = 8


async def hold_and_remember(store: SqliteStore | PerSessionSqliteStore) -> None:
    """Holds `CONVERSATIONS` through a Runner and adds each session to memory."""
    sessions = SessionService(store)
    memory = MemoryService(store)
    for user_id, session_id, turns in CONVERSATIONS:
        model = ScriptedModel([say(answer) for _, answer in turns])
        runner = Runner(
            agent=LlmAgent(name="helper", model=model),
            app_name=APP,
            session_service=sessions,
            memory_service=memory,
        )
        await sessions.create_session(app_name=APP, user_id=user_id, session_id=session_id)
        for text, _ in turns:
            message = types.Content(role="user", parts=[types.Part(text=text)])
            async for _ in runner.run_async(
                user_id=user_id, session_id=session_id, new_message=message
            ):
                pass
        assert model.remaining == 0
        session = await sessions.get_session(app_name=APP, user_id=user_id, session_id=session_id)
        assert session is not None
        await memory.add_session_to_memory(session)


async def write_memories(path: Path, *, per_session: bool = False) -> None:
    """Writes `CONVERSATIONS` and their memories to a file, or to a per-session folder."""
    store = SqliteStore.per_session_files(path) if per_session else SqliteStore(path)
    async with store:
        await hold_and_remember(store)
