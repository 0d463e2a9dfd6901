"""``adk-sqlite export``: artifacts, the target's table names and its owner column."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import ArtifactService, PostgresStore, SessionService, SqliteStore
from export._support import target_tables
from support.conversations import ADA, APP, TICKET

from .conftest import run_cli

_TARGET_NAMES = {
    "session_table": "bot_sessions",
    "events_table": "bot_events",
    "app_state_table": "bot_app",
    "user_state_table": "bot_user",
    "artifact_table": "bot_files",
}


async def _save(store: SqliteStore) -> None:
    async with ArtifactService(store) as service:
        for data in (b"first", bytes(range(256)) * 8192):
            await service.save_artifact(
                app_name=APP,
                user_id=ADA,
                session_id=TICKET,
                filename="reports/q3.pdf",
                artifact=types.Part.from_bytes(data=data, mime_type="application/pdf"),
                custom_metadata={"quarter": 3},
            )


async def _load_all(store: SqliteStore | PostgresStore) -> list[types.Part | None]:
    async with ArtifactService(store) as service:
        key = {"app_name": APP, "user_id": ADA, "session_id": TICKET, "filename": "reports/q3.pdf"}
        return [
            await service.load_artifact(**key, version=version)
            for version in await service.list_versions(**key)
        ]


def test_export_copies_the_artifacts_and_reports_them(db_path: Path, dsn: str) -> None:
    asyncio.run(_save(SqliteStore(db_path)))

    table = run_cli("export", db_path, dsn)
    second = run_cli("export", db_path, dsn, "--json")

    assert table.exit_code == 0, table.stderr
    assert "adk_artifacts" in table.stdout
    assert "and of 2 artifact versions" in table.stdout
    report = json.loads(second.stdout)
    assert report["artifacts"] == {
        "table": "adk_artifacts",
        "source_rows": 2,
        "copied_rows": 0,
        "verified_rows": 2,
    }
    assert report["mismatched_artifacts"] == []
    assert [c["version"] for c in report["artifact_checksums"]] == [0, 1]
    loaded = asyncio.run(_load_all(PostgresStore(dsn)))
    assert loaded == asyncio.run(_load_all(SqliteStore(db_path)))
    assert len(loaded) == 2


def test_target_table_options_name_the_tables_on_postgresql(db_path: Path, dsn: str) -> None:
    asyncio.run(_save(SqliteStore(db_path)))
    options = [f"--{name.replace('_', '-')}={value}" for name, value in _TARGET_NAMES.items()]

    result = run_cli("export", db_path, dsn, *options, "--json")

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert [report[t]["table"] for t in ("sessions", "events", "artifacts")] == [
        "bot_sessions",
        "bot_events",
        "bot_files",
    ]
    tables = asyncio.run(target_tables(dsn))
    assert set(_TARGET_NAMES.values()) <= tables
    assert not {"adk_sessions", "adk_events", "adk_artifacts"} & tables
    target = PostgresStore(dsn, **_TARGET_NAMES)
    loaded = asyncio.run(_load_all(target))
    assert loaded == asyncio.run(_load_all(SqliteStore(db_path)))


async def _owned_source(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE tenants (id INTEGER PRIMARY KEY)")
        connection.execute("INSERT INTO tenants VALUES (7)")
    connection.close()
    store = SqliteStore(path, owner_id_column="tenant_id INTEGER REFERENCES tenants(id)")
    async with SessionService(store, owner_id=7) as service:
        session = await service.create_session(app_name=APP, user_id=ADA)
        await service.append_event(session, Event(author="agent"))
    return session.id


async def _read_as_tenant(dsn: str, session_id: str, tenant: int) -> int | None:
    store = PostgresStore(dsn, owner_id_column="tenant_id BIGINT NOT NULL")
    async with SessionService(store, owner_id=tenant) as service:
        session = await service.get_session(app_name=APP, user_id=ADA, session_id=session_id)
    return None if session is None else len(session.events)


def test_owner_column_exports_a_source_with_owners(tmp_path: Path, dsn: str) -> None:
    source = tmp_path / "owned.db"
    session_id = asyncio.run(_owned_source(source))

    refused = run_cli("export", source, dsn)
    result = run_cli("export", source, dsn, "--owner-column", "tenant_id BIGINT NOT NULL")

    assert refused.exit_code == 2
    assert "owner column" in refused.stderr
    assert result.exit_code == 0, result.stderr
    assert asyncio.run(_read_as_tenant(dsn, session_id, 7)) == 1
    assert asyncio.run(_read_as_tenant(dsn, session_id, 8)) is None


def test_an_invalid_target_table_name_is_a_usage_error(db_path: Path, dsn: str) -> None:
    result = run_cli("export", db_path, dsn, "--session-table", 'bad"name')

    assert result.exit_code == 2
    assert "session_table" in result.stderr


def test_source_artifact_table_chooses_among_several(db_path: Path, dsn: str) -> None:
    asyncio.run(_save(SqliteStore(db_path)))
    asyncio.run(_save(SqliteStore(db_path, artifact_table="more_files")))

    refused = run_cli("export", db_path, dsn)
    chosen = run_cli("export", db_path, dsn, "--source-artifact-table", "more_files", "--json")

    assert refused.exit_code == 2
    assert "adk_artifacts, more_files); choose one with --source-artifact-table" in refused.stderr
    assert chosen.exit_code == 0, chosen.stderr
    assert json.loads(chosen.stdout)["artifacts"]["source_rows"] == 2
