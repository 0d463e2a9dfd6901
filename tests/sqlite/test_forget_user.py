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

from adk_sqlite import ArtifactService, MemoryService, SessionService, SqliteStore
from support.forgetting import SECRET, fill_user


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
        await fill_user(store, "app", "ada", SECRET)
        await fill_user(store, "app", "bob", "bermuda")
        await fill_user(store, "other-app", "ada", "bermuda")
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
