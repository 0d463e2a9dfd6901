"""``adk-sqlite export``: a database written through an ADK Runner, into PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from google.adk.events.event import Event

from adk_sqlite import PostgresStore, SessionService
from export._support import apps_of, assert_same_sessions
from support.conversations import APP

from .conftest import run_cli


def test_export_prints_the_report_and_every_session_reads_back_equal(
    db_path: Path, dsn: str
) -> None:
    result = run_cli("export", db_path, dsn)

    assert result.exit_code == 0, result.stderr
    assert f"from {db_path} to" in result.stdout
    for table in ("adk_sessions", "adk_events", "adk_app_states", "adk_user_states"):
        assert table in result.stdout
    assert "Verified: every row matches" in result.stdout
    compared = asyncio.run(assert_same_sessions(db_path, dsn, app_names=apps_of(db_path)))
    assert compared > 1


def test_export_json_is_the_report(db_path: Path, dsn: str) -> None:
    result = run_cli("export", db_path, dsn, "--json", "--batch-size", "7")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["verified"] is True
    assert report["mismatched"] == []
    tables = {table["table"]: table for table in (report["sessions"], report["events"])}
    assert tables["adk_events"]["source_rows"] == tables["adk_events"]["copied_rows"] > 7
    assert len(report["checksums"]) == report["sessions"]["source_rows"]
    assert all(len(checksum["sha256"]) == 64 for checksum in report["checksums"])


def test_export_app_limits_the_export_to_one_app(db_path: Path, dsn: str) -> None:
    app, *others = apps_of(db_path)
    assert others, "the conversations database should hold several apps"

    result = run_cli("export", db_path, dsn, "--app", app, "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["app_name"] == app
    asyncio.run(assert_same_sessions(db_path, dsn, app_names=[app]))
    listed = asyncio.run(_listed(dsn, others[0]))
    assert listed == 0


async def _listed(dsn: str, app: str) -> int:
    async with SessionService(PostgresStore(dsn)) as service:
        return len((await service.list_sessions(app_name=app)).sessions)


def test_a_second_export_copies_nothing(db_path: Path, dsn: str) -> None:
    assert run_cli("export", db_path, dsn).exit_code == 0

    result = run_cli("export", db_path, dsn, "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [report[t]["copied_rows"] for t in ("sessions", "events")] == [0, 0]


def test_an_unreachable_server_exits_3(db_path: Path) -> None:
    result = run_cli("export", db_path, "postgresql://agents:pw@127.0.0.1:1/agents")

    assert result.exit_code == 3
    assert result.stderr.startswith("Error: ")
    assert "pw@" not in result.stderr


def test_a_file_that_is_not_adk_sqlite_exits_4(tmp_path: Path, dsn: str) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).close()

    result = run_cli("export", other, dsn)

    assert result.exit_code == 4
    assert "not an adk-sqlite database" in result.stderr


def test_a_target_that_moved_on_exits_9_and_is_left_alone(db_path: Path, dsn: str) -> None:
    assert run_cli("export", db_path, dsn).exit_code == 0
    asyncio.run(_continue_one_conversation(dsn))

    result = run_cli("export", db_path, dsn)

    assert result.exit_code == 9
    assert "written to on the target" in result.stderr


async def _continue_one_conversation(dsn: str) -> None:
    async with SessionService(PostgresStore(dsn)) as service:
        first = (await service.list_sessions(app_name=APP)).sessions[0]
        session = await service.get_session(
            app_name=APP, user_id=first.user_id, session_id=first.id
        )
        assert session is not None
        await service.append_event(session, Event(author="agent"))


def test_a_batch_size_of_zero_is_a_usage_error(db_path: Path) -> None:
    result = run_cli("export", db_path, "postgresql://u@h/d", "--batch-size", "0")

    assert result.exit_code == 2
