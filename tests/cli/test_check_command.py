"""``adk-sqlite check`` and `check_database`."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
from pathlib import Path
from typing import Any

from adk_sqlite import check_database
from adk_sqlite.sqlite.schema.sql import SCHEMA_VERSION
from support.conversations import TICKET

from .conftest import run_cli, sql


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def _plant_exploit(db_path: Path, marker: Path) -> tuple[int, str]:
    [(seq, event_id)] = sql(
        db_path,
        "SELECT seq, id FROM adk_events WHERE session_id = ? AND actions IS NOT NULL LIMIT 1",
        (TICKET,),
    )
    sql(
        db_path,
        "UPDATE adk_events SET actions = ? WHERE seq = ?",
        (pickle.dumps(_Exploit(marker)), seq),
    )
    return seq, event_id


def test_check_passes_a_healthy_database(db_path: Path) -> None:
    result = run_cli("check", db_path, "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["integrity"] == ["ok"]
    assert report["schema_version"] == report["library_schema_version"] == SCHEMA_VERSION
    assert report["foreign_key_problems"] == report["unsafe_actions"] == []
    [(with_actions,)] = sql(db_path, "SELECT count(*) FROM adk_events WHERE actions IS NOT NULL")
    assert report["events_checked"] == with_actions > 0


def test_check_reports_an_unsafe_actions_blob_and_exits_1(db_path: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    seq, event_id = _plant_exploit(db_path, marker)

    result = run_cli("check", db_path, "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    [unsafe] = report["unsafe_actions"]
    assert (unsafe["seq"], unsafe["event_id"], unsafe["session_id"]) == (seq, event_id, TICKET)
    assert "forbidden global" in unsafe["reason"]
    assert not marker.exists()


def test_check_table_names_the_refused_event(db_path: Path, tmp_path: Path) -> None:
    _, event_id = _plant_exploit(db_path, tmp_path / "pwned")

    result = run_cli("check", db_path)

    assert result.exit_code == 1
    assert f"event {event_id}" in result.stdout
    assert "Problems found." in result.stdout


def test_check_reports_events_whose_session_is_gone(db_path: Path) -> None:
    # A hand-made delete without foreign keys on leaves the events behind.
    connection = sqlite3.connect(db_path)
    try:
        connection.execute("DELETE FROM adk_sessions WHERE id = ?", (TICKET,))
        connection.commit()
    finally:
        connection.close()
    [(orphans,)] = sql(db_path, "SELECT count(*) FROM adk_events WHERE session_id = ?", (TICKET,))

    report = check_database(db_path)

    assert not report.ok
    assert len(report.foreign_key_problems) == orphans > 0
    assert {p.table for p in report.foreign_key_problems} == {"adk_events"}
    assert {p.parent for p in report.foreign_key_problems} == {"adk_sessions"}


def test_check_reports_invalid_json(db_path: Path) -> None:
    sql(db_path, "UPDATE adk_sessions SET state = '{broken' WHERE id = ?", (TICKET,))

    report = check_database(db_path)

    assert not report.ok
    [bad] = report.invalid_json
    assert (bad.table, bad.column) == ("adk_sessions", "state")
    assert bad.key.endswith(f"/{TICKET}")


def test_check_calls_progress_with_the_blobs_loaded_and_events_decoded(db_path: Path) -> None:
    seen: list[tuple[int, int]] = []

    report = check_database(db_path, progress=lambda done, total: seen.append((done, total)))

    steps = report.events_checked + report.events_decoded
    assert seen
    assert seen[-1] == (steps, steps)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert {total for _, total in seen} == {steps}
