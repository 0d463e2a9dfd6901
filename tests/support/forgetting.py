"""The data the forget-a-user tests write for each user, alike on every layout."""

from __future__ import annotations

from typing import Any

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite import ArtifactService, MemoryService, SessionService

SECRET = "zanzibar"  # appears only in the forgotten user's data


async def fill_user(store: Any, app_name: str, user_id: str, word: str) -> str:
    """Three sessions of the user, each with events holding ``word``, ``user:`` state, an
    artifact and its memories, then a user-scoped artifact; returns the last session's id."""
    sessions = SessionService(store)
    artifacts = ArtifactService(store)
    memory = MemoryService(store)
    session_id = ""
    for n in range(3):
        session = await sessions.create_session(
            app_name=app_name, user_id=user_id, state={"topic": f"{word} {n}"}
        )
        session_id = session.id
        for text in (f"My password hint is {word}", f"{word} again, turn {n}"):
            await sessions.append_event(
                session,
                Event(
                    author="user",
                    content=types.Content(role="user", parts=[types.Part(text=text)]),
                    actions=EventActions(state_delta={"user:hint": word, "app:seen": n}),
                ),
            )
        await artifacts.save_artifact(
            app_name=app_name,
            user_id=user_id,
            session_id=session.id,
            filename="notes.txt",
            artifact=types.Part.from_bytes(data=f"{word} notes".encode(), mime_type="text/plain"),
        )
        stored = await sessions.get_session(
            app_name=app_name, user_id=user_id, session_id=session.id
        )
        assert stored is not None
        await memory.add_session_to_memory(stored)
    await artifacts.save_artifact(
        app_name=app_name, user_id=user_id, filename="user:profile", artifact=types.Part(text=word)
    )
    return session_id
