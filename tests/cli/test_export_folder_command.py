"""``adk-sqlite export FOLDER URL``: a one-file-per-session folder, as ``query`` takes one."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from export._folder import LIVE, build_folder

from .conftest import run_cli


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "agent-sessions"
    asyncio.run(build_folder(path))
    return path


def test_export_of_a_folder_prints_the_report_and_the_archived_left_out(
    folder: Path, dsn: str
) -> None:
    result = run_cli("export", folder, dsn)

    assert result.exit_code == 0, result.output
    assert f"from {folder} to" in result.stdout
    assert "Verified: every row matches" in result.stdout
    assert "Not exported: 1 archived session (archive/); only live sessions are." in (
        " ".join(result.stdout.split())
    )


def test_export_of_a_folder_as_json_then_again(folder: Path, dsn: str) -> None:
    first = run_cli("export", folder, dsn, "--json")
    second = run_cli("export", folder, dsn, "--json", "--batch-size", "2")

    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    report, again = json.loads(first.stdout), json.loads(second.stdout)
    assert report["verified"] is True
    assert report["source"] == str(folder)
    assert report["archived_sessions"] == 1
    assert report["sessions"]["copied_rows"] == len(LIVE)
    assert report["artifacts"]["verified_rows"] == report["artifacts"]["source_rows"] > 0
    assert report["memories"]["verified_rows"] == report["memories"]["source_rows"] > 0
    assert again["checksums"] == report["checksums"]
    copied = [again[table]["copied_rows"] for table in ("sessions", "events", "artifacts")]
    assert copied == [0, 0, 0]


def test_export_of_a_folder_takes_no_table_set(folder: Path, dsn: str) -> None:
    result = run_cli("export", folder, dsn, "--table-set", "adk_sessions")

    assert result.exit_code == 2
    assert "--table-set applies to a database file, not a folder" in result.output


def test_export_of_a_folder_missing_a_session_file_names_it(folder: Path, dsn: str) -> None:
    (folder / "sessions" / "a+alice+s2.db").rename(folder / "elsewhere.db")

    result = run_cli("export", folder, dsn)

    assert result.exit_code == 3, result.output
    message = " ".join(result.stderr.split())
    assert "a+alice+s2.db: the catalog lists session ('a', 'alice', 's2')" in message
    assert "check --repair" in message
