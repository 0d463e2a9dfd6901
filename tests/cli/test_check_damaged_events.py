"""``adk-sqlite check`` lists events that cannot be decoded; ``--repair`` moves them aside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.tools.damaged_events import DAMAGED_EVENTS_TABLE
from support.damaged_events import (
    APP,
    BLOB_IN_TEXT_COLUMN,
    DAMAGED_ID,
    DAMAGES,
    SESSION,
    USER,
    damage,
    raw_rows,
    write_conversation,
)

from .conftest import run_cli


@pytest.fixture
async def damaged(tmp_path: Path) -> Path:
    """A conversation with three damaged events: e1 (content), e2 (actions), e3 (a BLOB)."""
    path = tmp_path / "sessions.db"
    async with SessionService(SqliteStore(path)) as service:
        await write_conversation(service)
    damage(path, *DAMAGES["not_a_content"])
    damage(path, *DAMAGES["refused_pickle"], event_id="e2")
    damage(path, *BLOB_IN_TEXT_COLUMN, event_id="e3")
    return path


def test_check_json_lists_every_damaged_event_and_exits_1(damaged: Path) -> None:
    result = run_cli("check", damaged, "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert [
        (event["app_name"], event["user_id"], event["session_id"], event["event_id"])
        for event in report["damaged_events"]
    ] == [(APP, USER, SESSION, event_id) for event_id in (DAMAGED_ID, "e2", "e3")]
    assert all(event["reason"] for event in report["damaged_events"])
    assert report["events_decoded"] == 5


def test_check_text_names_each_damaged_event(damaged: Path) -> None:
    result = run_cli("check", damaged)

    assert result.exit_code == 1
    for event_id in (DAMAGED_ID, "e2", "e3"):
        assert f"damaged event {event_id} (seq" in result.stdout
    assert "--repair moves them aside" in result.stdout
    assert "Problems found." in result.stdout


def test_check_repair_moves_damaged_events_aside_and_exits_0(damaged: Path) -> None:
    before = {
        event_id: raw_rows(damaged, "adk_events", event_id) for event_id in ("e1", "e2", "e3")
    }

    result = run_cli("check", damaged, "--repair", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["check"]["ok"] is True
    assert report["check"]["damaged_events"] == []
    assert report["set_aside"]["table"] == DAMAGED_EVENTS_TABLE
    assert [event["event_id"] for event in report["set_aside"]["moved"]] == ["e1", "e2", "e3"]
    for event_id, row in before.items():
        assert raw_rows(damaged, DAMAGED_EVENTS_TABLE, event_id) == row
        assert raw_rows(damaged, "adk_events", event_id) == []


def test_check_repair_text_says_what_moved(damaged: Path) -> None:
    result = run_cli("check", damaged, "--repair")

    assert result.exit_code == 0, result.output
    assert f"moved event {DAMAGED_ID} (seq" in result.stdout
    assert f"3 damaged events moved to {DAMAGED_EVENTS_TABLE}." in result.stdout
    assert "No problems found." in result.stdout


def test_check_repair_twice_moves_nothing_the_second_time(damaged: Path) -> None:
    run_cli("check", damaged, "--repair")

    result = run_cli("check", damaged, "--repair", "--json")

    assert result.exit_code == 0
    assert json.loads(result.stdout)["set_aside"]["moved"] == []
    assert run_cli("check", damaged).exit_code == 0


def test_check_repair_of_a_read_only_url_changes_nothing(damaged: Path) -> None:
    before = raw_rows(damaged, "adk_events", DAMAGED_ID)

    result = run_cli("check", f"sqlite:///{damaged}?mode=ro", "--repair")

    assert result.exit_code == 6  # ReadOnlyDatabaseError
    assert raw_rows(damaged, "adk_events", DAMAGED_ID) == before


def test_the_database_commands_read_a_repaired_file(damaged: Path, tmp_path: Path) -> None:
    run_cli("check", damaged, "--repair")

    assert run_cli("sessions", damaged).exit_code == 0
    assert run_cli("show", damaged, SESSION).exit_code == 0
    assert run_cli("stats", damaged).exit_code == 0
    assert run_cli("backup", damaged, tmp_path / "copy.db").exit_code == 0
    assert raw_rows(tmp_path / "copy.db", DAMAGED_EVENTS_TABLE, DAMAGED_ID) == raw_rows(
        damaged, DAMAGED_EVENTS_TABLE, DAMAGED_ID
    )
    queried = run_cli("query", damaged, f"SELECT id FROM {DAMAGED_EVENTS_TABLE}", "--json")
    assert queried.exit_code == 0, queried.output
    assert DAMAGED_ID in queried.stdout
    assert run_cli("prune", damaged, "--idle-days", "0").exit_code == 0
    assert raw_rows(damaged, DAMAGED_EVENTS_TABLE, DAMAGED_ID)
