"""`import_adk_artifacts` into PostgreSQL: an ADK file service folder into a PostgresStore."""

from __future__ import annotations

from pathlib import Path

from adk_sqlite import ArtifactService, PostgresStore
from adk_sqlite.transfer.artifact_import import import_adk_artifacts
from transfer.adk_artifact_folders import NAMES, VERSIONS, assert_same_as_adk, write_folder


async def test_a_postgresql_url_receives_every_version_once(tmp_path: Path, dsn: str) -> None:
    adk = await write_folder(tmp_path / "artifacts")

    report = await import_adk_artifacts(tmp_path / "artifacts", dsn)
    again = await import_adk_artifacts(tmp_path / "artifacts", dsn)

    assert (report.artifacts, report.versions_imported) == (NAMES, VERSIONS)
    assert (again.versions_imported, again.versions_already_present) == (0, VERSIONS)
    assert "postgresql://" in report.destination
    async with ArtifactService(PostgresStore(dsn)) as ours:
        assert await assert_same_as_adk(adk, ours) == VERSIONS


async def test_a_postgres_store_is_used_and_left_open(tmp_path: Path, dsn: str) -> None:
    adk = await write_folder(tmp_path / "artifacts")
    store = PostgresStore(dsn, artifact_table="imported_files")
    try:
        report = await import_adk_artifacts(tmp_path / "artifacts", store)
        assert report.versions_imported == VERSIONS
        assert await assert_same_as_adk(adk, ArtifactService(store)) == VERSIONS
    finally:
        await store.close()
