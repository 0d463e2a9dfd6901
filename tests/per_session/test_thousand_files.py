"""A folder of 1,000 session files: listing, querying across them, archiving, deleting."""

from __future__ import annotations

import asyncio
from pathlib import Path

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from adk_sqlite import (
    SessionService,
    SqliteStore,
    check_session_folder,
    list_folder_sessions,
    query_session_folder,
)
from adk_sqlite.sqlite import PerSessionSqliteStore

APP = "support"
SESSIONS = 1000
USERS = 10


async def test_a_thousand_session_files(folder: Path) -> None:
    store = SqliteStore.per_session_files(folder)
    async with SessionService(store) as service:
        created = [
            await service.create_session(
                app_name=APP, user_id=f"user{n % USERS}", session_id=f"s{n:04d}"
            )
            for n in range(SESSIONS)
        ]

        async def append(n: int) -> None:
            delta = {"n": n, "user:last": n}
            await service.append_event(
                created[n],
                Event(author="agent", invocation_id="i", actions=EventActions(state_delta=delta)),
            )

        for start in range(0, SESSIONS, 100):
            await asyncio.gather(*(append(n) for n in range(start, start + 100)))

        assert len(list((folder / "sessions").glob("*.db"))) == SESSIONS
        everyone = (await service.list_sessions(app_name=APP)).sessions
        assert len(everyone) == SESSIONS
        assert [s.last_update_time for s in everyone] == sorted(
            s.last_update_time for s in everyone
        )
        assert {s.state["n"] for s in everyone} == set(range(SESSIONS))
        user3 = (await service.list_sessions(app_name=APP, user_id="user3")).sessions
        assert [s.id for s in user3] == [f"s{n:04d}" for n in range(3, SESSIONS, USERS)]
        assert user3[-1].state["user:last"] == SESSIONS - USERS + 3

        counts = query_session_folder(
            folder,
            "SELECT count(*) AS events, max(json_extract(content, '$.role')) FROM adk_events",
            combine="SELECT count(*), sum(events) FROM rows",
        )
        assert counts.rows == [[SESSIONS, SESSIONS]]

        await _archive_and_delete(service, store)

        remaining = (await service.list_sessions(app_name=APP)).sessions
        assert len(remaining) == SESSIONS - 200
        assert not {s.id for s in remaining} & {f"s{n:04d}" for n in range(0, SESSIONS, 5)}

    assert len(list((folder / "sessions").glob("*.db"))) == SESSIONS - 200
    assert len(list((folder / "archive").glob("*.db"))) == 100
    every_file = query_session_folder(folder, "SELECT id FROM adk_sessions", include_archived=True)
    assert len(every_file.rows) == SESSIONS - 100
    assert sum(row[0].startswith("archive/") for row in every_file.rows) == 100
    assert list_folder_sessions(folder, limit=0).total == SESSIONS - 200
    report = check_session_folder(folder)
    assert report.ok, report.drift
    assert report.files_checked == SESSIONS - 200


async def _archive_and_delete(service: SessionService, store: PerSessionSqliteStore) -> None:
    """Archives every tenth session and deletes the one after it (in parallel)."""

    async def archive(n: int) -> None:
        user_id, session_id = f"user{n % USERS}", f"s{n:04d}"
        await store.archive_session(app_name=APP, user_id=user_id, session_id=session_id)

    async def delete(n: int) -> None:
        user_id, session_id = f"user{n % USERS}", f"s{n:04d}"
        await service.delete_session(app_name=APP, user_id=user_id, session_id=session_id)

    await asyncio.gather(
        *(archive(n) for n in range(0, SESSIONS, 10)),
        *(delete(n) for n in range(5, SESSIONS, 10)),
    )
