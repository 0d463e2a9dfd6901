"""An archived session is one standalone file that the plain ``sqlite3`` shell reads."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite import SessionService, read_timeline
from adk_sqlite.sqlite import PerSessionSqliteStore

APP = "support"
SQLITE3 = shutil.which("sqlite3")


@pytest.fixture
async def handed_over(
    service: SessionService, store: PerSessionSqliteStore, tmp_path: Path
) -> Path:
    """An archived session with three events, copied alone into another folder."""
    session = await service.create_session(
        app_name=APP, user_id="ada", session_id="ticket-7", state={"user:tier": "gold"}
    )
    for number, author in enumerate(["user", "agent", "user"], start=1):
        await service.append_event(
            session,
            Event(
                author=author,
                invocation_id="inv",
                content=types.Content(role="model", parts=[types.Part(text=f"message {number}")]),
                actions=EventActions(state_delta={"step": number, "app:seen": number}),
            ),
        )
    archived = await store.archive_session(app_name=APP, user_id="ada", session_id="ticket-7")
    elsewhere = tmp_path / "handed-over"
    elsewhere.mkdir()
    return Path(shutil.copy(archived, elsewhere))


def _shell(path: Path, sql: str) -> list[str]:
    assert SQLITE3 is not None
    completed = subprocess.run(
        [SQLITE3, "-readonly", "-batch", "-noheader", str(path), sql],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return completed.stdout.splitlines()


@pytest.mark.skipif(SQLITE3 is None, reason="the sqlite3 command-line shell is not installed")
def test_the_sqlite3_shell_reads_an_archived_file_alone(handed_over: Path) -> None:
    assert _shell(handed_over, "PRAGMA integrity_check") == ["ok"]
    assert _shell(handed_over, "SELECT app_name, user_id, id FROM adk_sessions") == [
        "support|ada|ticket-7"
    ]
    texts = _shell(
        handed_over,
        "SELECT author, json_extract(content, '$.parts[0].text') FROM adk_events"
        " ORDER BY timestamp_unix, seq",
    )
    assert texts == ["user|message 1", "agent|message 2", "user|message 3"]
    assert _shell(handed_over, "SELECT state FROM adk_app_states") == ['{"seen":3}']
    assert _shell(handed_over, "SELECT state FROM adk_user_states") == ['{"tier":"gold"}']
    # A rollback-journal file: reading it leaves nothing beside it.
    assert sorted(p.name for p in handed_over.parent.iterdir()) == [handed_over.name]


def test_python_sqlite3_reads_an_archived_file_read_only(handed_over: Path) -> None:
    connection = sqlite3.connect(f"file:{handed_over}?mode=ro", uri=True)
    try:
        (state,) = connection.execute("SELECT state FROM adk_sessions").fetchone()
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    finally:
        connection.close()

    assert json.loads(state) == {"step": 3}
    assert mode == "delete"


def test_the_timeline_of_an_archived_file_has_everything(handed_over: Path) -> None:
    timeline = read_timeline(handed_over, "ticket-7")

    assert [event.texts for event in timeline.events] == [
        ["message 1"],
        ["message 2"],
        ["message 3"],
    ]
    assert timeline.state == {"step": 3, "app:seen": 3, "user:tier": "gold"}
