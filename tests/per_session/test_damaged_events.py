"""A damaged event in a session file: skipped on request, listed by check, moved aside by repair."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from adk_sqlite import CorruptRecordError, SessionService, SqliteStore, check_session_folder
from adk_sqlite.cli import main
from adk_sqlite.tools.damaged_events import DAMAGED_EVENTS_TABLE
from support.damaged_events import (
    APP,
    DAMAGED_ID,
    DAMAGES,
    EVENT_IDS,
    SESSION,
    USER,
    damage,
    raw_rows,
    write_conversation,
)


@pytest.fixture
async def damaged_file(folder: Path) -> Path:
    """The session file of ``SESSION``, with one event's content no longer a Content."""
    async with SessionService(SqliteStore.per_session_files(folder)) as service:
        await write_conversation(service)
    [path] = (folder / "sessions").glob(f"*{SESSION}*.db")
    damage(path, *DAMAGES["not_a_content"])
    return path


async def test_a_per_session_store_reads_past_a_damaged_event_on_request(
    folder: Path, damaged_file: Path
) -> None:
    async with SessionService(SqliteStore.per_session_files(folder)) as strict:
        with pytest.raises(CorruptRecordError):
            await strict.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    store = SqliteStore.per_session_files(folder)
    async with SessionService(store, skip_damaged_events=True) as lenient:
        session = await lenient.get_session(app_name=APP, user_id=USER, session_id=SESSION)

    assert session is not None
    assert [event.id for event in session.events] == [i for i in EVENT_IDS if i != DAMAGED_ID]


def test_folder_check_lists_the_damaged_event_of_its_file(folder: Path, damaged_file: Path) -> None:
    report = check_session_folder(folder)

    assert not report.ok
    [problem] = report.file_problems
    assert problem.path == str(damaged_file)
    assert [event.event_id for event in problem.damaged_events] == [DAMAGED_ID]


def test_folder_repair_moves_the_damaged_event_aside_in_its_file(
    folder: Path, damaged_file: Path
) -> None:
    before = raw_rows(damaged_file, "adk_events", DAMAGED_ID)

    result = CliRunner().invoke(main, ["check", str(folder), "--repair", "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    [set_aside] = report["set_aside"]
    assert set_aside["path"] == str(damaged_file)
    assert [event["event_id"] for event in set_aside["moved"]] == [DAMAGED_ID]
    assert raw_rows(damaged_file, DAMAGED_EVENTS_TABLE, DAMAGED_ID) == before
    assert check_session_folder(folder).ok


def test_folder_check_text_counts_damaged_events(folder: Path, damaged_file: Path) -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(main, ["check", str(folder)])

    assert result.exit_code == 1
    text = " ".join(result.stdout.split())
    assert "1 damaged events" in text
    assert "--repair moves damaged events aside" in text
