"""A session file may come from anywhere: what is read from it is untrusted."""

from __future__ import annotations

import os
import pickle
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.errors import UnsafePayloadError


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


async def test_a_planted_malicious_actions_blob_is_refused_and_never_runs(
    db_path: Path, tmp_path: Path
) -> None:
    async with SessionService(SqliteStore(db_path)) as service:
        session = await service.create_session(app_name="a", user_id="u", session_id="s")
        await service.append_event(session, Event(id="victim", author="agent"))
    marker = tmp_path / "pwned"
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "UPDATE adk_events SET actions = ? WHERE id = 'victim'",
            (pickle.dumps(_Exploit(marker)),),
        )
    async with SessionService(SqliteStore(db_path)) as service:
        with pytest.raises(UnsafePayloadError, match="event 'victim' of session 's'"):
            await service.get_session(app_name="a", user_id="u", session_id="s")
        # The rest of the database stays usable.
        assert [s.id for s in (await service.list_sessions(app_name="a")).sessions] == ["s"]
    assert not marker.exists()


async def test_corrupt_state_json_raises_a_clear_error(db_path: Path) -> None:
    async with SessionService(SqliteStore(db_path)) as service:
        await service.create_session(app_name="a", user_id="u", session_id="s")
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE adk_sessions SET state = '[1, 2'")
    async with SessionService(SqliteStore(db_path)) as service:
        with pytest.raises(ValueError, match="session 's' state is not a JSON object"):
            await service.get_session(app_name="a", user_id="u", session_id="s")
