"""Pages confined to an owner, and the query plans that keep a page's cost flat."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from google.adk.events.event import Event

from adk_sqlite import SessionService
from adk_sqlite.errors import SessionNotFoundError

from ._backends import LAYOUTS

APP = "pages"


async def test_pages_show_only_the_services_owner(layout: str, tmp_path: Path) -> None:
    async with LAYOUTS[layout](tmp_path, "tenant TEXT") as store:
        alice, bob = SessionService(store, owner_id="alice"), SessionService(store, owner_id="bob")
        for number in range(5):
            owner = alice if number % 2 else bob
            session = await owner.create_session(app_name=APP, user_id="u", session_id=f"s{number}")
            await owner.append_event(session, Event(author="user", invocation_id="i"))
        seen, token = [], None
        while True:
            page = await alice.list_sessions(app_name=APP, page_size=1, page_token=token)
            seen.extend(session.id for session in page.sessions)
            token = page.next_page_token  # type: ignore[attr-defined]
            if token is None:
                break
        assert seen == ["s1", "s3"]
        events = await alice.list_events(app_name=APP, user_id="u", session_id="s1")
        assert len(events.events) == 1
        with pytest.raises(SessionNotFoundError):
            await alice.list_events(app_name=APP, user_id="u", session_id="s0")


@pytest.mark.parametrize("layout_name", ["sqlite", "sqlite-per-session"])
async def test_sqlite_pages_read_an_index_in_order(layout_name: str, tmp_path: Path) -> None:
    async with LAYOUTS[layout_name](tmp_path, None) as store:
        await SessionService(store).create_session(app_name=APP, user_id="u", session_id="s")
    if layout_name == "sqlite":
        database, pages = tmp_path / "sessions.db", store._page_statements  # type: ignore[attr-defined]
        event_database = database
    else:
        database = tmp_path / "agent-sessions" / "catalog.db"
        pages = store._catalog_pages  # type: ignore[attr-defined]
        event_database = next((tmp_path / "agent-sessions" / "sessions").glob("*.db"))
    with sqlite3.connect(database) as connection:
        for statement in pages.session_pages.values():
            plan = _plan(connection, statement.sql, len(statement.params))
            assert "USING INDEX" in plan, plan
            assert "_create" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
            assert "SCAN" not in plan, plan
    file_pages = pages if layout_name == "sqlite" else store._file_pages  # type: ignore[attr-defined]
    with sqlite3.connect(event_database) as connection:
        for statement in file_pages.event_pages.values():
            plan = _plan(connection, statement.sql, len(statement.params))
            assert "USING INDEX" in plan, plan
            assert "TEMP B-TREE" not in plan, plan


def _plan(connection: sqlite3.Connection, sql: str, parameters: int) -> str:
    rows = connection.execute("EXPLAIN QUERY PLAN " + sql, [1] * parameters).fetchall()
    return " | ".join(str(row[-1]) for row in rows)


async def test_postgres_pages_read_an_index_in_order(tmp_path: Path) -> None:
    async with LAYOUTS["postgres"](tmp_path, None) as store:
        pool = await store._ensure_open()  # type: ignore[attr-defined]
        pages = store._page_statements  # type: ignore[attr-defined]
        values = {
            "app_name": APP,
            "user_id": "u",
            "after_user_id": "u",
            "id": "s",
            "create_time": 1.0,
            "owner_id": None,
            "limit": 51,
            "session_key": 1,
            "timestamp": 1.0,
            "seq": 1,
        }
        async with pool.acquire() as connection:
            # A table this small would be sorted: plans are what a large one gets.
            await connection.execute("SET enable_seqscan = off; SET enable_sort = off")
            statements = [*pages.session_pages.values(), *pages.event_pages.values()]
            for statement in statements:
                plan = "\n".join(
                    row[0]
                    for row in await connection.fetch(
                        "EXPLAIN " + statement.sql, *statement.bind(**values)
                    )
                )
                assert "Index Scan" in plan, plan
                assert "Sort" not in plan, plan
