"""What deleting a session does to its artifacts: the stores' ``session_artifacts`` option.

``"keep"`` (the default) is ADK's behaviour: the session's artifacts stay loadable.
``"delete"`` removes them in the session's own deletion. ``user:`` artifacts stay either
way, and another session's artifacts are never touched. On every layout.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from google.genai import types

from adk_sqlite import ArtifactService, ConfigurationError, SessionService, SqliteStore
from support.postgres import fresh_schema

OpenStore = Callable[..., Any]
WHO = {"app_name": "app", "user_id": "u"}


@pytest.fixture(params=["sqlite", "sqlite-per-session", "postgres"])
async def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OpenStore]:
    if request.param == "sqlite":
        yield lambda **options: SqliteStore(tmp_path / "agent.db", **options)
    elif request.param == "sqlite-per-session":
        yield lambda **options: SqliteStore.per_session_files(tmp_path / "sessions", **options)
    else:
        async with fresh_schema() as dsn:
            from adk_sqlite.postgres import PostgresStore

            yield lambda **options: PostgresStore(dsn, **options)


async def _delete_one_of_two_sessions(store: Any) -> ArtifactService:
    sessions, artifacts = SessionService(store), ArtifactService(store)
    for session_id in ("gone", "stays"):
        await sessions.create_session(**WHO, session_id=session_id)
        for version in range(2):
            await artifacts.save_artifact(
                **WHO,
                session_id=session_id,
                filename="notes.txt",
                artifact=types.Part(text=f"{session_id} {version}"),
            )
    await artifacts.save_artifact(
        **WHO, session_id="gone", filename="user:profile", artifact=types.Part(text="p")
    )
    await sessions.delete_session(**WHO, session_id="gone")
    return artifacts


@pytest.mark.parametrize("options", [{}, {"session_artifacts": "keep"}])
async def test_by_default_a_deleted_sessions_artifacts_stay(
    open_store: OpenStore, options: dict[str, str]
) -> None:
    async with open_store(**options) as store:
        artifacts = await _delete_one_of_two_sessions(store)
        assert await artifacts.list_versions(**WHO, session_id="gone", filename="notes.txt") == [
            0,
            1,
        ]
        loaded = await artifacts.load_artifact(**WHO, session_id="gone", filename="notes.txt")
        assert loaded == types.Part(text="gone 1")


async def test_delete_removes_a_deleted_sessions_own_artifacts_only(
    open_store: OpenStore,
) -> None:
    async with open_store(session_artifacts="delete") as store:
        artifacts = await _delete_one_of_two_sessions(store)
        assert await artifacts.list_artifact_keys(**WHO, session_id="gone") == ["user:profile"]
        assert await artifacts.list_versions(**WHO, session_id="gone", filename="notes.txt") == []
        assert await artifacts.list_versions(**WHO, session_id="stays", filename="notes.txt") == [
            0,
            1,
        ]
    # Reopened: still gone, and a new session of that id starts its artifacts at 0.
    async with open_store(session_artifacts="delete") as store:
        await SessionService(store).create_session(**WHO, session_id="gone")
        version = await ArtifactService(store).save_artifact(
            **WHO, session_id="gone", filename="notes.txt", artifact=types.Part(text="new")
        )
        assert version == 0


@pytest.mark.parametrize("value", ["remove", "", None, True])
def test_an_unknown_choice_is_refused(open_store: OpenStore, value: object) -> None:
    with pytest.raises(ConfigurationError, match="session_artifacts"):
        open_store(session_artifacts=value)
