"""§11.5 SqliteSessionService's specifics, adapted to `SqliteStore`.

Database locations (paths, ``sqlite[+aiosqlite]:///`` URLs relative and absolute,
``?mode=ro``), in-memory databases, exact data across a reopen, rollback of a
failed append, and a duplicate create between two stores on one file. Lifecycle,
owner columns, table options and locking are pinned in tests/sqlite.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.sessions.base_session_service import BaseSessionService
from google.genai import types

from adk_sqlite import SessionService, SqliteStore, errors

from ._support import APP, USER, make_event

MEMORY_SPELLINGS = pytest.mark.parametrize(
    "database",
    [":memory:", "", "sqlite:///", "sqlite:///:memory:"],
    ids=["colon-memory", "empty", "url-empty", "url-memory"],
)


async def _create_one_session(database: str | Path) -> None:
    async with SessionService(SqliteStore(database)) as service:
        await service.create_session(app_name=APP, user_id=USER, session_id="s1", state={"k": 1})


async def _stored_state(path: Path) -> dict[str, object] | None:
    async with SessionService(SqliteStore(path)) as service:
        got = await service.get_session(app_name=APP, user_id=USER, session_id="s1")
    return None if got is None else got.state


# --- where the database lives ----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "file_name"),
    [
        ("sqlite+aiosqlite:///./sessions.db", "sessions.db"),
        ("sqlite:///./sessions2.db", "sessions2.db"),
        ("sqlite:///plain.db", "plain.db"),
        ("relative.db", "relative.db"),
    ],
)
async def test_relative_url_or_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, file_name: str
) -> None:
    monkeypatch.chdir(tmp_path)

    await _create_one_session(url)

    assert (tmp_path / file_name).is_file()
    assert await _stored_state(tmp_path / file_name) == {"k": 1}


@pytest.mark.parametrize("scheme", ["sqlite+aiosqlite", "sqlite"])
async def test_absolute_sqlite_url_is_an_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheme: str
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    db_path = tmp_path / "absolute.db"

    await _create_one_session(f"{scheme}:////" + str(db_path).lstrip("/"))

    assert db_path.is_file()
    assert list(elsewhere.iterdir()) == []
    assert await _stored_state(db_path) == {"k": 1}


async def test_mode_ro_url_opens_the_database_read_only(tmp_path: Path) -> None:
    db_path = tmp_path / "readonly.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER)")
    conn.close()
    before = db_path.read_bytes()
    store = SqliteStore(f"sqlite+aiosqlite:///{db_path}?mode=ro")

    try:
        with pytest.raises(errors.ReadOnlyDatabaseError, match=r"read-only|readonly") as excinfo:
            await SessionService(store).create_session(app_name=APP, user_id=USER)
    finally:
        await store.close()

    assert isinstance(excinfo.value, errors.DatabaseError)
    assert isinstance(excinfo.value.__cause__, sqlite3.Error)
    assert db_path.read_bytes() == before


@pytest.mark.parametrize(
    "database",
    ["postgresql://user@host/db", "mysql:///x.db", "sqlite://somehost/x.db"],
    ids=["postgresql", "mysql", "sqlite-with-host"],
)
def test_unusable_database_url_is_a_configuration_error(database: str) -> None:
    with pytest.raises(errors.ConfigurationError):
        SqliteStore(database)


# --- in-memory databases ---------------------------------------------------------------


@MEMORY_SPELLINGS
async def test_memory_database_keeps_sessions_and_events_across_calls(database: str) -> None:
    async with SessionService(SqliteStore(database)) as service:
        session = await service.create_session(
            app_name=APP, user_id=USER, session_id="s1", state={"app:a": 1, "user:u": 2, "s": 3}
        )
        await service.append_event(session, make_event(invocation_id="inv1", state_delta={"s": 4}))
        await service.append_event(session, make_event(invocation_id="inv2"))

        got = await service.get_session(app_name=APP, user_id=USER, session_id="s1")
        other = await service.create_session(app_name=APP, user_id="u2")

    assert got == session
    assert got is not None
    assert got.state == {"app:a": 1, "user:u": 2, "s": 4}
    assert [e.invocation_id for e in got.events] == ["inv1", "inv2"]
    assert other.state == {"app:a": 1}


@MEMORY_SPELLINGS
async def test_memory_database_is_gone_after_close_and_reopen(database: str) -> None:
    store = SqliteStore(database)
    await SessionService(store).create_session(app_name=APP, user_id=USER, session_id="s1")

    await store.close()
    await store.close()  # closing twice is fine

    async with SessionService(SqliteStore(database)) as reopened:
        assert await reopened.get_session(app_name=APP, user_id=USER, session_id="s1") is None
        assert (await reopened.list_sessions(app_name=APP)).sessions == []


async def test_two_memory_stores_are_separate_databases() -> None:
    async with (
        SessionService(SqliteStore(":memory:")) as first,
        SessionService(SqliteStore(":memory:")) as second,
    ):
        await first.create_session(app_name=APP, user_id=USER, session_id="s1")

        assert await second.get_session(app_name=APP, user_id=USER, session_id="s1") is None


async def test_memory_store_worker_threads_are_daemons() -> None:
    before = set(threading.enumerate())
    store = SqliteStore(":memory:")
    try:
        await SessionService(store).create_session(app_name=APP, user_id=USER)
        # Threads of the event loop's default executor belong to the loop, which
        # joins them when it closes; the store's own connection threads must be daemons.
        started = {
            thread
            for thread in set(threading.enumerate()) - before
            if not thread.name.startswith("asyncio_")
        }
    finally:
        await store.close()

    assert started, "opening the store started no worker thread"
    assert all(thread.daemon for thread in started), started


# --- reopening a file ------------------------------------------------------------------


async def test_file_database_keeps_everything_exactly_across_reopen(tmp_path: Path) -> None:
    db_path = tmp_path / "reopen.db"
    async with SessionService(SqliteStore(db_path)) as service:
        session = await service.create_session(
            app_name=APP, user_id=USER, state={"app:f": 0.1 + 0.2, "user:b": False, "s": None}
        )
        # Exact epochs a Julian-day double (~20 µs resolution) could not hold.
        for stamp in (1727500000.1234567, 1727500000.1234568, 1700000000.123):
            await service.append_event(
                session,
                make_event(
                    timestamp=stamp,
                    content=types.Content(
                        role="user",
                        parts=[types.Part.from_bytes(data=b"\x00\xff", mime_type="a/b")],
                    ),
                ),
            )

    async with SessionService(SqliteStore(db_path)) as reopened:
        got = await reopened.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert got is not None
    assert [e.timestamp for e in got.events] == [
        1700000000.123,
        1727500000.1234567,
        1727500000.1234568,
    ]
    assert got.last_update_time == 1700000000.123
    assert got.state == session.state
    assert {e.id: e for e in got.events} == {e.id: e for e in session.events}
    assert got._storage_update_marker == session._storage_update_marker


# --- failed writes are rolled back -------------------------------------------------------


@pytest.mark.ours_only
async def test_failed_append_is_rolled_back_and_the_service_keeps_working(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id="s1")
    await service.append_event(
        session,
        make_event(id="dup", invocation_id="inv1", state_delta={"app:a": 1, "user:u": 1, "s": 1}),
    )
    before = await service.get_session(app_name=APP, user_id=USER, session_id="s1")
    assert before is not None
    marker, update_time = session._storage_update_marker, session.last_update_time

    with pytest.raises(AlreadyExistsError) as excinfo:
        await service.append_event(
            session,
            make_event(
                id="dup",
                invocation_id="inv2",
                timestamp=update_time + 5,
                state_delta={"app:a": 2, "user:u": 2, "s": 2, "new": True},
            ),
        )

    assert isinstance(excinfo.value, errors.DuplicateEventError)
    after = await service.get_session(app_name=APP, user_id=USER, session_id="s1")
    assert after == before
    assert after is not None
    assert after.state == {"app:a": 1, "user:u": 1, "s": 1}
    assert await service.get_user_state(app_name=APP, user_id=USER) == {"u": 1}
    # The caller's Session object is untouched and still current.
    assert session._storage_update_marker == marker
    assert session.last_update_time == update_time
    assert [e.invocation_id for e in session.events] == ["inv1"]
    await service.append_event(session, make_event(invocation_id="inv3", state_delta={"s": 3}))
    final = await service.get_session(app_name=APP, user_id=USER, session_id="s1")
    assert final is not None
    assert [e.invocation_id for e in final.events] == ["inv1", "inv3"]
    assert final.state == {"app:a": 1, "user:u": 1, "s": 3}


# --- two stores on one file ------------------------------------------------------------


async def test_duplicate_create_is_detected_across_two_stores_on_one_file(tmp_path: Path) -> None:
    db_path = tmp_path / "shared.db"
    async with (
        SessionService(SqliteStore(db_path)) as first,
        SessionService(SqliteStore(db_path)) as second,
    ):
        await first.create_session(app_name=APP, user_id=USER, session_id="s1", state={"by": 1})

        with pytest.raises(errors.SessionAlreadyExistsError, match="s1"):
            await second.create_session(
                app_name=APP, user_id=USER, session_id="s1", state={"by": 2}
            )

        got = await second.get_session(app_name=APP, user_id=USER, session_id="s1")

    assert got is not None
    assert got.state == {"by": 1}
