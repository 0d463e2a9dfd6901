"""adk-sqlite quickstart: an ADK agent whose sessions live in a SQLite file.

    python examples/quickstart.py               # stores sessions in ./quickstart.db
    python examples/quickstart.py --db my.db

With GOOGLE_API_KEY set the agent talks to Gemini (gemini-2.5-flash); without
it, a scripted model plays the assistant, so the example runs offline. Each run
starts a new session in the same database, then reopens the database with a
fresh service to show the conversation was saved.
"""

import argparse
import asyncio
import os
import shlex
from pathlib import Path

from google.adk.agents import LlmAgent
from google.adk.events.event import Event
from google.adk.runners import Runner
from google.adk.tools.tool_context import ToolContext
from google.genai import types

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.testing import ScriptedModel, call_tool, say

APP_NAME = "quickstart"
USER_ID = "demo-user"
MESSAGES = [
    "Hi! Please remember that my favourite colour is green.",
    "What do you remember about me?",
]


def remember(fact: str, tool_context: ToolContext) -> dict[str, object]:
    """Saves a fact about the user, to recall in this and later conversations.

    Args:
        fact: The fact to remember, e.g. "favourite colour is green".
    """
    # "user:" state is shared by all of this user's sessions, and persisted.
    facts = tool_context.state.get("user:facts", [])
    if fact not in facts:
        facts = [*facts, fact]
    tool_context.state["user:facts"] = facts
    return {"remembered": facts}


def make_model() -> str | ScriptedModel:
    """Gemini if there is an API key, else a scripted stand-in that runs offline."""
    if os.environ.get("GOOGLE_API_KEY"):
        return "gemini-2.5-flash"
    return ScriptedModel(
        [
            call_tool("remember", fact="favourite colour is green"),
            say("Got it! I'll remember that your favourite colour is green."),
            say("You told me your favourite colour is green."),
        ]
    )


def show(event: Event) -> None:
    """Prints an event's text, tool calls and tool results, one line each."""
    parts = event.content.parts if event.content and event.content.parts else []
    for part in parts:
        if part.text and not part.thought:
            print(f"  {event.author}: {part.text.strip()}")
        elif part.function_call:
            call = part.function_call
            print(f"  {event.author}: [calls {call.name}({call.args})]")
        elif part.function_response:
            result = part.function_response
            print(f"  {event.author}: [{result.name} returned {result.response}]")


async def main(db: Path) -> None:
    model = make_model()
    agent = LlmAgent(
        name="assistant",
        model=model,
        instruction="You are a friendly assistant. Use the remember tool to save facts.",
        tools=[remember],
    )
    print(f"Model: {model if isinstance(model, str) else 'scripted (no GOOGLE_API_KEY set)'}")

    # 1. Chat, with every event written to the SQLite file as it happens.
    async with SessionService(SqliteStore(db)) as service:
        session = await service.create_session(app_name=APP_NAME, user_id=USER_ID)
        print(f"\nNew session {session.id}:")
        async with Runner(agent=agent, app_name=APP_NAME, session_service=service) as runner:
            for text in MESSAGES:
                message = types.Content(role="user", parts=[types.Part(text=text)])
                async for event in runner.run_async(
                    user_id=USER_ID,
                    session_id=session.id,
                    new_message=message,
                    yield_user_message=True,
                ):
                    show(event)

    # 2. Reopen the file with a fresh service: the conversation is still there.
    async with SessionService(SqliteStore(db)) as service:
        saved = await service.get_session(app_name=APP_NAME, user_id=USER_ID, session_id=session.id)
        assert saved is not None
        listing = await service.list_sessions(app_name=APP_NAME, user_id=USER_ID)
    print(f"\nReopened the database: session {saved.id} has {len(saved.events)} events:")
    for event in saved.events:
        show(event)
    print(f"  state: {saved.state}")

    print(f"\nSaved in {db}")
    print(f"Sessions of {USER_ID} in it: {len(listing.sessions)} (run again to add one).")
    query = "SELECT author, content FROM adk_events"
    print(f"Look inside with: {shlex.join(['sqlite3', str(db), query])}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("quickstart.db"), help="SQLite file")
    asyncio.run(main(parser.parse_args().db.resolve()))
