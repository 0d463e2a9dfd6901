"""Forgetting a user: nothing of them is left in any table or in the files' bytes.

One user of an app has sessions with events and state in every scope, session- and
user-scoped artifacts and memories; another user of the same app, and the same user id
in another app, have the same. After `SqliteStore.forget_user`, no table holds a row of
the forgotten user, no byte of their text is left in the database file or its WAL, and
everything of the others is untouched.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite import ArtifactService, MemoryService, SessionService, SqliteStore

SECRET = "zanzibar"  # appears only in the forgotten user's data


async def _fill(store: SqliteStore, app_name: str, user_id: str, word: str) -> None:
    sessions = SessionService(store)
    artifacts = ArtifactService(store)
    memory = MemoryService(store)
    for n in range(3):
        session = await sessions.create_session(
            app_name=app_name, user_id=user_id, state={"topic": f"{word} {n}"}
        )
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


def _rows_of(path: Path, app_name: str, user_id: str) -> dict[str, int]:
    """Rows per table whose app_name and user_id are the given ones."""
    found = {}
    with sqlite3.connect(path) as connection:
        tables = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        for table in tables:
            columns = {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}
            if {"app_name", "user_id"} <= columns:
                (count,) = connection.execute(
                    f'SELECT count(*) FROM "{table}" WHERE app_name = ? AND user_id = ?',
                    (app_name, user_id),
                ).fetchone()
                if count:
                    found[table] = count
    return found


async def test_forgetting_a_user_leaves_nothing_of_them_and_everything_of_others(
    tmp_path: Path,
) -> None:
    path = tmp_path / "agent.db"
    async with SqliteStore(path) as store:
        await _fill(store, "app", "ada", SECRET)
        await _fill(store, "app", "bob", "bermuda")
        await _fill(store, "other-app", "ada", "bermuda")
        before_bob = _rows_of(path, "app", "bob")
        before_other = _rows_of(path, "other-app", "ada")

        report = await store.forget_user(app_name="app", user_id="ada")

        assert (report.sessions, report.events, report.user_state) == (3, 6, 1)
        assert (report.artifact_versions, report.memories) == (4, 6)
        assert _rows_of(path, "app", "ada") == {}
        assert _rows_of(path, "app", "bob") == before_bob
        assert _rows_of(path, "other-app", "ada") == before_other

        sessions = SessionService(store)
        assert (await sessions.list_sessions(app_name="app", user_id="ada")).sessions == []
        assert len((await sessions.list_sessions(app_name="app", user_id="bob")).sessions) == 3
        found = await MemoryService(store).search_memory(
            app_name="app", user_id="bob", query="bermuda"
        )
        assert len(found.memories) == 6
        assert await ArtifactService(store).list_artifact_keys(app_name="app", user_id="ada") == []

        # Not a byte of the forgotten user's text in the file or its WAL.
        for file in (path, Path(f"{path}-wal")):
            if file.exists():
                assert SECRET.encode() not in file.read_bytes(), file.name
