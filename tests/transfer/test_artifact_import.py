"""`import_adk_artifacts`: a folder written by ADK's FileArtifactService, every version kept."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from google.adk.artifacts.file_artifact_service import FileArtifactService
from google.genai import types

from adk_sqlite import ArtifactService, SessionService, SqliteStore
from adk_sqlite.errors import DatabaseUnavailableError, SchemaError
from adk_sqlite.transfer.artifact_import import import_adk_artifacts

from .adk_artifact_folders import NAMES, VERSIONS, assert_same_as_adk, write_folder


async def test_every_version_arrives_numbered_and_described_as_in_adk(tmp_path: Path) -> None:
    adk = await write_folder(tmp_path / "artifacts")
    destination = tmp_path / "sessions.db"

    report = await import_adk_artifacts(tmp_path / "artifacts", destination)

    assert (report.artifacts, report.versions_imported) == (NAMES, VERSIONS)
    assert (report.versions_already_present, report.placeholders) == (0, 0)
    assert report.artifacts_kept == []
    assert report.layout == "file_artifact_service"
    async with ArtifactService(SqliteStore(destination)) as ours:
        assert await assert_same_as_adk(adk, ours) == VERSIONS
        keys = await ours.list_artifact_keys(
            app_name="support", user_id="ada", session_id="ticket-1"
        )
    assert keys == await adk.list_artifact_keys(
        app_name="support", user_id="ada", session_id="ticket-1"
    )
    assert keys == [
        "docs",
        "docs/nested/deep.bin",
        "report.txt",
        "rewound.txt",
        "user:profile.png",
    ]


async def test_importing_twice_imports_nothing_new(tmp_path: Path) -> None:
    await write_folder(tmp_path / "artifacts")
    destination = tmp_path / "sessions.db"
    await import_adk_artifacts(tmp_path / "artifacts", destination)
    query = "SELECT * FROM adk_artifacts ORDER BY row_id"
    with sqlite3.connect(destination) as connection:
        before = connection.execute(query).fetchall()
    connection.close()

    again = await import_adk_artifacts(tmp_path / "artifacts", destination)

    assert (again.versions_imported, again.versions_already_present) == (0, VERSIONS)
    assert again.artifacts_kept == []
    with sqlite3.connect(destination) as connection:
        assert connection.execute(query).fetchall() == before
    connection.close()


async def test_versions_saved_in_adk_since_are_appended(tmp_path: Path) -> None:
    adk = await write_folder(tmp_path / "artifacts")
    destination = tmp_path / "sessions.db"
    await import_adk_artifacts(tmp_path / "artifacts", destination)
    key = {"app_name": "support", "user_id": "ada", "session_id": "ticket-1"}
    await adk.save_artifact(**key, filename="report.txt", artifact=types.Part(text="v3"))
    await adk.save_artifact(**key, filename="new.txt", artifact=types.Part(text="new"))

    report = await import_adk_artifacts(tmp_path / "artifacts", destination)

    assert (report.versions_imported, report.versions_already_present) == (2, VERSIONS)
    async with ArtifactService(SqliteStore(destination)) as ours:
        assert await ours.list_versions(**key, filename="report.txt") == [0, 1, 2, 3]
        assert await ours.load_artifact(**key, filename="new.txt") == types.Part(text="new")


async def test_a_number_a_killed_save_reserved_keeps_the_later_numbers(tmp_path: Path) -> None:
    """ADK leaves a gap where a save was killed; the next numbers stay as ADK gave them."""
    root = tmp_path / "artifacts"
    adk = FileArtifactService(root)
    key = {"app_name": "support", "user_id": "ada", "session_id": "s", "filename": "log.txt"}
    await adk.save_artifact(**key, artifact=types.Part(text="v0"))
    versions = root / "apps/support/users/ada/sessions/s/artifacts/log.txt/versions"
    (versions / ".1.pending").mkdir()  # what a save killed half-way leaves behind
    await adk.save_artifact(**key, artifact=types.Part(text="v2"))
    destination = tmp_path / "sessions.db"

    report = await import_adk_artifacts(root, destination)
    again = await import_adk_artifacts(root, destination)

    assert await adk.list_versions(**key) == [0, 2]
    assert (report.versions_imported, report.placeholders) == (3, 1)
    assert (again.versions_imported, again.versions_already_present) == (0, 3)
    async with ArtifactService(SqliteStore(destination)) as ours:
        assert await ours.list_versions(**key) == [0, 1, 2]
        for version in (0, 1, 2):
            assert await ours.load_artifact(**key, version=version) == await adk.load_artifact(
                **key, version=version
            )
        [gap] = [v for v in await ours.list_artifact_versions(**key) if v.version == 1]
    assert gap.custom_metadata == {
        "adk_sqlite_import": "placeholder: no readable version in the source"
    }


async def test_a_version_adk_cannot_load_becomes_a_placeholder(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    adk = FileArtifactService(root)
    key = {"app_name": "support", "user_id": "ada", "session_id": "s", "filename": "a.bin"}
    for data in (b"zero", b"one"):
        await adk.save_artifact(**key, artifact=types.Part.from_bytes(data=data, mime_type="x/y"))
    (root / "apps/support/users/ada/sessions/s/artifacts/a.bin/versions/0/a.bin").unlink()

    report = await import_adk_artifacts(root, tmp_path / "sessions.db")

    assert (report.versions_imported, report.placeholders) == (2, 1)
    async with ArtifactService(SqliteStore(tmp_path / "sessions.db")) as ours:
        assert await ours.load_artifact(**key, version=0) is None
        assert await adk.load_artifact(**key, version=0) is None
        assert await ours.load_artifact(**key) == await adk.load_artifact(**key)


async def test_a_name_agents_already_saved_to_is_kept_as_it_is(tmp_path: Path) -> None:
    await write_folder(tmp_path / "artifacts")
    destination = tmp_path / "sessions.db"
    key = {"app_name": "support", "user_id": "ada", "session_id": "ticket-1"}
    async with ArtifactService(SqliteStore(destination)) as ours:
        await ours.save_artifact(**key, filename="report.txt", artifact=types.Part(text="mine"))

    report = await import_adk_artifacts(tmp_path / "artifacts", destination)

    assert report.artifacts_kept == [("support", "ada", "ticket-1", "report.txt")]
    assert report.versions_imported == VERSIONS - 3
    async with ArtifactService(SqliteStore(destination)) as ours:
        assert await ours.list_versions(**key, filename="report.txt") == [0]
        assert await ours.load_artifact(**key, filename="report.txt") == types.Part(text="mine")


async def test_a_name_saved_without_a_session_arrives_user_scoped(tmp_path: Path) -> None:
    """ADK's file service keeps it in the user scope and loads it as user:<name>."""
    adk = FileArtifactService(tmp_path / "artifacts")
    await adk.save_artifact(
        app_name="support", user_id="ada", filename="plain.txt", artifact=types.Part(text="x")
    )

    await import_adk_artifacts(tmp_path / "artifacts", tmp_path / "sessions.db")

    async with ArtifactService(SqliteStore(tmp_path / "sessions.db")) as ours:
        keys = await ours.list_artifact_keys(app_name="support", user_id="ada", session_id="s")
        loaded = await ours.load_artifact(
            app_name="support", user_id="ada", session_id="s", filename="user:plain.txt"
        )
    assert keys == ["user:plain.txt"]
    assert loaded == await adk.load_artifact(
        app_name="support", user_id="ada", session_id="s", filename="user:plain.txt"
    )


async def test_into_a_folder_of_session_files_a_sessions_artifacts_go_to_its_file(
    tmp_path: Path,
) -> None:
    adk = await write_folder(tmp_path / "artifacts")
    folder = tmp_path / "sessions"
    store = SqliteStore.per_session_files(folder)
    async with SessionService(store) as sessions:
        await sessions.create_session(app_name="support", user_id="ada", session_id="ticket-1")

    report = await import_adk_artifacts(tmp_path / "artifacts", folder)

    assert report.versions_imported == VERSIONS
    async with ArtifactService(SqliteStore.per_session_files(folder)) as ours:
        assert await assert_same_as_adk(adk, ours) == VERSIONS
    [session_file] = (folder / "sessions").glob("*.db")
    with sqlite3.connect(session_file) as connection:
        names = {row[0] for row in connection.execute("SELECT filename FROM adk_artifacts")}
    connection.close()
    assert names == {"docs", "docs/nested/deep.bin", "report.txt", "rewound.txt"}


async def test_an_empty_service_root_imports_nothing(tmp_path: Path) -> None:
    FileArtifactService(tmp_path / "artifacts")

    report = await import_adk_artifacts(tmp_path / "artifacts", tmp_path / "sessions.db")

    assert (report.artifacts, report.versions_imported) == (0, 0)


async def test_a_folder_that_is_not_a_file_artifact_service_root_is_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("x")
    await write_folder(tmp_path / "legacy")
    shutil.move(tmp_path / "legacy/apps/support/users", tmp_path / "legacy/users")
    shutil.rmtree(tmp_path / "legacy/apps")

    with pytest.raises(SchemaError, match="not a folder written by ADK's FileArtifactService"):
        await import_adk_artifacts(tmp_path / "other", tmp_path / "a.db")
    with pytest.raises(SchemaError, match="before the apps/"):
        await import_adk_artifacts(tmp_path / "legacy", tmp_path / "a.db")
    with pytest.raises(DatabaseUnavailableError, match="no such folder"):
        await import_adk_artifacts(tmp_path / "missing", tmp_path / "a.db")
    assert not (tmp_path / "a.db").exists()


async def test_a_database_of_another_program_is_refused(tmp_path: Path) -> None:
    await write_folder(tmp_path / "artifacts")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE things (x)")
    connection.close()

    with pytest.raises(SchemaError, match="not an adk-sqlite one"):
        await import_adk_artifacts(tmp_path / "artifacts", other)
