"""``adk-sqlite artifacts``, `list_artifacts` and `read_artifact`, on what a real Runner wrote."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from google.genai import types

from adk_sqlite import ArtifactService, SessionService, SqliteStore
from adk_sqlite.tools.artifacts import (
    ArtifactVersionInfo,
    list_artifacts,
    read_artifact,
)

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
from .conftest import run_cli
from .test_documentation import _sections, _struct_fields

GHOST = "not-created"


async def _write_agent_db(path: Path) -> None:
    async with SqliteStore(path) as store:
        await run_report_agent(store)


async def _write_agent_folder(folder: Path) -> None:
    async with SqliteStore.per_session_files(folder) as store:
        await run_report_agent(store)
        await ArtifactService(store).save_artifact(
            app_name=APP,
            user_id="grace",
            session_id=GHOST,
            filename="notes.txt",
            artifact=types.Part(text="kept in the catalog"),
        )


@pytest.fixture(scope="module")
def agent_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shared file: the report agent's session and artifacts. Never modify it."""
    path = tmp_path_factory.mktemp("agent") / "agent.db"
    asyncio.run(_write_agent_db(path))
    return path


@pytest.fixture(scope="module")
def agent_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of session files: the same agent, and an artifact of a session never created."""
    folder = tmp_path_factory.mktemp("agent-folder") / "agent-sessions"
    asyncio.run(_write_agent_folder(folder))
    return folder


def _listing(database: Path, *args: str) -> list[dict[str, Any]]:
    result = run_cli("artifacts", database, "--json", *args)
    assert result.exit_code == 0, result.output
    artifacts: list[dict[str, Any]] = json.loads(result.stdout)["artifacts"]
    return artifacts


def _read(database: Path, name: str, *args: str) -> tuple[int, bytes, str]:
    result = run_cli("artifacts", database, name, "--app", APP, "--user", USER, "-o", "-", *args)
    return result.exit_code, result.stdout_bytes, result.stderr


# --- listing -----------------------------------------------------------------------


def test_artifacts_lists_each_name_a_runners_tool_saved_with_its_versions(agent_db: Path) -> None:
    listing = {a["filename"]: a for a in _listing(agent_db)}

    assert sorted(listing) == sorted([REPORT, PROFILE, HOSTILE])
    report = listing[REPORT]
    assert (report["app_name"], report["user_id"], report["session_id"]) == (APP, USER, SESSION)
    assert report["scope"] == "session"
    assert (report["versions"], report["latest_version"]) == (2, 1)
    assert report["latest_size"] == len(report_bytes("Q2"))
    assert report["total_bytes"] == len(report_bytes("Q1")) + len(report_bytes("Q2"))
    assert report["mime_type"] == "text/markdown"
    assert (report["file"], report["table"]) == (str(agent_db), "adk_artifacts")
    profile = listing[PROFILE]
    assert (profile["session_id"], profile["scope"], profile["mime_type"]) == (
        None,
        "user",
        "text/plain",
    )


def test_artifacts_json_gives_every_name_exactly_as_saved(agent_db: Path) -> None:
    names = [a["filename"] for a in _listing(agent_db)]

    assert HOSTILE in names


def test_the_artifacts_table_escapes_control_characters_and_never_reads_markup(
    agent_db: Path,
) -> None:
    result = run_cli("artifacts", agent_db)

    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout
    assert "\u202e" not in result.stdout
    # The newline is shown as \n, so the name and its row stay on one line.
    assert r"evil\n\x1b[31m[red]../x\u202e.txt" in result.stdout
    assert "report.md" in result.stdout
    assert "3 artifacts, 6 versions" in result.stdout


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--app", APP, {REPORT, PROFILE, HOSTILE}),
        ("--app", "other-app", set()),
        ("--user", "grace", set()),
        ("--session", SESSION, {REPORT, HOSTILE}),
        ("--session", "other-session", set()),
    ],
)
def test_artifacts_filters_by_app_user_and_session(
    agent_db: Path, option: str, value: str, expected: set[str]
) -> None:
    assert {a["filename"] for a in _listing(agent_db, option, value)} == expected


def test_a_database_without_artifacts_lists_none(db_path: Path) -> None:
    result = run_cli("artifacts", db_path)

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "No artifacts match."
    assert _listing(db_path) == []


# --- reading one version -----------------------------------------------------------


def test_reading_writes_a_versions_bytes_exactly(agent_db: Path, tmp_path: Path) -> None:
    output = tmp_path / "q1.md"

    result = run_cli(
        "artifacts", agent_db, REPORT, "--app", APP, "--user", USER, "--session", SESSION,
        "--version", "0", "-o", output,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert output.read_bytes() == report_bytes("Q1")
    assert "version 0 of report.md" in result.stdout


def test_reading_without_a_version_gives_the_newest(agent_db: Path) -> None:
    code, content, _ = _read(agent_db, REPORT, "--session", SESSION)

    assert code == 0
    assert content == report_bytes("Q2")


def test_text_is_written_in_utf8_and_a_user_name_needs_no_session(agent_db: Path) -> None:
    without_session = _read(agent_db, PROFILE)
    with_session = _read(agent_db, PROFILE, "--session", SESSION)

    assert without_session[:2] == (0, "last report: Q2 ✓".encode())
    assert with_session[:2] == without_session[:2]


def test_a_hostile_name_is_read_by_its_exact_name_and_written_only_where_asked(
    agent_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run_cli(
        "artifacts", agent_db, HOSTILE, "--app", APP, "--user", USER, "--session", SESSION,
        "-o", "out.bin",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.bin"]
    assert not (tmp_path.parent / "x\u202e.txt").exists()
    assert (tmp_path / "out.bin").read_bytes() == HOSTILE_BYTES
    assert "\x1b" not in result.stdout
    assert r"evil\n\x1b[31m[red]../x\u202e.txt" in result.stdout


def test_an_existing_output_file_is_left_alone_without_force(
    agent_db: Path, tmp_path: Path
) -> None:
    output = tmp_path / "report.md"
    output.write_text("mine")

    result = run_cli(
        "artifacts", agent_db, REPORT, "--app", APP, "--user", USER, "--session", SESSION,
        "-o", output,
    )  # fmt: skip

    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert output.read_text() == "mine"


def test_force_replaces_an_existing_output_file(agent_db: Path, tmp_path: Path) -> None:
    output = tmp_path / "report.md"
    output.write_text("mine, and longer than the report that replaces it")

    result = run_cli(
        "artifacts", agent_db, REPORT, "--app", APP, "--user", USER, "--session", SESSION,
        "-o", output, "--force",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert output.read_bytes() == report_bytes("Q2")


def test_an_output_link_is_not_written_through(agent_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "target.txt"
    target.write_text("keep")
    (tmp_path / "link.md").symlink_to(target)

    result = run_cli(
        "artifacts", agent_db, REPORT, "--app", APP, "--user", USER, "--session", SESSION,
        "-o", tmp_path / "link.md",
    )  # fmt: skip

    assert result.exit_code == 2
    assert target.read_text() == "keep"


@pytest.mark.parametrize(
    "args",
    [
        ("missing.md", "--session", SESSION),
        (REPORT, "--session", SESSION, "--version", "9"),
        (REPORT, "--session", "other-session"),
        (REPORT,),  # a session's name, asked for in the user scope
    ],
)
def test_a_missing_artifact_or_version_exits_7(agent_db: Path, args: tuple[str, ...]) -> None:
    code, content, stderr = _read(agent_db, *args)

    assert code == 7
    assert content == b""
    assert stderr.startswith("Error: no artifact")


def test_json_reports_the_version_written(agent_db: Path, tmp_path: Path) -> None:
    result = run_cli(
        "artifacts", agent_db, PROFILE, "--app", APP, "--user", USER, "-o", tmp_path / "p.txt",
        "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert (info["filename"], info["version"], info["kind"]) == (PROFILE, 1, "text")
    assert (info["scope"], info["session_id"], info["mime_type"]) == ("user", None, "text/plain")
    assert info["size"] == len("last report: Q2 ✓".encode())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((REPORT, "--user", USER, "-o", "-"), "--app and --user"),
        ((REPORT, "--app", APP, "-o", "-"), "--app and --user"),
        ((REPORT, "--app", APP, "--user", USER), "--output"),
        (("--version", "1"), "--version goes with NAME"),
        (("-o", "out.md"), "--output goes with NAME"),
        (("--force",), "--force goes with NAME"),
        ((REPORT, "--app", APP, "--user", USER, "-o", "-", "--json"), "--json"),
    ],
)
def test_options_that_do_not_fit_together_are_a_usage_error(
    agent_db: Path, args: tuple[str, ...], message: str
) -> None:
    result = run_cli("artifacts", agent_db, *args)

    assert result.exit_code == 2
    assert message in result.stderr


async def test_a_file_reference_has_no_content_to_write(tmp_path: Path) -> None:
    database = tmp_path / "refs.db"
    async with SqliteStore(database) as store:
        await ArtifactService(store).save_artifact(
            app_name=APP,
            user_id=USER,
            filename="user:data.csv",
            artifact=types.Part(
                file_data=types.FileData(file_uri="gs://bucket/data.csv", mime_type="text/csv")
            ),
        )

    result = run_cli(
        "artifacts", database, "user:data.csv", "--app", APP, "--user", USER,
        "-o", tmp_path / "data.csv",
    )  # fmt: skip

    assert result.exit_code == 2
    assert "gs://bucket/data.csv" in result.stderr
    assert not (tmp_path / "data.csv").exists()
    content = read_artifact(
        database, app_name=APP, user_id=USER, session_id=None, filename="user:data.csv"
    )
    assert content is not None
    assert (content.info.kind, content.info.file_uri) == ("file", "gs://bucket/data.csv")


async def test_large_streamed_bytes_are_written_whole(tmp_path: Path) -> None:
    database = tmp_path / "large.db"
    data = os.urandom((2 << 20) + 7)  # above the store's 1 MiB streaming threshold
    async with SqliteStore(database) as store:
        await ArtifactService(store).save_artifact(
            app_name=APP,
            user_id=USER,
            session_id=SESSION,
            filename="big.bin",
            artifact=types.Part.from_bytes(data=data, mime_type="application/octet-stream"),
        )

    result = run_cli(
        "artifacts", database, "big.bin", "--app", APP, "--user", USER, "--session", SESSION,
        "-o", tmp_path / "big.bin",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert (tmp_path / "big.bin").read_bytes() == data


async def test_read_artifact_returns_what_the_artifact_service_loads(agent_db: Path) -> None:
    async with SqliteStore(agent_db) as store:
        service = ArtifactService(store)
        for summary in list_artifacts(agent_db).artifacts:
            for version in range(summary.versions):
                loaded = await service.load_artifact(
                    app_name=summary.app_name,
                    user_id=summary.user_id,
                    session_id=summary.session_id,
                    filename=summary.filename,
                    version=version,
                )
                read = read_artifact(
                    agent_db,
                    app_name=summary.app_name,
                    user_id=summary.user_id,
                    session_id=summary.session_id,
                    filename=summary.filename,
                    version=version,
                )
                assert loaded is not None
                assert read is not None
                if loaded.inline_data is not None:
                    assert read.data == loaded.inline_data.data
                    assert read.info.mime_type == loaded.inline_data.mime_type
                else:
                    assert read.text == loaded.text


# --- several artifacts tables, other files -------------------------------------------


async def test_several_artifacts_tables_are_listed_and_a_name_in_both_needs_a_choice(
    tmp_path: Path,
) -> None:
    database = tmp_path / "two.db"
    for table, data in (("adk_artifacts", b"default"), ("team_files", b"team")):
        async with SqliteStore(database, artifact_table=table) as store:
            await ArtifactService(store).save_artifact(
                app_name=APP,
                user_id=USER,
                session_id=SESSION,
                filename="shared.txt",
                artifact=types.Part.from_bytes(data=data, mime_type="text/plain"),
            )

    tables = [a["table"] for a in _listing(database)]
    ambiguous = _read(database, "shared.txt", "--session", SESSION)
    chosen = _read(database, "shared.txt", "--session", SESSION, "--artifact-table", "team_files")

    assert tables == ["adk_artifacts", "team_files"]
    assert [a["table"] for a in _listing(database, "--artifact-table", "TEAM_FILES")] == [
        "team_files"
    ]
    assert ambiguous[0] == 4
    assert "--artifact-table" in ambiguous[2]
    assert chosen[:2] == (0, b"team")


def test_a_file_that_is_not_an_adk_sqlite_database_exits_4(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.db"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE notes (body TEXT)")
    connection.close()

    assert run_cli("artifacts", foreign).exit_code == 4
    assert run_cli("artifacts", tmp_path / "missing.db").exit_code == 3


# --- a folder of session files -----------------------------------------------------


def test_a_folder_lists_a_sessions_artifacts_from_its_file_and_user_ones_from_the_catalog(
    agent_folder: Path,
) -> None:
    files = {a["filename"]: a["file"] for a in _listing(agent_folder)}

    assert files[PROFILE] == "catalog.db"
    assert files["notes.txt"] == "catalog.db"
    assert files[REPORT].startswith("sessions/")
    assert files[HOSTILE] == files[REPORT]
    assert [a["filename"] for a in _listing(agent_folder, "--user", "grace")] == ["notes.txt"]


def test_a_folder_reads_from_the_session_file_and_from_the_catalog(agent_folder: Path) -> None:
    session_report = _read(agent_folder, REPORT, "--session", SESSION, "--version", "0")
    profile = _read(agent_folder, PROFILE)
    ghost = run_cli(
        "artifacts", agent_folder, "notes.txt", "--app", APP, "--user", "grace",
        "--session", GHOST, "-o", "-",
    )  # fmt: skip

    assert session_report[:2] == (0, report_bytes("Q1"))
    assert profile[:2] == (0, "last report: Q2 ✓".encode())
    assert (ghost.exit_code, ghost.stdout_bytes) == (0, b"kept in the catalog")


async def test_a_deleted_sessions_artifacts_are_found_in_the_catalog(tmp_path: Path) -> None:
    folder = tmp_path / "agent-sessions"
    async with SqliteStore.per_session_files(folder) as store:
        await run_report_agent(store)
        await SessionService(store).delete_session(app_name=APP, user_id=USER, session_id=SESSION)

    files = {a["filename"]: a["file"] for a in _listing(folder)}
    code, content, _ = _read(folder, REPORT, "--session", SESSION)

    assert files[REPORT] == "catalog.db"
    assert (code, content) == (0, report_bytes("Q2"))


# --- documentation -----------------------------------------------------------------


def test_the_version_written_with_json_is_documented() -> None:
    section = _sections()["artifacts"]

    missing = {
        field for field in _struct_fields(ArtifactVersionInfo) if f"`{field}`" not in section
    }

    assert not missing
