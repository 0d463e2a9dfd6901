"""SQLite -> PostgreSQL -> SessionService returns exactly what SQLite returned."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import asyncpg
import msgspec
import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from adk_sqlite import (
    ExportProgress,
    PostgresStore,
    SessionService,
    SqliteStore,
    export_to_postgres,
)

from ._support import apps_of, assert_same_sessions, build_source


async def test_every_session_reads_back_equal_from_postgresql(source_path: Path, dsn: str) -> None:
    keys = await build_source(source_path, sessions=6, events=7)

    report = await export_to_postgres(source_path, dsn)

    assert report.verified
    compared = await assert_same_sessions(source_path, dsn, app_names=apps_of(source_path))
    assert compared == len(keys) == 6


async def test_the_report_counts_rows_and_checksums_each_session(
    source_path: Path, dsn: str
) -> None:
    keys = await build_source(source_path, sessions=3, events=4)

    report = await export_to_postgres(source_path, dsn)

    assert [(t.table, t.source_rows, t.copied_rows, t.verified_rows) for t in report.tables] == [
        ("adk_sessions", 3, 3, 3),
        ("adk_events", 12, 12, 12),
        ("adk_app_states", 2, 2, 2),
        ("adk_user_states", 3, 3, 3),
        ("adk_artifacts", 0, 0, 0),
        ("adk_memories", 0, 0, 0),
        ("adk_memories_sessions", 0, 0, 0),
    ]
    assert [(c.app_name, c.user_id, c.session_id) for c in report.checksums] == sorted(keys)
    assert all(c.events == 4 for c in report.checksums)
    assert len({c.sha256 for c in report.checksums}) == 3
    assert report.mismatched == ()
    assert msgspec.json.decode(msgspec.json.encode(report))["verified"] is True


async def test_checksums_follow_the_documented_definition(source_path: Path, dsn: str) -> None:
    from adk_sqlite.codec.event_digest import event_row_digest

    await build_source(source_path, sessions=1, events=3)
    report = await export_to_postgres(source_path, dsn)

    with sqlite3.connect(source_path) as connection:
        rows = connection.execute(
            "SELECT id, app_name, user_id, session_id, invocation_id, author, timestamp_unix,"
            " actions, long_running_tool_ids_json, branch, content, grounding_metadata,"
            " custom_metadata, usage_metadata, citation_metadata, input_transcription,"
            " output_transcription, partial, turn_complete, interrupted, error_code,"
            " error_message, extra FROM adk_events ORDER BY seq"
        ).fetchall()
    connection.close()
    expected = hashlib.sha256(b"".join(event_row_digest(row) for row in rows)).hexdigest()
    (checksum,) = report.checksums
    assert checksum.sha256 == expected


async def test_the_conversation_continues_on_postgresql(source_path: Path, dsn: str) -> None:
    (key, *_) = await build_source(source_path, sessions=1, events=3)
    await export_to_postgres(source_path, dsn)
    app, user, session_id = key

    async with SessionService(PostgresStore(dsn)) as service:
        session = await service.get_session(app_name=app, user_id=user, session_id=session_id)
        assert session is not None
        await service.append_event(
            session, Event(author="agent", actions=EventActions(state_delta={"own": "pg"}))
        )
        again = await service.get_session(app_name=app, user_id=user, session_id=session_id)

    assert again == session
    assert again is not None
    assert len(again.events) == 4
    assert again.state["own"] == "pg"


async def test_tied_and_backdated_timestamps_keep_their_order_and_append_order(
    source_path: Path, dsn: str
) -> None:
    await build_source(source_path, sessions=1, events=6)
    await export_to_postgres(source_path, dsn)

    with sqlite3.connect(source_path) as connection:
        source_order = [
            row[0] for row in connection.execute("SELECT id FROM adk_events ORDER BY seq")
        ]
    connection.close()
    target = await asyncpg.connect(dsn)
    try:
        target_order = [
            row[0] for row in await target.fetch("SELECT id FROM adk_events ORDER BY seq")
        ]
    finally:
        await target.close()
    assert target_order == source_order


async def test_one_app_can_be_exported_alone(source_path: Path, dsn: str) -> None:
    await build_source(source_path, sessions=4, events=2, app_names=("a", "b"))

    report = await export_to_postgres(source_path, dsn, app_name="b")

    assert report.app_name == "b"
    assert report.sessions.source_rows == 2
    await assert_same_sessions(source_path, dsn, app_names=["b"])
    async with SessionService(PostgresStore(dsn)) as service:
        assert (await service.list_sessions(app_name="a")).sessions == []
        assert await service.get_app_state(app_name="a") == {}


async def test_stores_with_their_own_table_names_and_owner_column(
    source_path: Path, dsn: str
) -> None:
    names = {
        "session_table": "bot_sessions",
        "events_table": "bot_events",
        "app_state_table": "bot_app",
        "user_state_table": "bot_user",
    }
    with sqlite3.connect(source_path) as connection:
        connection.execute("CREATE TABLE tenants (id INTEGER PRIMARY KEY)")
        connection.execute("INSERT INTO tenants VALUES (7)")
    connection.close()
    source = SqliteStore(
        source_path, owner_id_column="tenant_id INTEGER REFERENCES tenants(id)", **names
    )
    async with SessionService(source, owner_id=7) as service:
        session = await service.create_session(app_name="a", user_id="u", state={"user:x": 1})
        await service.append_event(session, Event(author="agent"))
    admin = await asyncpg.connect(dsn)
    await admin.execute(
        "CREATE TABLE tenants (id BIGINT PRIMARY KEY); INSERT INTO tenants VALUES (7)"
    )
    await admin.close()
    target = PostgresStore(
        dsn, owner_id_column="tenant_id BIGINT NOT NULL REFERENCES tenants(id)", **names
    )
    source = SqliteStore(source_path, owner_id_column="tenant_id INTEGER", **names)
    try:
        report = await export_to_postgres(source, target)
        assert report.sessions.table == "bot_sessions"
        async with SessionService(source, owner_id=7) as before:
            expected = await before.get_session(app_name="a", user_id="u", session_id=session.id)
        confined = SessionService(target, owner_id=7)
        got = await confined.get_session(app_name="a", user_id="u", session_id=session.id)
        assert got == expected
        assert (
            await SessionService(target, owner_id=8).get_session(
                app_name="a", user_id="u", session_id=session.id
            )
            is None
        )
    finally:
        await target.close()
        await source.close()


async def test_progress_reports_each_phase_up_to_its_total(source_path: Path, dsn: str) -> None:
    await build_source(source_path, sessions=3, events=5)
    seen: list[ExportProgress] = []

    await export_to_postgres(source_path, dsn, batch_size=4, progress=seen.append)

    phases = [p.phase for p in seen]
    assert phases == sorted(phases, key=["sessions", "events", "verify"].index)
    for phase in ("sessions", "events", "verify"):
        reports = [p for p in seen if p.phase == phase]
        assert reports[0].done == 0
        assert reports[-1].done == reports[-1].total
        assert [p.done for p in reports] == sorted(p.done for p in reports)
    events = [p for p in seen if p.phase == "events"]
    assert events[-1].total == 15
    assert len(events) == 1 + 4  # the start, then one per batch of 4


async def test_an_empty_database_exports_to_empty_tables(source_path: Path, dsn: str) -> None:
    async with SqliteStore(source_path):
        pass

    report = await export_to_postgres(source_path, dsn)

    assert report.verified
    assert [t.source_rows for t in report.tables] == [0, 0, 0, 0, 0, 0, 0]


@pytest.mark.parametrize("url_form", [False, True])
async def test_the_source_may_be_a_path_url_or_store(
    source_path: Path, dsn: str, url_form: bool
) -> None:
    await build_source(source_path, sessions=1, events=1)
    source = f"sqlite:///{source_path}" if url_form else SqliteStore(source_path)

    report = await export_to_postgres(source, dsn)

    assert report.verified
    assert report.source == str(source_path)
    if isinstance(source, SqliteStore):
        await source.close()


async def test_events_left_behind_by_a_delete_without_foreign_keys_are_not_copied(
    source_path: Path, dsn: str
) -> None:
    keys = await build_source(source_path, sessions=2, events=3)
    with sqlite3.connect(source_path) as connection:  # foreign_keys is off by default
        connection.execute("DELETE FROM adk_sessions WHERE id = ?", (keys[0][2],))
    connection.close()

    report = await export_to_postgres(source_path, dsn)

    assert report.verified
    assert report.events.source_rows == report.events.copied_rows == 3
    target = await asyncpg.connect(dsn)
    try:
        assert await target.fetchval("SELECT count(*) FROM adk_events") == 3
    finally:
        await target.close()
