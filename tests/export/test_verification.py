"""The export checks what it copied, and refuses to overwrite a target that moved on."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import asyncpg
import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from adk_sqlite import (
    ExportProgress,
    ExportReport,
    PostgresStore,
    SessionService,
    SqliteStore,
    export_to_postgres,
)
from adk_sqlite.errors import ExportConflictError, ExportError, ExportVerificationError

from ._support import apps_of, assert_same_sessions, build_source


async def _execute(dsn: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def test_a_tampered_target_event_is_reported_with_its_session(
    source_path: Path, dsn: str
) -> None:
    keys = await build_source(source_path, sessions=3, events=3)
    await export_to_postgres(source_path, dsn)
    await _execute(dsn, """UPDATE adk_events SET content = '{"role":"user"}' WHERE id = 's1-e0'""")

    with pytest.raises(ExportVerificationError, match="session-1") as excinfo:
        await export_to_postgres(source_path, dsn)

    error = excinfo.value
    assert isinstance(error, ExportError)
    assert error.sessions == (keys[1],)
    report = error.report
    assert isinstance(report, ExportReport)
    assert not report.verified
    assert report.mismatched == (keys[1],)
    assert report.events.verified_rows == report.events.source_rows - 3


async def test_a_row_changed_while_the_export_runs_is_caught(source_path: Path, dsn: str) -> None:
    keys = await build_source(source_path, sessions=2, events=2)

    def tamper(dsn: str) -> None:
        asyncio.run(_execute(dsn, "UPDATE adk_events SET author = 'mallory' WHERE id = 's0-e1'"))

    def tamper_before_verifying(step: ExportProgress) -> None:
        if step.phase == "verify" and step.done == 0:
            thread = threading.Thread(target=tamper, args=(dsn,))
            thread.start()
            thread.join(timeout=30)

    with pytest.raises(ExportVerificationError) as excinfo:
        await export_to_postgres(source_path, dsn, progress=tamper_before_verifying)

    assert excinfo.value.sessions == (keys[0],)
    assert "checksum" in str(excinfo.value)


async def test_a_target_event_deleted_by_hand_is_reported(source_path: Path, dsn: str) -> None:
    # The export skips as many of a session's events as the target holds: a hole is not
    # refilled, and the checksum reports it.
    keys = await build_source(source_path, sessions=2, events=4)
    await export_to_postgres(source_path, dsn)
    await _execute(dsn, "DELETE FROM adk_events WHERE id = 's1-e1'")

    with pytest.raises(ExportVerificationError) as excinfo:
        await export_to_postgres(source_path, dsn)

    assert excinfo.value.sessions == (keys[1],)


async def test_session_and_state_rows_changed_on_the_target_are_restored(
    source_path: Path, dsn: str
) -> None:
    await build_source(source_path, sessions=2, events=2)
    await export_to_postgres(source_path, dsn)
    await _execute(dsn, """UPDATE adk_sessions SET state = '{"own": "changed"}'""")
    await _execute(dsn, """UPDATE adk_app_states SET state = '{}'""")

    report = await export_to_postgres(source_path, dsn)

    assert report.sessions.copied_rows == 2
    assert report.app_states.copied_rows == 2
    await assert_same_sessions(source_path, dsn, app_names=apps_of(source_path))


async def test_a_conversation_continued_on_the_target_is_not_overwritten(
    source_path: Path, dsn: str
) -> None:
    keys = await build_source(source_path, sessions=2, events=2)
    await export_to_postgres(source_path, dsn)
    app, user, session_id = keys[0]
    async with SessionService(PostgresStore(dsn)) as target:
        moved_on = await target.get_session(app_name=app, user_id=user, session_id=session_id)
        assert moved_on is not None
        await target.append_event(
            moved_on, Event(author="pg", actions=EventActions(state_delta={"app:shared": "pg"}))
        )
    async with SessionService(SqliteStore(source_path)) as source:
        await source.create_session(app_name="a", user_id="late", session_id="late")

    with pytest.raises(ExportConflictError, match="session-0") as excinfo:
        await export_to_postgres(source_path, dsn)

    assert excinfo.value.sessions == (keys[0],)
    async with SessionService(PostgresStore(dsn)) as target:
        kept = await target.get_session(app_name=app, user_id=user, session_id=session_id)
        late = await target.get_session(app_name="a", user_id="late", session_id="late")
    assert kept == moved_on
    assert late is None  # nothing at all was written
