"""`ArtifactService` on `PerSessionSqliteStore`: where versions live, and when they move.

The shared contract runs in tests/artifacts (backend ``sqlite-per-session``); these
tests open the files with ``sqlite3`` and check the layout's own promises: user-scoped
artifacts in the catalog, a session's in its file, the versions of a session that does
not exist in the catalog until it is created, and those of a deleted or archived session
back in the catalog, numbered on.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from google.genai import types

from adk_sqlite import ArtifactService, ConfigurationError, SessionService, SqliteStore
from adk_sqlite.sqlite import PerSessionSqliteStore

from .conftest import rows

APP = "support"
KEY = {"app_name": APP, "user_id": "alice", "session_id": "ticket-1"}
SELECT_ROWS = "SELECT session_id, filename, version FROM adk_artifacts ORDER BY 1, 2, 3"


@pytest.fixture
async def artifacts(store: PerSessionSqliteStore) -> AsyncIterator[ArtifactService]:
    async with ArtifactService(store) as service:
        yield service


def text(value: str) -> types.Part:
    return types.Part(text=value)


async def save(artifacts: ArtifactService, filename: str, value: str, **key: str) -> int:
    return await artifacts.save_artifact(filename=filename, artifact=text(value), **(key or KEY))


async def load_text(artifacts: ArtifactService, filename: str, version: int | None = None) -> str:
    loaded = await artifacts.load_artifact(filename=filename, version=version, **KEY)
    assert loaded is not None
    assert loaded.text is not None
    return loaded.text


def tables(path: Path) -> set[str]:
    return {name for (name,) in rows(path, "SELECT name FROM sqlite_master WHERE type='table'")}


async def test_a_sessions_artifacts_are_in_its_file_and_user_scoped_ones_in_the_catalog(
    service: SessionService, artifacts: ArtifactService, store: PerSessionSqliteStore, folder: Path
) -> None:
    await service.create_session(**KEY)
    await save(artifacts, "report.txt", "r0")
    await save(artifacts, "report.txt", "r1")
    await save(artifacts, "user:profile.txt", "p0")

    session_file = store.session_file(**KEY)
    assert rows(session_file, SELECT_ROWS) == [
        ("ticket-1", "report.txt", 0),
        ("ticket-1", "report.txt", 1),
    ]
    assert rows(folder / "catalog.db", SELECT_ROWS) == [("", "user:profile.txt", 0)]
    assert sorted(await artifacts.list_artifact_keys(**KEY)) == ["report.txt", "user:profile.txt"]


async def test_artifacts_of_a_session_that_does_not_exist_wait_in_the_catalog(
    artifacts: ArtifactService, store: PerSessionSqliteStore, folder: Path
) -> None:
    await save(artifacts, "draft.txt", "d0")

    assert rows(folder / "catalog.db", SELECT_ROWS) == [("ticket-1", "draft.txt", 0)]
    assert not store.session_file(**KEY).exists()
    assert await load_text(artifacts, "draft.txt") == "d0"


async def test_creating_the_session_moves_its_waiting_artifacts_into_its_file(
    service: SessionService, artifacts: ArtifactService, store: PerSessionSqliteStore, folder: Path
) -> None:
    await save(artifacts, "draft.txt", "d0")
    await save(artifacts, "draft.txt", "d1")
    await save(artifacts, "other.txt", "o0", **{**KEY, "session_id": "ticket-2"})

    await service.create_session(**KEY)

    assert rows(store.session_file(**KEY), SELECT_ROWS) == [
        ("ticket-1", "draft.txt", 0),
        ("ticket-1", "draft.txt", 1),
    ]
    assert rows(folder / "catalog.db", SELECT_ROWS) == [("ticket-2", "other.txt", 0)]
    assert await save(artifacts, "draft.txt", "d2") == 2
    assert [await load_text(artifacts, "draft.txt", v) for v in range(3)] == ["d0", "d1", "d2"]


async def test_a_session_created_without_artifacts_gets_no_artifacts_table(
    service: SessionService, artifacts: ArtifactService, store: PerSessionSqliteStore
) -> None:
    await save(artifacts, "user:profile.txt", "p0")
    await service.create_session(**KEY)

    assert "adk_artifacts" not in tables(store.session_file(**KEY))


async def test_deleting_the_session_keeps_its_artifacts_in_the_catalog_numbered_on(
    service: SessionService, artifacts: ArtifactService, store: PerSessionSqliteStore, folder: Path
) -> None:
    await service.create_session(**KEY)
    await save(artifacts, "report.txt", "r0")
    await save(artifacts, "report.txt", "r1")

    await service.delete_session(**KEY)

    assert not store.session_file(**KEY).exists()
    assert rows(folder / "catalog.db", SELECT_ROWS) == [
        ("ticket-1", "report.txt", 0),
        ("ticket-1", "report.txt", 1),
    ]
    assert await load_text(artifacts, "report.txt") == "r1"
    assert await artifacts.list_versions(filename="report.txt", **KEY) == [0, 1]
    assert await save(artifacts, "report.txt", "r2") == 2


async def test_a_session_created_again_after_a_delete_takes_its_artifacts_back(
    service: SessionService, artifacts: ArtifactService, store: PerSessionSqliteStore, folder: Path
) -> None:
    await service.create_session(**KEY)
    await save(artifacts, "report.txt", "r0")
    await service.delete_session(**KEY)
    await save(artifacts, "report.txt", "r1")

    await service.create_session(**KEY)

    assert rows(store.session_file(**KEY), SELECT_ROWS) == [
        ("ticket-1", "report.txt", 0),
        ("ticket-1", "report.txt", 1),
    ]
    assert rows(folder / "catalog.db", SELECT_ROWS) == []
    assert await save(artifacts, "report.txt", "r2") == 2


async def test_archiving_keeps_the_artifacts_in_the_catalog_and_a_copy_in_the_archive(
    service: SessionService, artifacts: ArtifactService, store: PerSessionSqliteStore, folder: Path
) -> None:
    await service.create_session(**KEY)
    await save(artifacts, "report.txt", "r0")

    archived = await store.archive_session(**KEY)

    assert rows(archived, SELECT_ROWS) == [("ticket-1", "report.txt", 0)]
    assert rows(folder / "catalog.db", SELECT_ROWS) == [("ticket-1", "report.txt", 0)]
    assert await load_text(artifacts, "report.txt") == "r0"
    assert await save(artifacts, "report.txt", "r1") == 1


async def test_a_version_the_catalog_already_holds_is_kept_when_the_session_is_deleted(
    service: SessionService, artifacts: ArtifactService, store: PerSessionSqliteStore, folder: Path
) -> None:
    # What check --repair adopting a file can leave: the catalog still holds a version
    # of a live session (the copy an interrupted create left, or an archive's).
    await save(artifacts, "report.txt", "moved-0")
    await service.create_session(**KEY)
    await save(artifacts, "report.txt", "file-1")
    rows(
        folder / "catalog.db",
        "INSERT INTO adk_artifacts (app_name, user_id, session_id, filename, version, part,"
        " size, custom_metadata, create_time) VALUES (?, ?, ?, 'report.txt', 0, ?, 4, '{}', 0)",
        (APP, "alice", "ticket-1", '{"text":"kept"}'),
    )

    await service.delete_session(**KEY)

    assert await artifacts.list_versions(filename="report.txt", **KEY) == [0, 1]
    assert [await load_text(artifacts, "report.txt", v) for v in (0, 1)] == ["kept", "file-1"]


async def test_deleting_an_artifact_of_a_live_session_removes_it_from_its_file(
    service: SessionService, artifacts: ArtifactService, store: PerSessionSqliteStore
) -> None:
    await service.create_session(**KEY)
    await save(artifacts, "report.txt", "r0")

    await artifacts.delete_artifact(filename="report.txt", **KEY)

    assert rows(store.session_file(**KEY), SELECT_ROWS) == []
    assert await artifacts.load_artifact(filename="report.txt", **KEY) is None


async def test_large_bytes_move_with_their_session_unchanged(
    service: SessionService, artifacts: ArtifactService, store: PerSessionSqliteStore, folder: Path
) -> None:
    data = bytes(range(251)) * 12_000  # ~2.9 MiB: several pieces of the blob copy
    part = types.Part.from_bytes(data=data, mime_type="application/x-test")
    await artifacts.save_artifact(filename="big.bin", artifact=part, **KEY)
    await artifacts.save_artifact(
        filename="empty.bin",
        artifact=types.Part.from_bytes(data=b"", mime_type="application/x-test"),
        **KEY,
    )

    await service.create_session(**KEY)
    assert rows(store.session_file(**KEY), "SELECT length(data) FROM adk_artifacts ORDER BY 1") == [
        (0,),
        (len(data),),
    ]
    await service.delete_session(**KEY)

    assert rows(
        folder / "catalog.db", "SELECT data FROM adk_artifacts WHERE filename = 'big.bin'"
    ) == [(data,)]
    loaded = await artifacts.load_artifact(filename="big.bin", **KEY)
    assert loaded is not None
    assert loaded.inline_data is not None
    assert loaded.inline_data.data == data


async def test_a_custom_artifact_table_is_used_in_the_catalog_and_in_session_files(
    folder: Path,
) -> None:
    async with SqliteStore.per_session_files(folder, artifact_table="files") as store:
        artifacts = ArtifactService(store)
        await SessionService(store).create_session(**KEY)
        await save(artifacts, "report.txt", "r0")
        await save(artifacts, "user:profile.txt", "p0")
        assert store.artifact_table == "files"
        session_file = store.session_file(**KEY)

    assert rows(session_file, "SELECT filename FROM files") == [("report.txt",)]
    assert rows(folder / "catalog.db", "SELECT filename FROM files") == [("user:profile.txt",)]
    assert "adk_artifacts" not in tables(session_file) | tables(folder / "catalog.db")


@pytest.mark.parametrize("name", ["adk_sessions", "adk_session_files", "ADK_PENDING_SCOPE_DELTAS"])
def test_an_artifact_table_name_the_layout_uses_is_refused(folder: Path, name: str) -> None:
    with pytest.raises(ConfigurationError, match="adk_"):
        SqliteStore.per_session_files(folder, artifact_table=name)


@pytest.mark.parametrize("created", [True, False], ids=["session-file", "catalog"])
async def test_two_stores_on_one_folder_saving_one_name_get_distinct_versions(
    folder: Path, created: bool
) -> None:
    async with (
        SqliteStore.per_session_files(folder) as first,
        SqliteStore.per_session_files(folder) as second,
    ):
        if created:
            await SessionService(first).create_session(**KEY)
        services = [ArtifactService(first), ArtifactService(second)]
        saves = [save(services[i % 2], "report.txt", f"v{i}") for i in range(40)]
        versions = await asyncio.gather(*saves)

        assert sorted(versions) == list(range(40))
        for version, index in zip(versions, range(40), strict=True):
            assert await load_text(services[1 - index % 2], "report.txt", version) == f"v{index}"


async def test_saves_during_creates_and_deletes_of_the_session_keep_consecutive_versions(
    folder: Path,
) -> None:
    async with (
        SqliteStore.per_session_files(folder) as first,
        SqliteStore.per_session_files(folder) as second,
    ):
        artifacts = ArtifactService(first)
        sessions = SessionService(second)
        saved: dict[int, str] = {}

        async def keep_saving() -> None:
            for index in range(60):
                saved[await save(artifacts, "report.txt", f"v{index}")] = f"v{index}"

        async def churn() -> None:
            for _ in range(15):
                await sessions.create_session(**KEY)
                await asyncio.sleep(0)
                await sessions.delete_session(**KEY)

        await asyncio.gather(keep_saving(), churn())

        assert sorted(saved) == list(range(60))
        assert await artifacts.list_versions(filename="report.txt", **KEY) == list(range(60))
        for version, value in saved.items():
            assert await load_text(artifacts, "report.txt", version) == value


_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from google.genai import types
    from adk_sqlite import ArtifactService, SqliteStore

    async def main(folder, tag):
        async with SqliteStore.per_session_files(folder) as store:
            service = ArtifactService(store)
            for index in range(25):
                version = await service.save_artifact(
                    app_name="support", user_id="alice", session_id="ticket-1",
                    filename="report.txt", artifact=types.Part(text=f"{tag}-{index}"),
                )
                print(version, f"{tag}-{index}", flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_two_processes_saving_one_name_get_distinct_versions(
    service: SessionService, artifacts: ArtifactService, folder: Path
) -> None:
    await service.create_session(**KEY)
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _CHILD,
            str(folder),
            tag,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for tag in ("a", "b")
    ]
    saved: dict[int, str] = {}
    for child in children:
        out, err = await asyncio.wait_for(child.communicate(), timeout=120)
        assert child.returncode == 0, err.decode()
        for line in out.decode().splitlines():
            version, value = line.split()
            saved[int(version)] = value

    assert sorted(saved) == list(range(50))
    for version, value in saved.items():
        assert await load_text(artifacts, "report.txt", version) == value
