"""A one-file-per-session folder for the export tests, written by the real store."""

from __future__ import annotations

from pathlib import Path

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite import ArtifactService, MemoryService, SessionService, SqliteStore
from support.events import rich_event

Key = tuple[str, str, str]

LIVE: tuple[Key, ...] = (
    ("a", "alice", "s1"),
    ("a", "alice", "s2"),
    ("a", "bob", "s3"),
    ("b", "carol", "s4"),
)
ARCHIVED: Key = ("a", "bob", "old")
BIG = bytes(range(256)) * (5 * 1024)  # 1.25 MiB
# (app, user, session or None for user-scoped, filename, versions' bytes)
ARTIFACTS: tuple[tuple[str, str, str | None, str, tuple[bytes, ...]], ...] = (
    ("a", "alice", "s1", "report.bin", (b"first", BIG)),
    ("a", "alice", "s1", "notes.txt", (b"one note",)),
    ("a", "bob", "s3", "chart.png", (b"\x89PNG...",)),
    ("a", "alice", None, "user:profile.json", (b"{}", b'{"v": 2}')),
    ("b", "carol", "never-created", "orphan.txt", (b"no session",)),
    ("a", "bob", "old", "kept.txt", (b"archived session's",)),
)


def _events(key: Key) -> list[Event]:
    _, user, session_id = key
    call = types.FunctionCall(id=f"{session_id}-call", name="lookup", args={"q": session_id})
    response = types.FunctionResponse(
        id=f"{session_id}-call", name="lookup", response={"found": [1, 2]}
    )
    return [
        Event(
            id=f"{session_id}-e0",
            author="user",
            timestamp=1700000000.5,
            content=types.Content(role="user", parts=[types.Part(text=f"hello from {user}")]),
        ),
        Event(
            id=f"{session_id}-e1",
            author="agent",
            timestamp=1700000001.0,
            content=types.Content(role="model", parts=[types.Part(function_call=call)]),
        ),
        Event(
            id=f"{session_id}-e2",
            author="agent",
            timestamp=1700000001.0,
            content=types.Content(role="user", parts=[types.Part(function_response=response)]),
            actions=EventActions(
                state_delta={"step": 2, f"app:{session_id}": True, "user:last": session_id}
            ),
        ),
        rich_event(event_id=f"{session_id}-e3", timestamp=1700000002.25),
    ]


async def build_folder(folder: Path) -> None:
    """Sessions with events, state in every scope, artifacts, memories, an archived one."""
    async with SqliteStore.per_session_files(folder) as store:
        sessions, artifacts = SessionService(store), ArtifactService(store)
        memory = MemoryService(store)
        for key in (*LIVE, ARCHIVED):
            app, user, session_id = key
            session = await sessions.create_session(
                app_name=app,
                user_id=user,
                session_id=session_id,
                state={"own": session_id, "app:created": session_id, "user:name": user},
            )
            for event in _events(key):
                await sessions.append_event(session, event)
            stored = await sessions.get_session(app_name=app, user_id=user, session_id=session_id)
            assert stored is not None
            if key in (LIVE[0], LIVE[3], ARCHIVED):
                await memory.add_session_to_memory(stored)
        for app, user, session_id, filename, versions in ARTIFACTS:
            for n, data in enumerate(versions):
                await artifacts.save_artifact(
                    app_name=app,
                    user_id=user,
                    session_id=session_id,
                    filename=filename,
                    artifact=types.Part.from_bytes(data=data, mime_type="application/octet-stream"),
                    custom_metadata={"n": n},
                )
        await store.archive_session(app_name=ARCHIVED[0], user_id=ARCHIVED[1], session_id="old")


__all__ = ["ARCHIVED", "ARTIFACTS", "LIVE", "Key", "build_folder"]
