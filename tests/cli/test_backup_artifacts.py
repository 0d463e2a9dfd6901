"""``adk-sqlite backup`` copies the artifacts with the sessions.

The backup is SQLite's online backup of the whole file, so the artifacts table (under
whatever name ``artifact_table`` gave it) comes along; these tests prove it, for large
versions stored through incremental blob I/O too, and for a copy taken while an agent
keeps saving: every version in the copy is whole.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from pathlib import Path

from google.genai import types

from adk_sqlite import (
    ArtifactService,
    SessionService,
    SqliteStore,
    backup_database,
    check_database,
)
from support.conversations import ADA, APP, TICKET

from .conftest import run_cli, sql

# Larger than the 1 MiB above which a version's bytes go through blob I/O.
_LARGE = bytes(range(256)) * (5 * 4096 + 3)


def _payload(n: int, size: int) -> bytes:
    """Bytes that say which version they are, so a torn copy would show."""
    return hashlib.sha256(str(n).encode()).digest() * (size // 32)


async def _save_versions(db_path: Path, artifact_table: str) -> dict[tuple[str, int], bytes]:
    saved: dict[tuple[str, int], bytes] = {}
    async with ArtifactService(SqliteStore(db_path, artifact_table=artifact_table)) as service:
        for filename, data in (
            ("report.pdf", b"%PDF-1"),
            ("report.pdf", _LARGE),
            ("user:avatar.png", b""),
            ("nested/name/with spaces.bin", _payload(7, 4096)),
        ):
            version = await service.save_artifact(
                app_name=APP,
                user_id=ADA,
                session_id=TICKET,
                filename=filename,
                artifact=types.Part.from_bytes(data=data, mime_type="application/pdf"),
                custom_metadata={"source": filename},
            )
            saved[(filename, version)] = data
        await service.save_artifact(
            app_name=APP,
            user_id=ADA,
            session_id=TICKET,
            filename="notes.md",
            artifact=types.Part(text="# notes ünïcödé"),
        )
    return saved


async def test_backup_copies_every_artifact_version_byte_for_byte(
    db_path: Path, tmp_path: Path
) -> None:
    saved = await _save_versions(db_path, "bot_files")
    destination = tmp_path / "copy.db"

    result = run_cli("backup", db_path, destination)

    assert result.exit_code == 0, result.output
    assert check_database(destination).ok
    store = SqliteStore(destination, artifact_table="bot_files")
    async with ArtifactService(store) as copy:
        for (filename, version), data in saved.items():
            part = await copy.load_artifact(
                app_name=APP, user_id=ADA, session_id=TICKET, filename=filename, version=version
            )
            assert part is not None
            assert part.inline_data is not None
            assert part.inline_data.data == data, (filename, version)
            [listed] = [
                v
                for v in await copy.list_artifact_versions(
                    app_name=APP, user_id=ADA, session_id=TICKET, filename=filename
                )
                if v.version == version
            ]
            assert listed.custom_metadata == {"source": filename}
        notes = await copy.load_artifact(
            app_name=APP, user_id=ADA, session_id=TICKET, filename="notes.md"
        )
    assert notes == types.Part(text="# notes ünïcödé")
    query = "SELECT * FROM bot_files ORDER BY row_id"
    assert sql(destination, query) == sql(db_path, query)


async def test_backup_while_an_agent_keeps_saving_artifacts_holds_only_whole_versions(
    tmp_path: Path,
) -> None:
    source, destination = tmp_path / "live.db", tmp_path / "copy.db"
    size = 3 * 1024 * 1024  # each version written in several blob pieces
    warmed_up, stop = asyncio.Event(), asyncio.Event()
    saved = 0

    async def agent(service: ArtifactService) -> None:
        nonlocal saved
        while not stop.is_set():
            await service.save_artifact(
                app_name=APP,
                user_id=ADA,
                session_id="live",
                filename="big.bin",
                artifact=types.Part.from_bytes(data=_payload(saved, size), mime_type="x/y"),
            )
            saved += 1
            if saved == 5:
                warmed_up.set()
            await asyncio.sleep(0)

    def slow_progress(done: int, total: int) -> None:
        time.sleep(0.002)

    async with ArtifactService(SqliteStore(source)) as service:
        writer = asyncio.create_task(agent(service))
        await warmed_up.wait()
        before = saved
        report = await asyncio.to_thread(
            backup_database, source, destination, progress=slow_progress, pages_per_step=64
        )
        during = saved
        stop.set()
        await writer

    assert report.integrity == ["ok"]
    assert during > before, "the agent should have saved while the copy ran"
    [(copied,)] = sql(destination, "SELECT count(*) FROM adk_artifacts")
    assert before <= copied <= during
    async with ArtifactService(SqliteStore(destination)) as copy:
        versions = await copy.list_versions(
            app_name=APP, user_id=ADA, session_id="live", filename="big.bin"
        )
        assert versions == list(range(copied))
        for version in versions:
            part = await copy.load_artifact(
                app_name=APP, user_id=ADA, session_id="live", filename="big.bin", version=version
            )
            assert part is not None
            assert part.inline_data is not None
            assert part.inline_data.data == _payload(version, size), version


async def test_backing_up_each_file_of_a_session_folder_keeps_its_artifacts(
    tmp_path: Path,
) -> None:
    """backup takes one file: the catalog and each session file, each with its artifacts."""
    folder, restored = tmp_path / "folder", tmp_path / "restored"
    store = SqliteStore.per_session_files(folder)
    async with ArtifactService(store) as service:
        await SessionService(store).create_session(app_name=APP, user_id=ADA, session_id=TICKET)
        for filename, data in (("own.bin", _LARGE), ("user:shared.bin", b"shared")):
            await service.save_artifact(
                app_name=APP,
                user_id=ADA,
                session_id=TICKET,
                filename=filename,
                artifact=types.Part.from_bytes(data=data, mime_type="x/y"),
            )

    files = sorted(path.relative_to(folder) for path in folder.rglob("*.db"))
    for relative in files:
        (restored / relative).parent.mkdir(parents=True, exist_ok=True)
        result = run_cli("backup", folder / relative, restored / relative)
        assert result.exit_code == 0, result.output

    assert len(files) == 2  # catalog.db and the session's file
    async with ArtifactService(SqliteStore.per_session_files(restored)) as copy:
        for filename, data in (("own.bin", _LARGE), ("user:shared.bin", b"shared")):
            part = await copy.load_artifact(
                app_name=APP, user_id=ADA, session_id=TICKET, filename=filename
            )
            assert part is not None
            assert part.inline_data is not None
            assert part.inline_data.data == data, filename
