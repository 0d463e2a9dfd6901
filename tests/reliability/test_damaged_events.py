"""One undecodable event row: a clear error by default, a readable session on request, a repair.

Each test writes a real conversation with the real service into a SQLite file,
damages one event row by hand with ``sqlite3`` (see `support.damaged_events`), and
reads, checks and repairs the file with the library's public calls.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adk_sqlite import (
    CorruptRecordError,
    SessionService,
    SqliteStore,
    check_database,
    repair_database,
)
from adk_sqlite.tools.damaged_events import DAMAGED_EVENTS_TABLE, set_aside_damaged_events
from support.damaged_events import (
    APP,
    BLOB_IN_TEXT_COLUMN,
    DAMAGED_ID,
    DAMAGES,
    EVENT_IDS,
    EVENT_TABLE_COLUMNS,
    OTHER_SESSION,
    SESSION,
    USER,
    damage,
    event,
    raw_rows,
    write_conversation,
)

_GOOD_IDS = [event_id for event_id in EVENT_IDS if event_id != DAMAGED_ID]


@pytest.fixture
async def written(db_path: Path) -> Path:
    async with SessionService(SqliteStore(db_path)) as service:
        await write_conversation(service)
    return db_path


@pytest.fixture(params=sorted(DAMAGES))
def damaged(request: pytest.FixtureRequest, written: Path) -> Path:
    column, value = DAMAGES[request.param]
    damage(written, column, value)
    return written


@pytest.fixture
async def skipping(damaged: Path) -> AsyncIterator[SessionService]:
    async with SessionService(SqliteStore(damaged), skip_damaged_events=True) as service:
        yield service


async def _read(path: Path, **options: Any) -> list[str]:
    async with SessionService(SqliteStore(path), **options) as service:
        session = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
        assert session is not None
        return [event.id for event in session.events]


async def test_get_session_raises_corrupt_record_error_by_default(damaged: Path) -> None:
    with pytest.raises(CorruptRecordError, match=DAMAGED_ID):
        await _read(damaged)


async def test_skip_damaged_events_reads_the_other_events_in_order(
    skipping: SessionService,
) -> None:
    session = await skipping.get_session(app_name=APP, user_id=USER, session_id=SESSION)

    assert session is not None
    assert [event.id for event in session.events] == _GOOD_IDS
    assert [event.content.parts[0].text for event in session.events if event.content] == [
        "reply 0",
        "reply 2",
        "reply 3",
    ]


async def test_skip_damaged_events_keeps_the_stored_state(skipping: SessionService) -> None:
    session = await skipping.get_session(app_name=APP, user_id=USER, session_id=SESSION)

    # The damaged event's delta was applied when it was appended; state is stored, not replayed.
    assert session is not None
    assert session.state == {"topic": "refund", **{f"seen_{i}": True for i in EVENT_IDS}}


async def test_skip_damaged_events_logs_a_warning_naming_the_event(
    skipping: SessionService, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="adk_sqlite"):
        await skipping.get_session(app_name=APP, user_id=USER, session_id=SESSION)

    [record] = [r for r in caplog.records if r.name.startswith("adk_sqlite")]
    assert record.levelno == logging.WARNING
    assert record.name == "adk_sqlite.service"
    message = record.getMessage()
    assert repr(DAMAGED_ID) in message
    assert repr(SESSION) in message
    assert "corrupt" in message or "refused" in message


async def test_skip_damaged_events_logs_nothing_for_a_sound_session(
    skipping: SessionService, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="adk_sqlite"):
        other = await skipping.get_session(app_name=APP, user_id=USER, session_id=OTHER_SESSION)

    assert other is not None
    assert [event.id for event in other.events] == ["o0"]
    assert not [r for r in caplog.records if r.name.startswith("adk_sqlite")]


async def test_appending_to_a_session_read_without_its_damaged_event_works(
    skipping: SessionService,
) -> None:
    session = await skipping.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    assert session is not None

    await skipping.append_event(session, event("e4", "after the damage", 1010.0))
    again = await skipping.get_session(app_name=APP, user_id=USER, session_id=SESSION)

    assert again is not None
    assert [event.id for event in again.events] == [*_GOOD_IDS, "e4"]
    assert again.state["seen_e4"] is True


async def test_the_option_is_off_by_default(db_path: Path) -> None:
    service = SessionService(SqliteStore(db_path))
    try:
        assert service.skip_damaged_events is False
        assert SessionService(service.store, skip_damaged_events=True).skip_damaged_events
    finally:
        await service.close()


def test_check_lists_exactly_the_damaged_event(damaged: Path) -> None:
    report = check_database(damaged)

    assert not report.ok
    [found] = report.damaged_events
    assert (found.app_name, found.user_id, found.session_id, found.event_id) == (
        APP,
        USER,
        SESSION,
        DAMAGED_ID,
    )
    assert DAMAGED_ID in found.reason
    assert report.events_decoded == len(EVENT_IDS) + 1


def test_check_lists_a_blob_in_a_column_read_as_text(written: Path) -> None:
    damage(written, *BLOB_IN_TEXT_COLUMN)

    [found] = check_database(written).damaged_events

    assert found.event_id == DAMAGED_ID
    assert "branch" in found.reason


def test_check_of_a_sound_database_lists_no_damaged_events(written: Path) -> None:
    report = check_database(written)

    assert report.ok
    assert report.damaged_events == []
    assert report.events_decoded == len(EVENT_IDS) + 1


async def test_repair_moves_the_damaged_event_aside_with_its_bytes(damaged: Path) -> None:
    before = raw_rows(damaged, "adk_events", DAMAGED_ID)

    report = repair_database(damaged)

    assert report.ok
    assert report.check.ok
    [moved] = report.set_aside.moved
    assert (moved.session_id, moved.event_id) == (SESSION, DAMAGED_ID)
    assert raw_rows(damaged, "adk_events", DAMAGED_ID) == []
    assert raw_rows(damaged, DAMAGED_EVENTS_TABLE, DAMAGED_ID) == before
    assert await _read(damaged) == _GOOD_IDS


async def test_repair_records_when_and_why(damaged: Path) -> None:
    repair_database(damaged)

    connection = sqlite3.connect(damaged)
    try:
        [(moved_at, reason)] = connection.execute(
            f"SELECT julianday('now') - moved_at, reason FROM {DAMAGED_EVENTS_TABLE}"
        ).fetchall()
    finally:
        connection.close()
    assert 0 <= moved_at < 1 / 24
    assert DAMAGED_ID in reason


def test_repair_moves_a_blob_in_a_column_read_as_text(written: Path) -> None:
    damage(written, *BLOB_IN_TEXT_COLUMN)
    before = raw_rows(written, "adk_events", DAMAGED_ID)

    report = repair_database(written)

    assert report.ok
    assert raw_rows(written, DAMAGED_EVENTS_TABLE, DAMAGED_ID) == before


def test_repair_is_idempotent(damaged: Path) -> None:
    first = repair_database(damaged)
    kept = raw_rows(damaged, DAMAGED_EVENTS_TABLE, DAMAGED_ID)

    second = repair_database(damaged)

    assert len(first.set_aside.moved) == 1
    assert second.set_aside.moved == []
    assert second.ok
    assert raw_rows(damaged, DAMAGED_EVENTS_TABLE, DAMAGED_ID) == kept


def test_repair_of_a_sound_database_creates_no_table(written: Path) -> None:
    report = set_aside_damaged_events(written)

    connection = sqlite3.connect(written)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    finally:
        connection.close()
    assert report.moved == []
    assert DAMAGED_EVENTS_TABLE not in tables


async def test_a_repaired_file_stays_usable_by_the_store(damaged: Path) -> None:
    repair_database(damaged)

    async with SessionService(SqliteStore(damaged)) as service:
        session = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
        assert session is not None
        await service.append_event(session, event("e4", "after the repair", 1010.0))
        await service.delete_session(app_name=APP, user_id=USER, session_id=SESSION)

    # Deleting the session leaves the damaged row where the operator can still find it.
    assert len(raw_rows(damaged, DAMAGED_EVENTS_TABLE, DAMAGED_ID)) == 1
    assert check_database(damaged).ok


def test_a_moved_event_can_be_put_back_byte_for_byte(damaged: Path) -> None:
    before = raw_rows(damaged, "adk_events", DAMAGED_ID)
    repair_database(damaged)

    connection = sqlite3.connect(damaged)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute(
            f"INSERT INTO adk_events ({EVENT_TABLE_COLUMNS}) SELECT {EVENT_TABLE_COLUMNS}"
            f" FROM {DAMAGED_EVENTS_TABLE} WHERE id = ?",
            (DAMAGED_ID,),
        )
        connection.commit()
    finally:
        connection.close()

    assert raw_rows(damaged, "adk_events", DAMAGED_ID) == before
