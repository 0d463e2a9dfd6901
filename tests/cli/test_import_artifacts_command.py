"""``adk-sqlite import FOLDER DB``: artifacts from a folder of ADK's FileArtifactService."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from google.adk.artifacts.file_artifact_service import FileArtifactService

from adk_sqlite import ArtifactService, SqliteStore
from adk_sqlite.transfer.artifact_import import ArtifactImportReport
from transfer.adk_artifact_folders import NAMES, VERSIONS, assert_same_as_adk, write_folder

from .conftest import run_cli

CLI_DOCS = Path(__file__).parents[2] / "docs" / "cli.md"


def test_import_of_a_folder_brings_every_artifact_version(tmp_path: Path) -> None:
    root, destination = tmp_path / "artifacts", tmp_path / "sessions.db"
    asyncio.run(write_folder(root))

    result = run_cli("import", root, destination, "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["layout"] == "file_artifact_service"
    assert (report["artifacts"], report["versions_imported"]) == (NAMES, VERSIONS)

    async def compare() -> int:
        async with ArtifactService(SqliteStore(destination)) as ours:
            return await assert_same_as_adk(FileArtifactService(root), ours)

    assert asyncio.run(compare()) == VERSIONS


def test_import_of_a_folder_twice_reports_what_was_already_there(tmp_path: Path) -> None:
    root, destination = tmp_path / "artifacts", tmp_path / "sessions.db"
    asyncio.run(write_folder(root))
    assert run_cli("import", root, destination).exit_code == 0

    result = run_cli("import", root, destination)

    assert result.exit_code == 0, result.stderr
    assert f"Imported from {root} (ADK FileArtifactService) into {destination}" in result.stdout
    assert "versions: 0 imported (0 placeholders for versions the source cannot load)," in (
        result.stdout
    )
    assert f"{VERSIONS} already present" in result.stdout


def test_import_of_a_folder_that_is_not_adks_exits_4(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "x.txt").write_text("x")

    result = run_cli("import", tmp_path / "folder", tmp_path / "sessions.db")

    assert result.exit_code == 4
    assert "FileArtifactService" in result.stderr


def test_the_artifact_import_report_is_documented_in_the_import_section() -> None:
    section = CLI_DOCS.read_text().split("## `adk-sqlite import`", 1)[1].split("\n## ", 1)[0]

    missing = [
        field
        for field in ArtifactImportReport.__struct_fields__
        if not re.search(rf"`{field}`", section)
    ]

    assert not missing, missing
