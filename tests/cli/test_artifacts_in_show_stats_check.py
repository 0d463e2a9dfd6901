"""Artifacts in ``show`` (what an event saved), ``stats`` (counts) and ``check`` (stored rows)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from adk_sqlite import SqliteStore, check_database, database_stats
from adk_sqlite.tools.artifacts import list_artifacts

from .artifact_databases import (
    APP,
    HOSTILE,
    HOSTILE_BYTES,
    PROFILE,
    REPORT,
    SESSION,
    USER,
    report_bytes,
    run_report_agent,
)
from .conftest import run_cli, sql

ESCAPED_HOSTILE = r"evil\n\x1b[31m[red]../x\u202e.txt"


async def _write(path: Path, *, per_session: bool = False) -> None:
    store = SqliteStore.per_session_files(path) if per_session else SqliteStore(path)
    async with store:
        await run_report_agent(store)


@pytest.fixture(scope="module")
def written_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("agent") / "agent.db"
    asyncio.run(_write(path))
    return path


@pytest.fixture
def agent_db(written_db: Path, tmp_path: Path) -> Path:
    """A private copy of the report agent's database that the test may damage."""
    copy = tmp_path / "agent.db"
    source, target = sqlite3.connect(written_db), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return copy


@pytest.fixture
def agent_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "agent-sessions"
    asyncio.run(_write(folder, per_session=True))
    return folder


# --- show ---------------------------------------------------------------------------


def _saved(database: Path) -> list[dict[str, int]]:
    result = run_cli("show", database, SESSION, "--json")
    assert result.exit_code == 0, result.output
    events: list[dict[str, Any]] = json.loads(result.stdout)["events"]
    return [event["artifacts"] for event in events if event["artifacts"]]


def test_show_json_has_the_names_and_versions_each_event_saved(agent_db: Path) -> None:
    assert _saved(agent_db) == [
        {REPORT: 0, PROFILE: 0, HOSTILE: 0},
        {REPORT: 1, PROFILE: 1, HOSTILE: 1},
    ]


def test_show_marks_saved_artifacts_with_names_escaped(agent_db: Path) -> None:
    result = run_cli("show", agent_db, SESSION)

    assert result.exit_code == 0, result.output
    assert "⇣ saved artifact report.md (version 0)" in result.stdout
    assert "⇣ saved artifact user:profile.txt (version 1)" in result.stdout
    assert f"⇣ saved artifact {ESCAPED_HOSTILE} (version 1)" in result.stdout
    assert "\x1b" not in result.stdout
    assert "\u202e" not in result.stdout


def test_show_on_a_folder_marks_saved_artifacts(agent_folder: Path) -> None:
    assert _saved(agent_folder)[0] == {REPORT: 0, PROFILE: 0, HOSTILE: 0}


# --- stats --------------------------------------------------------------------------


def test_stats_counts_artifact_names_versions_and_bytes(agent_db: Path) -> None:
    saved_once = len(report_bytes("Q1")) + len("last report: Q1 ✓".encode()) + len(HOSTILE_BYTES)

    result = run_cli("stats", agent_db, "--json")

    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert (stats["artifact_names"], stats["artifact_versions"]) == (3, 6)
    assert stats["artifact_bytes"] == 2 * saved_once
    assert stats["artifact_bytes"] == sum(a.total_bytes for a in list_artifacts(agent_db).artifacts)


def test_stats_shows_artifacts_in_its_table(agent_db: Path) -> None:
    result = run_cli("stats", agent_db)

    assert result.exit_code == 0, result.output
    assert "3 names, 6 versions, 120 B" in result.stdout


def test_stats_of_a_database_without_artifacts_counts_none(db_path: Path) -> None:
    stats = database_stats(db_path)

    assert (stats.artifact_names, stats.artifact_versions, stats.artifact_bytes) == (0, 0, 0)
    assert "│ none" in run_cli("stats", db_path).stdout


# --- check --------------------------------------------------------------------------


def _artifact_problems(database: Path) -> list[dict[str, Any]]:
    result = run_cli("check", database, "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == (0 if report["ok"] else 1)
    problems: list[dict[str, Any]] = report["artifact_problems"]
    return problems


def test_check_passes_the_artifacts_the_service_wrote(agent_db: Path) -> None:
    report = check_database(agent_db)

    assert report.ok
    assert report.artifacts_checked == 6
    assert report.artifact_problems == []
    assert "6 versions checked, 0 problems" in run_cli("check", agent_db).stdout


@pytest.mark.parametrize(
    ("damage", "kind", "detail"),
    [
        ("UPDATE adk_artifacts SET size = 99", "size_mismatch", "size says 99 bytes, data holds"),
        ("UPDATE adk_artifacts SET data = CAST(data AS TEXT)", "data_not_bytes", "a text value"),
        ("UPDATE adk_artifacts SET part = '{oops'", "invalid_json", "part is not valid JSON"),
        ("UPDATE adk_artifacts SET part = '[1]'", "invalid_json", "not an object"),
        ("UPDATE adk_artifacts SET part = x'7b7d'", "invalid_json", "part is a blob value"),
        (
            "UPDATE adk_artifacts SET custom_metadata = '{'",
            "invalid_json",
            "custom_metadata is not valid JSON",
        ),
    ],
)
def test_check_reports_a_damaged_artifact_version(
    agent_db: Path, damage: str, kind: str, detail: str
) -> None:
    sql(agent_db, f"{damage} WHERE filename = ? AND version = 0", (REPORT,))

    problems = _artifact_problems(agent_db)

    assert len(problems) == 1
    problem = problems[0]
    assert (problem["kind"], problem["filename"], problem["version"]) == (kind, REPORT, 0)
    assert (problem["app_name"], problem["user_id"], problem["session_id"]) == (APP, USER, SESSION)
    assert problem["table"] == "adk_artifacts"
    assert detail in problem["detail"]


def test_check_finds_a_version_stored_twice_even_without_its_unique_index(agent_db: Path) -> None:
    # The same columns without the UNIQUE key: what a damaged index would let through.
    columns = (
        "row_id INTEGER PRIMARY KEY, app_name TEXT NOT NULL, user_id TEXT NOT NULL,"
        " session_id TEXT NOT NULL, filename TEXT NOT NULL, version INTEGER NOT NULL,"
        " part TEXT NOT NULL, size INTEGER NOT NULL, mime_type TEXT,"
        " custom_metadata TEXT NOT NULL, create_time REAL NOT NULL, data BLOB"
    )
    sql(agent_db, f"CREATE TABLE loose_artifacts ({columns})")
    sql(agent_db, "INSERT INTO loose_artifacts SELECT * FROM adk_artifacts")
    sql(
        agent_db,
        "INSERT INTO loose_artifacts (app_name, user_id, session_id, filename, version, part,"
        " size, mime_type, custom_metadata, create_time, data) SELECT app_name, user_id,"
        " session_id, filename, version, part, size, mime_type, custom_metadata, create_time,"
        " data FROM adk_artifacts WHERE version = 1",
    )

    problems = _artifact_problems(agent_db)

    assert sorted((p["table"], p["kind"], p["filename"], p["version"]) for p in problems) == [
        ("loose_artifacts", "duplicate_version", name, 1)
        for name in sorted([REPORT, PROFILE, HOSTILE])
    ]


def test_check_prints_artifact_problems_with_names_escaped(agent_db: Path) -> None:
    sql(agent_db, "UPDATE adk_artifacts SET size = 1 WHERE filename = ?", (HOSTILE,))

    result = run_cli("check", agent_db)

    assert result.exit_code == 1
    assert f"artifact {ESCAPED_HOSTILE} version 0 (session {SESSION}, {APP}/{USER})" in (
        result.stdout
    )
    assert "\x1b" not in result.stdout
    assert "Problems found." in result.stdout


def test_check_of_a_folder_checks_the_artifacts_of_session_files_and_catalog(
    agent_folder: Path,
) -> None:
    session_file = next((agent_folder / "sessions").glob("*.db"))
    sql(session_file, "UPDATE adk_artifacts SET size = 0 WHERE filename = ?", (REPORT,))
    sql(agent_folder / "catalog.db", "UPDATE adk_artifacts SET part = 'x'")

    result = run_cli("check", agent_folder, "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [p["kind"] for p in report["catalog"]["artifact_problems"]] == ["invalid_json"] * 2
    (file_report,) = report["file_problems"]
    assert [(p["filename"], p["kind"]) for p in file_report["artifact_problems"]] == [
        (REPORT, "size_mismatch")
    ] * 2
    text = run_cli("check", agent_folder).stdout
    assert "2 artifact problems" in text
