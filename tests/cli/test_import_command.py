"""``adk-sqlite import`` and `import_adk_database`, against databases written by ADK itself.

Each source is written by google-adk's own ``SqliteSessionService`` or
``DatabaseSessionService`` (on ``sqlite+aiosqlite``), through a Runner with
tools, a sub-agent and state in every scope. After the import, every session
read through ``SessionService(SqliteStore(...))`` must equal what the ADK
service itself returns for it: the same events and the same state.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions import DatabaseSessionService
from google.adk.sessions.base_session_service import BaseSessionService
from google.adk.sessions.session import Session
from google.adk.sessions.sqlite_session_service import SqliteSessionService

from adk_sqlite import SessionService, SqliteStore, import_adk_database
from adk_sqlite.testing import call_tool, say
from adk_sqlite.transfer.adk_import import detect_adk_layout
from support.conversations import (
    ADA,
    APP,
    GRACE,
    OTHER_APP,
    SHORT_TICKET,
    Turn,
    hold_conversations,
    run_turns,
)

from .conftest import run_cli, sql

LAYOUTS = ("sqlite_session_service", "database_session_service")
APPS = (APP, OTHER_APP)
SessionKey = tuple[str, str, str]


def open_adk_service(layout: str, path: Path) -> BaseSessionService:
    """ADK's own service of the given kind over ``path``."""
    if layout == "sqlite_session_service":
        return SqliteSessionService(str(path))
    return DatabaseSessionService(f"sqlite+aiosqlite:///{path}")


async def _close(service: BaseSessionService) -> None:
    close = getattr(service, "close", None)
    if close is not None:
        await close()


async def _write_source(layout: str, path: Path) -> None:
    service = open_adk_service(layout, path)
    try:
        await hold_conversations(service)
        # A session without events, with floats that must survive bit for bit.
        await service.create_session(
            app_name=APP,
            user_id="lin",
            session_id="empty",
            state={"ratio": 0.1 + 0.2, "app:tier": "gold", "user:seats": 3},
        )
        # A user whose only session is gone: their user: state remains in ADK.
        await service.create_session(
            app_name=APP, user_id="olga", session_id="gone", state={"user:plan": "pro"}
        )
        await service.delete_session(app_name=APP, user_id="olga", session_id="gone")
    finally:
        await _close(service)


@pytest.fixture(params=LAYOUTS)
def layout(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def source(layout: str, tmp_path: Path) -> Path:
    """A database written by ADK's own service of the given kind."""
    path = tmp_path / f"adk-{layout}.db"
    asyncio.run(_write_source(layout, path))
    return path


async def _read_all(service: BaseSessionService) -> dict[SessionKey, Session]:
    sessions = {}
    for app in APPS:
        for listed in (await service.list_sessions(app_name=app)).sessions:
            session = await service.get_session(
                app_name=app, user_id=listed.user_id, session_id=listed.id
            )
            assert session is not None
            sessions[(app, listed.user_id, listed.id)] = session
    return sessions


@dataclass(frozen=True)
class Views:
    """The same sessions and user states, as ADK's service and as adk-sqlite return them."""

    expected: dict[SessionKey, Session]
    imported: dict[SessionKey, Session]
    expected_user_states: dict[str, dict[str, Any]]
    imported_user_states: dict[str, dict[str, Any]]


# Users whose user: state must arrive, including "olga", whose only session is deleted.
USERS = (ADA, GRACE, "lin", "olga")


async def _read_views(layout: str, source: Path, destination: Path) -> Views:
    adk = open_adk_service(layout, source)
    try:
        expected = await _read_all(adk)
        expected_users = {u: await adk.get_user_state(app_name=APP, user_id=u) for u in USERS}
    finally:
        await _close(adk)
    async with SessionService(SqliteStore(destination)) as ours:
        imported = await _read_all(ours)
        imported_users = {u: await ours.get_user_state(app_name=APP, user_id=u) for u in USERS}
    return Views(expected, imported, expected_users, imported_users)


def _assert_same(layout: str, views: Views) -> None:
    expected, imported = views.expected, views.imported
    assert sorted(imported) == sorted(expected)
    for key, session in expected.items():
        ours = imported[key]
        assert ours.events == session.events, key
        assert ours.state == session.state, key
        if layout == "sqlite_session_service":
            assert ours.last_update_time == session.last_update_time, key
        else:
            # DatabaseSessionService keeps DATETIME to the microsecond; the exact
            # epoch comes from the newest event's JSON (or equals the creation time).
            assert ours.last_update_time == pytest.approx(session.last_update_time, abs=1e-6)
    assert views.imported_user_states == views.expected_user_states
    assert views.expected_user_states["olga"] == {"plan": "pro"}


def test_import_brings_every_session_with_the_same_events_and_state(
    layout: str, source: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "sessions.db"

    result = run_cli("import", source, destination, "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    views = asyncio.run(_read_views(layout, source, destination))
    _assert_same(layout, views)
    expected, imported = views.expected, views.imported
    assert report["layout"] == layout
    assert report["sessions_created"] == len(expected) == 4
    [(source_events,)] = sql(source, "SELECT count(*) FROM events")
    assert report["events_imported"] == source_events > 20
    assert any(e.get_function_calls() for s in imported.values() for e in s.events)
    assert imported[(APP, "lin", "empty")].state["ratio"] == 0.1 + 0.2


def test_import_keeps_every_event_timestamp_exactly(
    layout: str, source: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "sessions.db"
    asyncio.run(import_adk_database(source, destination))

    views = asyncio.run(_read_views(layout, source, destination))

    expected, imported = views.expected, views.imported
    stamps = [e.timestamp for s in expected.values() for e in s.events]
    assert [e.timestamp for s in imported.values() for e in s.events] == stamps
    assert len(set(stamps)) == len(stamps)


def test_import_twice_changes_nothing(layout: str, source: Path, tmp_path: Path) -> None:
    destination = tmp_path / "sessions.db"
    asyncio.run(import_adk_database(source, destination))
    before = sql(destination, "SELECT seq, id, session_key FROM adk_events ORDER BY seq")

    again = asyncio.run(import_adk_database(source, destination))

    assert (again.sessions_created, again.sessions_updated, again.events_imported) == (0, 0, 0)
    assert again.sessions_unchanged == 4
    assert again.events_already_present == len(before)
    assert again.app_states_merged == again.user_states_merged == 0
    assert sql(destination, "SELECT seq, id, session_key FROM adk_events ORDER BY seq") == before
    _assert_same(layout, asyncio.run(_read_views(layout, source, destination)))


async def _continue_in_adk(layout: str, source: Path) -> None:
    service = open_adk_service(layout, source)
    try:
        await run_turns(
            service,
            APP,
            GRACE,
            SHORT_TICKET,
            (
                Turn(
                    "Remember my city.",
                    (call_tool("remember", key="city", value="Oslo"), say("Noted: Oslo.")),
                ),
            ),
        )
    finally:
        await _close(service)


def test_import_again_picks_up_what_was_added_to_the_source(
    layout: str, source: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "sessions.db"
    asyncio.run(import_adk_database(source, destination))
    asyncio.run(_continue_in_adk(layout, source))

    again = asyncio.run(import_adk_database(source, destination))

    assert again.sessions_updated == 1
    assert again.events_imported == 4  # the message, the call, the response, the answer
    views = asyncio.run(_read_views(layout, source, destination))
    _assert_same(layout, views)
    imported = views.imported
    assert imported[(APP, GRACE, SHORT_TICKET)].state["user:city"] == "Oslo"
    assert imported[(APP, GRACE, SHORT_TICKET)].state["last_saved"] == "city"


async def _newer_in_destination(destination: Path) -> None:
    async with SessionService(SqliteStore(destination)) as service:
        session = await service.get_session(app_name=APP, user_id=ADA, session_id="ticket-1")
        assert session is not None
        await service.append_event(
            session,
            Event(author="user", actions=EventActions(state_delta={"user:name": "Ada L."})),
        )


def test_import_again_keeps_state_that_is_newer_in_the_destination(
    layout: str, source: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "sessions.db"
    asyncio.run(import_adk_database(source, destination))
    asyncio.run(_newer_in_destination(destination))

    again = asyncio.run(import_adk_database(source, destination))

    assert again.states_kept >= 1
    [(state,)] = sql(
        destination,
        "SELECT state FROM adk_user_states WHERE app_name = ? AND user_id = ?",
        (APP, ADA),
    )
    assert json.loads(state)["name"] == "Ada L."


def test_detect_adk_layout_tells_the_two_services_apart(layout: str, source: Path) -> None:
    assert detect_adk_layout(source) == layout


def test_import_table_summarises_what_arrived(source: Path, tmp_path: Path) -> None:
    result = run_cli("import", source, tmp_path / "sessions.db")

    assert result.exit_code == 0, result.output
    assert "sessions: 4 created, 0 updated, 0 already complete" in result.stdout


def test_import_refuses_a_source_that_is_not_an_adk_database(
    conversation_db: Path, tmp_path: Path
) -> None:
    destination = tmp_path / "sessions.db"

    result = run_cli("import", conversation_db, destination)

    assert result.exit_code == 4
    assert "it is already an adk-sqlite database" in result.stderr
    assert not destination.exists()


def test_import_refuses_adks_legacy_pickle_schema(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.db"
    connection = sqlite3.connect(legacy)
    try:
        for table, columns in (
            ("sessions", "app_name, user_id, id, state, create_time, update_time"),
            ("events", "id, app_name, user_id, session_id, invocation_id, author, actions"),
            ("app_states", "app_name, state, update_time"),
            ("user_states", "app_name, user_id, state, update_time"),
        ):
            connection.execute(f"CREATE TABLE {table} ({columns})")
        connection.commit()
    finally:
        connection.close()

    result = run_cli("import", legacy, tmp_path / "sessions.db")

    assert result.exit_code == 4
    assert "legacy v0 (pickle) schema" in result.stderr
    assert "migrate_from_sqlalchemy_pickle" in result.stderr


def test_import_refuses_to_add_tables_to_another_database(source: Path, tmp_path: Path) -> None:
    other = tmp_path / "other-app.db"
    sql(other, "CREATE TABLE orders (id INTEGER PRIMARY KEY)")

    result = run_cli("import", source, other)

    assert result.exit_code == 4
    assert "not an adk-sqlite one" in result.stderr
    assert sql(other, "SELECT name FROM sqlite_master") == [("orders",)]


def test_import_into_itself_is_refused(source: Path) -> None:
    result = run_cli("import", source, source)

    assert result.exit_code == 2
    assert "same file" in result.stderr


def test_import_into_a_read_only_database_exits_6(source: Path, db_path: Path) -> None:
    before = sql(db_path, "SELECT count(*) FROM adk_sessions")

    result = run_cli("import", source, f"sqlite:///{db_path}?mode=ro")

    assert result.exit_code == 6
    assert "read-only" in result.stderr
    assert sql(db_path, "SELECT count(*) FROM adk_sessions") == before
