"""The project's own use of the fixtures it ships to users (``pytest11`` plugin)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from google.adk.events.event import Event

from adk_sqlite import SessionService, SqliteStore


async def test_adk_store_is_an_in_memory_store_with_tables(adk_store: SqliteStore) -> None:
    assert adk_store.database == ":memory:"
    assert await adk_store.get_app_state(app_name="app") == {}


async def test_adk_session_service_round_trips_a_session(
    adk_session_service: SessionService,
) -> None:
    session = await adk_session_service.create_session(app_name="app", user_id="u")
    await adk_session_service.append_event(session, Event(author="agent"))
    stored = await adk_session_service.get_session(
        app_name="app", user_id="u", session_id=session.id
    )
    assert stored == session


async def test_each_test_gets_a_fresh_database(adk_session_service: SessionService) -> None:
    assert (await adk_session_service.list_sessions(app_name="app")).sessions == []


def test_the_plugin_works_in_strict_mode_in_a_users_project(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(
        "from adk_sqlite import SessionService\n"
        "import pytest\n\n"
        "@pytest.mark.asyncio\n"
        "async def test_it(adk_session_service: SessionService) -> None:\n"
        "    s = await adk_session_service.create_session(app_name='a', user_id='u')\n"
        "    assert s.id\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=strict",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
