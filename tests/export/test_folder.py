"""Exporting a one-file-per-session folder: the same tables, checks and reruns as a file.

The folder is written by the real store (`SqliteStore.per_session_files`) through the
ADK services; the target is the real local PostgreSQL. What the folder's store returns
must be what `PostgresStore` returns after the export.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite import (
    ArtifactService,
    MemoryService,
    PostgresStore,
    SessionService,
    SqliteStore,
    export_to_postgres,
)
from adk_sqlite.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    ExportConflictError,
    ExportError,
)
from adk_sqlite.transfer.export import ExportProgress
from export._folder import ARCHIVED, ARTIFACTS, LIVE, build_folder
from support.events import rich_event


@pytest.fixture
async def folder(tmp_path: Path) -> Path:
    path = tmp_path / "agent-sessions"
    await build_folder(path)
    return path


async def _assert_same(folder: Path, dsn: str, apps: tuple[str, ...] = ("a", "b")) -> None:
    """Sessions, state, artifacts and memories read back alike through both stores."""
    async with SqliteStore.per_session_files(folder) as source, PostgresStore(dsn) as target:
        before, after = SessionService(source), SessionService(target)
        for app in apps:
            listed = await before.list_sessions(app_name=app)
            assert await after.list_sessions(app_name=app) == listed
            for session in listed.sessions:
                key = {"app_name": app, "user_id": session.user_id, "session_id": session.id}
                expected = await before.get_session(**key)
                assert expected is not None
                assert await after.get_session(**key) == expected, key
                assert await after.get_user_state(
                    app_name=app, user_id=session.user_id
                ) == await before.get_user_state(app_name=app, user_id=session.user_id)
            assert await after.get_app_state(app_name=app) == await before.get_app_state(
                app_name=app
            )
        source_artifacts, target_artifacts = ArtifactService(source), ArtifactService(target)
        for app, user, session_id, filename, versions in ARTIFACTS:
            if app not in apps:
                continue
            key = {"app_name": app, "user_id": user, "session_id": session_id}
            names = await source_artifacts.list_artifact_keys(**key)
            assert filename in names
            assert await target_artifacts.list_artifact_keys(**key) == names
            listed_versions = await source_artifacts.list_artifact_versions(
                **key, filename=filename
            )
            assert len(listed_versions) == len(versions)
            assert (
                await target_artifacts.list_artifact_versions(**key, filename=filename)
                == listed_versions
            )
            for version, data in enumerate(versions):
                got = await target_artifacts.load_artifact(
                    **key, filename=filename, version=version
                )
                assert got == await source_artifacts.load_artifact(
                    **key, filename=filename, version=version
                )
                assert got is not None
                assert got.inline_data is not None
                assert got.inline_data.data == data
        source_memory, target_memory = MemoryService(source), MemoryService(target)
        for app, user, _ in (LIVE[0], LIVE[3], ARCHIVED):
            if app not in apps:
                continue
            query = {"app_name": app, "user_id": user, "query": "hello"}
            expected_memories = (await source_memory.search_memory(**query)).memories
            assert expected_memories, (app, user)
            found = (await target_memory.search_memory(**query)).memories
            # A memory's id is its row's in each database; all else must be equal.
            assert sorted(m.model_dump_json(exclude={"id"}) for m in found) == sorted(
                m.model_dump_json(exclude={"id"}) for m in expected_memories
            )


async def test_a_folder_exports_its_live_sessions_artifacts_and_memories(
    folder: Path, dsn: str
) -> None:
    steps: list[ExportProgress] = []
    report = await export_to_postgres(folder, dsn, batch_size=3, progress=steps.append)

    assert report.verified
    assert report.source == str(folder)
    assert report.archived_sessions == 1
    assert sorted((c.app_name, c.user_id, c.session_id) for c in report.checksums) == sorted(LIVE)
    assert report.sessions.source_rows == report.sessions.copied_rows == len(LIVE)
    assert report.events.source_rows == report.events.copied_rows == 4 * len(LIVE)
    assert report.events.verified_rows == report.events.source_rows
    assert report.app_states.source_rows == 2
    assert report.user_states.source_rows == 3  # alice and bob of app a, carol of b
    versions = sum(len(versions) for *_, versions in ARTIFACTS)
    assert report.artifacts.source_rows == report.artifacts.verified_rows == versions
    assert report.memories.source_rows == report.memories.verified_rows > 0
    assert {step.phase for step in steps} == {
        "sessions",
        "events",
        "artifacts",
        "memories",
        "verify",
    }
    await _assert_same(folder, dsn)
    async with SessionService(PostgresStore(dsn)) as target:
        archived = await target.get_session(app_name="a", user_id="bob", session_id="old")
    assert archived is None


async def test_a_second_run_copies_nothing_and_a_third_what_was_added(
    folder: Path, dsn: str
) -> None:
    first = await export_to_postgres(folder, dsn)
    second = await export_to_postgres(folder, dsn, batch_size=2)

    assert second.verified
    assert [table.copied_rows for table in second.tables] == [0] * len(second.tables)
    assert second.checksums == first.checksums
    assert second.artifact_checksums == first.artifact_checksums

    async with SqliteStore.per_session_files(folder) as store:
        sessions = SessionService(store)
        session = await sessions.get_session(app_name="a", user_id="alice", session_id="s2")
        assert session is not None
        await sessions.append_event(
            session,
            Event(
                id="s2-later",
                author="agent",
                timestamp=1700000100.0,
                actions=EventActions(state_delta={"later": 1, "app:later": 1}),
            ),
        )
        new = await sessions.create_session(app_name="b", user_id="dave", session_id="s5")
        await sessions.append_event(new, rich_event(event_id="s5-e0", timestamp=1700000200.0))
        await ArtifactService(store).save_artifact(
            app_name="a",
            user_id="alice",
            session_id="s2",
            filename="new.txt",
            artifact=types.Part(text="new"),
        )

    third = await export_to_postgres(folder, dsn)

    assert third.verified
    assert third.sessions.copied_rows == 2  # s5 inserted, s2 brought up to date
    assert third.events.copied_rows == 2
    assert third.artifacts.copied_rows == 1
    assert third.app_states.copied_rows == 1
    await _assert_same(folder, dsn)


async def test_a_session_continued_on_the_target_is_a_conflict(folder: Path, dsn: str) -> None:
    await export_to_postgres(folder, dsn)
    async with SessionService(PostgresStore(dsn)) as target:
        session = await target.get_session(app_name="a", user_id="bob", session_id="s3")
        assert session is not None
        await target.append_event(session, Event(id="on-target", author="user"))

    with pytest.raises(ExportConflictError, match="written to on the target") as raised:
        await export_to_postgres(folder, dsn)

    assert raised.value.sessions == (("a", "bob", "s3"),)


async def test_one_app_of_a_folder(folder: Path, dsn: str) -> None:
    report = await export_to_postgres(folder, dsn, app_name="b")

    assert report.verified
    assert report.archived_sessions == 0
    assert [(c.app_name, c.user_id, c.session_id) for c in report.checksums] == [LIVE[3]]
    await _assert_same(folder, dsn, apps=("b",))
    async with SessionService(PostgresStore(dsn)) as target:
        assert (await target.list_sessions(app_name="a")).sessions == []


async def test_the_folders_store_is_a_source_too(folder: Path, dsn: str) -> None:
    async with SqliteStore.per_session_files(folder) as store:
        report = await export_to_postgres(store, dsn)

    assert report.verified
    assert report.sessions.source_rows == len(LIVE)
    await _assert_same(folder, dsn)


async def test_a_folder_takes_no_table_set(folder: Path, dsn: str) -> None:
    with pytest.raises(ConfigurationError, match="table_set is for a database file"):
        await export_to_postgres(folder, dsn, table_set="adk_sessions")


async def test_a_missing_session_file_is_a_damaged_folder(
    folder: Path, dsn: str, tmp_path: Path
) -> None:
    file = folder / "sessions" / "a+bob+s3.db"
    shutil.move(file, tmp_path / "elsewhere.db")

    with pytest.raises(DatabaseUnavailableError, match=r"check --repair") as raised:
        await export_to_postgres(folder, dsn)

    assert "('a', 'bob', 's3')" in str(raised.value)
    assert "its file is missing" in str(raised.value)
    async with SessionService(PostgresStore(dsn)) as target:
        assert (await target.list_sessions(app_name="a")).sessions == []


async def test_a_damaged_session_file_is_named(folder: Path, dsn: str) -> None:
    file = folder / "sessions" / "a+alice+s2.db"
    for sidecar in (file.with_name(file.name + "-wal"), file.with_name(file.name + "-shm")):
        sidecar.unlink(missing_ok=True)
    file.write_bytes(b"this is not a database" * 100)

    with pytest.raises(DatabaseUnavailableError) as raised:
        await export_to_postgres(folder, dsn)

    message = str(raised.value)
    assert str(file) in message
    assert f"adk-sqlite check {folder}" in message


async def test_a_session_archived_during_the_export_stops_it_and_a_rerun_goes_on(
    folder: Path, dsn: str, tmp_path: Path
) -> None:
    moved = folder / "sessions" / "a+alice+s2.db"

    def archive_it_now(step: ExportProgress) -> None:
        # After the sessions were read, before their events: the file leaves the folder.
        if step.phase == "events" and step.done == 0 and moved.exists():
            shutil.move(moved, tmp_path / "gone.db")

    with pytest.raises(ExportError, match="changed while it was exported") as raised:
        await export_to_postgres(folder, dsn, progress=archive_it_now)

    assert raised.value.sessions == (("a", "alice", "s2"),)
    shutil.move(tmp_path / "gone.db", moved)
    report = await export_to_postgres(folder, dsn)
    assert report.verified
    await _assert_same(folder, dsn)
