"""Artifacts go along with the export: every version byte for byte, verified, resumable."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest
from google.genai import types

from adk_sqlite import (
    ArtifactService,
    ExportProgress,
    PostgresStore,
    SessionService,
    SqliteStore,
    export_to_postgres,
)
from adk_sqlite.errors import (
    ConfigurationError,
    ExportConflictError,
    ExportVerificationError,
    SchemaError,
)
from adk_sqlite.transfer.export_artifacts import metadata_digest

from ._support import build_source, target_tables

# Larger than 1 MiB: stored and read through SQLite's incremental blob I/O.
_LARGE = hashlib.sha256(b"large").digest() * (3 * 1024 * 1024 // 32 + 5)

# (app, user, session id or None, filename, parts saved in order, metadata)
_ARTIFACTS: tuple[tuple[str, str, str | None, str, tuple[types.Part, ...], Any], ...] = (
    (
        "a",
        "user0",
        "session-0",
        "report.pdf",
        (
            types.Part.from_bytes(data=b"%PDF-1.4 v0", mime_type="application/pdf"),
            types.Part.from_bytes(data=_LARGE, mime_type="application/pdf"),
            types.Part.from_bytes(data=b"", mime_type="application/pdf"),
        ),
        {"pages": 3, "ratio": 0.1 + 0.2, "nested": {"-0": -0.0}},
    ),
    ("a", "user0", "session-0", "notes/2026/ünïcödé.md", (types.Part(text="# notes ✓"),), None),
    (
        "a",
        "user0",
        None,
        "user:profile/avatar.png",
        (
            types.Part.from_bytes(data=b"\x89PNG\r\n\x1a\n\x00", mime_type="image/png"),
            types.Part.from_bytes(data=b"\x89PNG v1", mime_type="image/png"),
        ),
        {"by": "test"},
    ),
    (
        "b",
        "user1",
        "session-1",
        "pointer",
        (types.Part(file_data=types.FileData(file_uri="gs://bucket/x", mime_type="text/csv")),),
        None,
    ),
    (
        "b",
        "user1",
        "session-1",
        "rewound",
        (
            types.Part(text="before the rewind"),
            types.Part.from_bytes(data=b"", mime_type="application/octet-stream"),
        ),
        None,
    ),
)


async def _save_artifacts(store: SqliteStore) -> int:
    """Saves `_ARTIFACTS` through the service; returns how many versions."""
    service, saved = ArtifactService(store), 0
    for app, user, session_id, filename, parts, metadata in _ARTIFACTS:
        for part in parts:
            await service.save_artifact(
                app_name=app,
                user_id=user,
                session_id=session_id,
                filename=filename,
                artifact=part,
                custom_metadata=metadata,
            )
            saved += 1
    return saved


async def _build(source_path: Path, **store_options: Any) -> int:
    await build_source(source_path, sessions=2, events=2)
    async with SqliteStore(source_path, **store_options) as store:
        return await _save_artifacts(store)


async def _assert_same_artifacts(
    source: ArtifactService, target: ArtifactService, apps: tuple[str, ...] = ("a", "b")
) -> int:
    """Every version of `_ARTIFACTS` (of ``apps``) loads and lists alike; returns the count."""
    compared = 0
    for app, user, session_id, filename, _, _ in _ARTIFACTS:
        if app not in apps:
            continue
        key = {"app_name": app, "user_id": user, "session_id": session_id, "filename": filename}
        listed = await source.list_artifact_versions(**key)
        assert await target.list_artifact_versions(**key) == listed
        for version in listed:
            expected = await source.load_artifact(**key, version=version.version)
            got = await target.load_artifact(**key, version=version.version)
            assert got == expected, (key, version.version)
            if expected is not None and expected.inline_data is not None:
                assert got is not None
                assert got.inline_data is not None
                assert got.inline_data.data == expected.inline_data.data
            compared += 1
        assert await target.load_artifact(**key) == await source.load_artifact(**key)
    return compared


async def _fetch(dsn: str, sql: str, *args: Any) -> list[Any]:
    connection = await asyncpg.connect(dsn)
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


async def test_every_artifact_version_loads_byte_for_byte_from_postgresql(
    source_path: Path, dsn: str
) -> None:
    versions = await _build(source_path)

    report = await export_to_postgres(source_path, dsn)

    assert report.verified
    assert (report.artifacts.table, report.artifacts.source_rows) == ("adk_artifacts", versions)
    assert report.artifacts.copied_rows == report.artifacts.verified_rows == versions
    assert report.mismatched_artifacts == ()
    async with SqliteStore(source_path) as sqlite_store, PostgresStore(dsn) as postgres_store:
        compared = await _assert_same_artifacts(
            ArtifactService(sqlite_store), ArtifactService(postgres_store)
        )
        keys = await ArtifactService(postgres_store).list_artifact_keys(
            app_name="a", user_id="user0", session_id="session-0"
        )
    assert compared == versions
    assert keys == ["notes/2026/ünïcödé.md", "report.pdf", "user:profile/avatar.png"]


async def test_artifact_checksums_follow_the_documented_definition(
    source_path: Path, dsn: str
) -> None:
    await _build(source_path)

    report = await export_to_postgres(source_path, dsn)

    with sqlite3.connect(source_path) as connection:
        rows = connection.execute(
            "SELECT app_name, user_id, session_id, filename, version, size, data, part,"
            " mime_type, custom_metadata, create_time FROM adk_artifacts"
        ).fetchall()
    connection.close()
    expected = sorted(
        (
            *row[:6],
            None if row[6] is None else hashlib.sha256(row[6]).hexdigest(),
            metadata_digest(*row[7:]),
        )
        for row in rows
    )
    assert len(expected) == 9
    got = [tuple(msgspec.structs.astuple(c)) for c in report.artifact_checksums]
    assert got == expected
    large = [c for c in report.artifact_checksums if c.size == len(_LARGE)]
    assert [c.sha256 for c in large] == [hashlib.sha256(_LARGE).hexdigest()]


async def test_a_second_run_copies_no_artifact_and_a_third_copies_new_versions(
    source_path: Path, dsn: str
) -> None:
    versions = await _build(source_path)
    await export_to_postgres(source_path, dsn)

    second = await export_to_postgres(source_path, dsn)
    async with ArtifactService(SqliteStore(source_path)) as service:
        new = await service.save_artifact(
            app_name="a",
            user_id="user0",
            session_id="session-0",
            filename="report.pdf",
            artifact=types.Part.from_bytes(data=b"v3", mime_type="application/pdf"),
        )
    third = await export_to_postgres(source_path, dsn)

    assert (second.artifacts.copied_rows, second.artifacts.verified_rows) == (0, versions)
    assert (third.artifacts.copied_rows, third.artifacts.verified_rows) == (1, versions + 1)
    [(count, distinct)] = await _fetch(
        dsn,
        "SELECT count(*), count(DISTINCT (app_name, user_id, session_id, filename, version))"
        " FROM adk_artifacts",
    )
    assert count == distinct == versions + 1
    async with ArtifactService(PostgresStore(dsn)) as target:
        part = await target.load_artifact(
            app_name="a", user_id="user0", session_id="session-0", filename="report.pdf"
        )
    assert new == 3
    assert part == types.Part.from_bytes(data=b"v3", mime_type="application/pdf")


class _InterruptedError(Exception):
    """Raised by a progress callback to stop an export."""


async def test_an_export_stopped_while_copying_artifacts_resumes(
    source_path: Path, dsn: str
) -> None:
    versions = await _build(source_path)

    def stop_after_the_first_batch(step: ExportProgress) -> None:
        if step.phase == "artifacts" and step.done >= 2:
            raise _InterruptedError

    with pytest.raises(_InterruptedError):
        await export_to_postgres(
            source_path, dsn, batch_size=2, progress=stop_after_the_first_batch
        )
    [(after_stop,)] = await _fetch(dsn, "SELECT count(*) FROM adk_artifacts")

    report = await export_to_postgres(source_path, dsn, batch_size=2)

    assert after_stop == 2
    assert report.verified
    assert report.artifacts.copied_rows == versions - 2
    async with SqliteStore(source_path) as sqlite_store, PostgresStore(dsn) as postgres_store:
        await _assert_same_artifacts(ArtifactService(sqlite_store), ArtifactService(postgres_store))


async def test_progress_reports_the_artifacts_phase_between_events_and_verify(
    source_path: Path, dsn: str
) -> None:
    versions = await _build(source_path)
    seen: list[ExportProgress] = []

    await export_to_postgres(source_path, dsn, batch_size=3, progress=seen.append)

    phases = [p.phase for p in seen]
    assert phases == sorted(phases, key=["sessions", "events", "artifacts", "verify"].index)
    artifacts = [p for p in seen if p.phase == "artifacts"]
    assert (artifacts[0].done, artifacts[-1].done, artifacts[-1].total) == (0, versions, versions)


async def test_one_app_exports_its_artifacts_alone(source_path: Path, dsn: str) -> None:
    await _build(source_path)

    report = await export_to_postgres(source_path, dsn, app_name="b")

    assert report.artifacts.source_rows == 3
    assert {c.app_name for c in report.artifact_checksums} == {"b"}
    assert await _fetch(dsn, "SELECT DISTINCT app_name FROM adk_artifacts") == [("b",)]


async def test_stores_with_their_own_artifact_tables(source_path: Path, dsn: str) -> None:
    versions = await _build(source_path, artifact_table="bot_files")
    source = SqliteStore(source_path, artifact_table="bot_files")
    target = PostgresStore(dsn, artifact_table="BotFiles")
    try:
        report = await export_to_postgres(source, target)
        compared = await _assert_same_artifacts(ArtifactService(source), ArtifactService(target))
    finally:
        await target.close()
        await source.close()

    assert report.artifacts.table == "BotFiles"
    assert compared == report.artifacts.verified_rows == versions
    assert "adk_artifacts" not in await target_tables(dsn)


async def test_a_path_to_a_file_of_several_artifacts_tables_names_the_one_to_export(
    source_path: Path, dsn: str
) -> None:
    await _build(source_path)
    async with SqliteStore(source_path, artifact_table="bot_files") as other:
        await ArtifactService(other).save_artifact(
            app_name="a", user_id="u", session_id="s", filename="x", artifact=types.Part(text="x")
        )

    with pytest.raises(ConfigurationError, match="adk_artifacts, bot_files"):
        await export_to_postgres(source_path, dsn)
    report = await export_to_postgres(source_path, dsn, source_artifact_table="bot_files")

    assert (report.artifacts.table, report.artifacts.source_rows) == ("adk_artifacts", 1)


async def test_a_source_without_artifacts_creates_no_artifacts_table(
    source_path: Path, dsn: str
) -> None:
    await build_source(source_path, sessions=1, events=1)

    report = await export_to_postgres(source_path, dsn)

    assert (report.artifacts.source_rows, report.artifact_checksums) == (0, ())
    assert "adk_artifacts" not in await target_tables(dsn)


async def test_a_version_saved_on_the_target_stops_the_export_before_writing(
    source_path: Path, dsn: str
) -> None:
    await _build(source_path)
    await export_to_postgres(source_path, dsn)
    async with ArtifactService(PostgresStore(dsn)) as target:
        await target.save_artifact(
            app_name="a",
            user_id="user0",
            session_id="session-0",
            filename="report.pdf",
            artifact=types.Part(text="saved on PostgreSQL"),
        )
    async with SessionService(SqliteStore(source_path)) as sessions:
        await sessions.create_session(app_name="a", user_id="user0", session_id="new")

    with pytest.raises(ExportConflictError, match=r"'report.pdf'\) version 3") as excinfo:
        await export_to_postgres(source_path, dsn)

    assert excinfo.value.sessions == (("a", "user0", "session-0"),)
    [(sessions,)] = await _fetch(dsn, "SELECT count(*) FROM adk_sessions")
    assert sessions == 2  # the new session's transaction rolled back


async def test_a_version_numbered_alike_on_both_sides_is_a_conflict(
    source_path: Path, dsn: str
) -> None:
    await _build(source_path)
    await export_to_postgres(source_path, dsn)
    for store in (SqliteStore(source_path), PostgresStore(dsn)):
        async with ArtifactService(store) as service:
            await service.save_artifact(
                app_name="a",
                user_id="user0",
                filename="user:profile/avatar.png",
                artifact=types.Part(text=f"saved on {type(store).__name__}"),
            )

    with pytest.raises(ExportConflictError, match="version 2"):
        await export_to_postgres(source_path, dsn)


async def test_target_bytes_changed_by_hand_are_reported_by_the_verification(
    source_path: Path, dsn: str
) -> None:
    await _build(source_path)
    await export_to_postgres(source_path, dsn)
    await _fetch(
        dsn,
        "UPDATE adk_artifacts SET data = decode('00', 'hex') || substring(data from 2)"
        " WHERE filename = convert_to('report.pdf', 'UTF8') AND version = 0",
    )

    with pytest.raises(ExportVerificationError, match=r"'report.pdf'\) version 0") as excinfo:
        await export_to_postgres(source_path, dsn)

    report = excinfo.value.report
    assert report.mismatched_artifacts == (("a", "user0", "session-0", "report.pdf", 0),)
    assert report.artifacts.verified_rows == report.artifacts.source_rows - 1


async def test_a_target_table_of_that_name_with_other_columns_is_refused_untouched(
    source_path: Path, dsn: str
) -> None:
    await _build(source_path)
    await _fetch(dsn, "CREATE TABLE adk_artifacts (id int, name text)")

    with pytest.raises(SchemaError, match="not an adk-sqlite artifacts table"):
        await export_to_postgres(source_path, dsn)

    assert "adk_sessions" not in await target_tables(dsn)
