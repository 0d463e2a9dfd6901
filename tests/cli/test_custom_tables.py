"""Every command and library tool on a file whose store renamed its tables and has an owner column.

The database is written through a real ADK Runner (`support.conversations`) by
``SessionService(SqliteStore(path, session_table=..., owner_id_column=...))``, so
it holds no ``adk_sessions`` table at all: a tool that still read the default
names would fail, and each test asserts what the renamed tables really hold.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import (
    PostgresStore,
    SessionService,
    SqliteStore,
    audit_tool_calls,
    backup_database,
    check_database,
    database_stats,
    list_session_summaries,
    prune_idle_sessions,
    prune_old_events,
    read_timeline,
    run_readonly_query,
    vacuum_database,
)
from adk_sqlite.sqlite.schema.sql import SCHEMA_VERSION
from support.conversations import (
    ADA,
    APP,
    FAILED_LOOKUP,
    SALES_TICKET,
    SHORT_TICKET,
    TICKET,
    hold_conversations,
)

from .conftest import run_cli, sql

NAMES: dict[str, Any] = {
    "session_table": "bot_sessions",
    "events_table": "bot_events",
    "app_state_table": "bot_app_state",
    "user_state_table": "bot_user_state",
}
OWNER_DDL = "tenant TEXT NOT NULL"
OWNER = "acme"


def _store(path: Path, **options: Any) -> SqliteStore:
    return SqliteStore(path, **NAMES, owner_id_column=OWNER_DDL, **options)


async def _write(path: Path) -> None:
    async with SessionService(_store(path), owner_id=OWNER) as service:
        await hold_conversations(service)


def _copy(source: Path, copy: Path) -> Path:
    origin, target = sqlite3.connect(source), sqlite3.connect(copy)
    try:
        origin.backup(target)
    finally:
        origin.close()
        target.close()
    return copy


@pytest.fixture(scope="module")
def custom_db_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("custom") / "bots.db"
    asyncio.run(_write(path))
    return path


@pytest.fixture
def custom_db(custom_db_once: Path, tmp_path: Path) -> Path:
    """The conversations in renamed tables with an owner column; the test's own copy."""
    return _copy(custom_db_once, tmp_path / "bots.db")


def _json(*args: str | Path) -> Any:
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _events_of(path: Path, session_id: str) -> int:
    return int(
        sql(path, "SELECT count(*) FROM bot_events WHERE session_id = ?", (session_id,))[0][0]
    )


def test_the_store_records_its_table_names_in_the_file(custom_db: Path) -> None:
    tables = {row[0] for row in sql(custom_db, "SELECT name FROM sqlite_master")}

    assert sql(custom_db, "SELECT * FROM adk_sqlite_table_sets") == [
        ("bot_sessions", "bot_events", "bot_app_state", "bot_user_state")
    ]
    assert sql(custom_db, "SELECT table_set, max(version) FROM adk_sqlite_schema") == [
        ("bot_sessions", SCHEMA_VERSION)
    ]
    assert "adk_sessions" not in tables
    assert "adk_events" not in tables


def test_sessions_lists_the_sessions_of_renamed_tables(custom_db: Path) -> None:
    listing = _json("sessions", custom_db)

    assert {(s["app_name"], s["id"], s["events"]) for s in listing["sessions"]} == {
        (APP, TICKET, _events_of(custom_db, TICKET)),
        (APP, SHORT_TICKET, _events_of(custom_db, SHORT_TICKET)),
        ("sales", SALES_TICKET, _events_of(custom_db, SALES_TICKET)),
    }
    assert _events_of(custom_db, TICKET) > 10


def test_show_reads_the_timeline_and_scoped_state_of_renamed_tables(custom_db: Path) -> None:
    timeline = _json("show", custom_db, TICKET)

    calls = [call["name"] for event in timeline["events"] for call in event["tool_calls"]]
    results = [r["response"] for event in timeline["events"] for r in event["tool_results"]]
    assert calls == [
        "remember",
        "lookup_order",
        "lookup_order",
        "cancel_everything",
        "transfer_to_agent",
    ]
    assert {"error": FAILED_LOOKUP} in results
    assert timeline["state"]["user:name"] == "Ada"  # from bot_user_state
    assert timeline["state"]["app:facts_saved"] == 1  # from bot_app_state


def test_tools_pairs_the_calls_stored_in_renamed_tables(custom_db: Path) -> None:
    audit = _json("tools", custom_db)

    assert [(c["session_id"], c["tool"], c["status"]) for c in audit["calls"]] == [
        (TICKET, "remember", "ok"),
        (TICKET, "lookup_order", "ok"),
        (TICKET, "lookup_order", "error"),
        (TICKET, "cancel_everything", "error"),
        (TICKET, "transfer_to_agent", "ok"),
        (SALES_TICKET, "remember", "ok"),
    ]


def test_stats_counts_the_renamed_tables(custom_db: Path) -> None:
    stats = _json("stats", custom_db)

    assert stats["sessions"] == 3
    assert stats["events"] == sql(custom_db, "SELECT count(*) FROM bot_events")[0][0]
    assert stats["schema_version"] == SCHEMA_VERSION


def test_query_reads_the_renamed_tables_and_the_owner_column(custom_db: Path) -> None:
    result = _json("query", custom_db, "SELECT tenant, count(*) FROM bot_sessions GROUP BY tenant")

    assert result["rows"] == [[OWNER, 3]]


def test_check_validates_the_json_of_the_renamed_tables(custom_db: Path) -> None:
    assert _json("check", custom_db)["ok"] is True
    sql(custom_db, "UPDATE bot_sessions SET state = '{broken' WHERE id = ?", (SHORT_TICKET,))

    result = run_cli("check", custom_db, "--json")

    assert result.exit_code == 1, result.output
    assert json.loads(result.stdout)["invalid_json"] == [
        {"table": "bot_sessions", "column": "state", "key": f"{APP}/grace/{SHORT_TICKET}"}
    ]


def test_check_repair_moves_damaged_events_to_the_table_sets_own_table(custom_db: Path) -> None:
    (seq,) = sql(custom_db, "SELECT max(seq) FROM bot_events WHERE session_id = ?", (TICKET,))[0]
    sql(custom_db, "UPDATE bot_events SET content = '{not json' WHERE seq = ?", (seq,))

    report = _json("check", custom_db, "--repair")

    assert report["ok"] is True
    assert report["set_aside"]["table"] == "bot_events_damaged"
    assert [event["seq"] for event in report["set_aside"]["moved"]] == [seq]
    assert sql(custom_db, "SELECT seq, content FROM bot_events_damaged") == [(seq, "{not json")]


def test_backup_copies_the_file_and_counts_the_renamed_tables(
    custom_db: Path, tmp_path: Path
) -> None:
    report = _json("backup", custom_db, tmp_path / "copy.db")

    assert (report["sessions"], report["events"]) == (
        3,
        sql(custom_db, "SELECT count(*) FROM bot_events")[0][0],
    )
    assert sql(tmp_path / "copy.db", "SELECT count(*) FROM bot_sessions") == [(3,)]


async def test_prune_deletes_an_idle_session_of_renamed_tables(custom_db: Path) -> None:
    events = _events_of(custom_db, SALES_TICKET)
    sql(
        custom_db,
        "UPDATE bot_sessions SET update_time = update_time - 90 WHERE id = ?",
        (SALES_TICKET,),
    )

    report = _json("prune", custom_db, "--idle-days", "30")

    assert (report["sessions_deleted"], report["events_deleted"]) == (1, events)
    async with SessionService(_store(custom_db), owner_id=OWNER) as service:
        assert (
            await service.get_session(app_name="sales", user_id=ADA, session_id=SALES_TICKET)
            is None
        )
        assert await service.get_session(app_name=APP, user_id=ADA, session_id=TICKET) is not None


def test_prune_deletes_old_events_of_renamed_tables(custom_db: Path) -> None:
    sql(
        custom_db,
        "UPDATE bot_events SET timestamp = timestamp - 90 WHERE session_id = ?",
        (SHORT_TICKET,),
    )
    events = _events_of(custom_db, SHORT_TICKET)

    report = _json("prune", custom_db, "--events-older-than", "30", "--vacuum")

    assert (report["events_deleted"], report["sessions_affected"]) == (events, 1)
    assert _events_of(custom_db, SHORT_TICKET) == 0
    assert report["vacuum"]["bytes_after"] > 0


def test_every_library_tool_follows_the_recorded_names(custom_db: Path, tmp_path: Path) -> None:
    events = sql(custom_db, "SELECT count(*) FROM bot_events")[0][0]

    assert list_session_summaries(custom_db, app_name=APP).total == 2
    assert read_timeline(custom_db, SHORT_TICKET).state["channel"] == "chat"
    assert [s.tool for s in audit_tool_calls(custom_db).tools][:2] == ["lookup_order", "remember"]
    assert database_stats(custom_db).events == events
    assert check_database(custom_db).events_decoded == events
    assert backup_database(custom_db, tmp_path / "b.db").events == events
    assert prune_old_events(custom_db, older_than_days=0, dry_run=True).events_deleted == events
    assert prune_idle_sessions(custom_db, idle_days=0, dry_run=True).sessions_deleted == 3
    assert run_readonly_query(custom_db, "SELECT count(*) FROM bot_events").rows == [[events]]
    assert vacuum_database(custom_db).bytes_after > 0


async def test_a_file_of_two_table_sets_needs_the_table_set_option(custom_db: Path) -> None:
    async with SessionService(SqliteStore(custom_db)) as default:
        await default.create_session(app_name=APP, user_id="eve", session_id="default-1")

    refused = run_cli("sessions", custom_db)
    bots = _json("sessions", custom_db, "--table-set", "bot_sessions")
    defaults = _json("sessions", custom_db, "--table-set", "adk_sessions")

    assert refused.exit_code == 4
    assert "adk_sessions, bot_sessions" in refused.stderr
    assert "--table-set" in refused.stderr
    assert bots["total"] == 3
    assert [s["id"] for s in defaults["sessions"]] == ["default-1"]
    assert _json("query", custom_db, "SELECT count(*) FROM bot_sessions")["rows"] == [[3]]


def _forget_recorded_names(path: Path) -> None:
    """Makes the file look written before schema version 2 (no names recorded)."""
    sessions = sql(path, "SELECT table_set FROM adk_sqlite_schema WHERE version = 1")[0][0]
    events = sql(path, "SELECT events_table FROM adk_sqlite_table_sets")[0][0]
    sql(path, "DELETE FROM adk_sqlite_schema WHERE version >= 2")
    sql(path, "DROP TABLE adk_sqlite_table_sets")
    # Version 3's page indexes, version 4's flagged-events index, version 5's event views.
    sql(path, f'DROP INDEX "{sessions}_app_create"')
    sql(path, f'DROP INDEX "{sessions}_app_user_create"')
    sql(path, f'DROP INDEX "{events}_flagged"')
    views = ("view_unsure", "view_needed", "compactions", "compaction_starts", "compaction_ends")
    for index in views:
        sql(path, f'DROP INDEX "{events}_{index}"')
    for column in ("view_role", "compaction_start", "compaction_end"):
        sql(path, f'ALTER TABLE "{events}" DROP COLUMN {column}')


async def test_a_file_from_before_recorded_names_is_read_with_the_default_names(
    conversation_db: Path, tmp_path: Path
) -> None:
    path = _copy(conversation_db, tmp_path / "old.db")
    _forget_recorded_names(path)

    listing = _json("sessions", path)

    assert {s["id"] for s in listing["sessions"]} == {TICKET, SHORT_TICKET, SALES_TICKET}
    assert _json("stats", path)["schema_version"] == 1


async def test_renamed_tables_from_before_recorded_names_are_read_once_a_store_opened_them(
    custom_db: Path,
) -> None:
    _forget_recorded_names(custom_db)
    before = run_cli("sessions", custom_db)

    async with _store(custom_db):
        pass  # migrates the table set to version 2, which records its names

    assert before.exit_code == 4
    assert "'bot_sessions' recorded no table names" in before.stderr
    assert _json("sessions", custom_db)["total"] == 3


def test_names_recorded_in_a_file_are_validated_before_use(custom_db: Path) -> None:
    sql(custom_db, "UPDATE adk_sqlite_table_sets SET events_table = 'x\"; DROP TABLE y; --'")

    result = run_cli("sessions", custom_db)

    assert result.exit_code == 4
    assert "not a valid table or column name" in result.stderr


async def _write_without_owner(path: Path) -> None:
    async with SessionService(SqliteStore(path, **NAMES)) as service:
        session = await service.create_session(app_name=APP, user_id=ADA, session_id="t-1")
        await service.append_event(
            session,
            Event(
                author="user",
                invocation_id="inv",
                content=types.Content(role="user", parts=[types.Part(text="hello")]),
            ),
        )


async def _events_on_postgres(dsn: str) -> list[str]:
    async with SessionService(PostgresStore(dsn)) as service:
        session = await service.get_session(app_name=APP, user_id=ADA, session_id="t-1")
        assert session is not None
        return [part.text or "" for event in session.events for part in event.content.parts]  # type: ignore[union-attr]


def test_export_copies_the_renamed_tables_into_postgresql(tmp_path: Path, dsn: str) -> None:
    path = tmp_path / "plain-owner.db"
    asyncio.run(_write_without_owner(path))

    report = _json("export", path, dsn)

    assert report["verified"] is True
    assert report["events"]["source_rows"] == report["events"]["copied_rows"] == 1
    assert asyncio.run(_events_on_postgres(dsn)) == ["hello"]


def test_export_of_an_owner_column_asks_for_a_target_that_has_one(
    custom_db: Path, dsn: str
) -> None:
    result = run_cli("export", custom_db, dsn)

    assert result.exit_code == 2
    assert "owner column ('tenant')" in result.stderr
