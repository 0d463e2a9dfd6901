"""Stores opening one new file at the same moment all open it.

SQLite may refuse ``PRAGMA journal_mode = WAL`` with SQLITE_BUSY at once, without
calling the busy handler, while another connection is creating the same file; the
engine retries it within the busy timeout.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from adk_sqlite import SessionService, SqliteStore


async def test_four_stores_opening_one_new_file_at_once_all_succeed(tmp_path: Path) -> None:
    for attempt in range(15):
        path = tmp_path / f"new-{attempt}.db"
        stores = [SqliteStore(path) for _ in range(4)]
        try:
            await asyncio.gather(*(store.create_tables() for store in stores))
            services = [SessionService(store) for store in stores]
            created = await asyncio.gather(
                *(
                    service.create_session(app_name="app", user_id="u", session_id=f"s{n}")
                    for n, service in enumerate(services)
                )
            )
            assert sorted(session.id for session in created) == ["s0", "s1", "s2", "s3"]
        finally:
            for store in stores:
                await store.close()
