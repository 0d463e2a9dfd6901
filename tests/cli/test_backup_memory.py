"""``adk-sqlite backup`` copies the memories with their search index.

The backup is SQLite's online backup of the whole file, so the memories table, its
FTS5 index and its watermarks (under whatever name ``memory_table`` gave them) come
along: a restored copy is searched through `adk_sqlite.MemoryService` as the original.
A folder of per-session files keeps its memories in ``catalog.db``: backing up each
file of the folder keeps them too.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from adk_sqlite import MemoryService, SessionService, SqliteStore, check_database
from adk_sqlite.memory_records import MemoryWatermark

from .conftest import run_cli, sql
from .memory_databases import ADA, ALL_MEMORIES, APP, REFUNDS, write_memories

_QUERIES = ("refund policy", "shipping days", "help")


async def _search(store: SqliteStore | object) -> list[list[tuple[str | None, str]]]:
    async with MemoryService(store) as service:  # type: ignore[arg-type]
        results = []
        for query in _QUERIES:
            found = await service.search_memory(app_name=APP, user_id=ADA, query=query)
            results.append([(entry.id, entry.model_dump_json()) for entry in found.memories])
        return results


async def test_a_restored_backup_is_searched_as_the_original(tmp_path: Path) -> None:
    source, destination = tmp_path / "agent.db", tmp_path / "copy.db"
    await write_memories(source)

    result = run_cli("backup", source, destination, "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["memories"] == ALL_MEMORIES
    assert check_database(destination).ok
    expected = await _search(SqliteStore(source))
    assert await _search(SqliteStore(destination)) == expected
    assert all(expected)
    for table in ("adk_memories", "adk_memories_sessions"):
        query = f"SELECT * FROM {table} ORDER BY 1, 2, 3"
        assert sql(destination, query) == sql(source, query)


async def test_a_restored_backup_keeps_how_far_each_session_is_indexed(tmp_path: Path) -> None:
    source, destination = tmp_path / "agent.db", tmp_path / "copy.db"
    await write_memories(source)
    assert run_cli("backup", source, destination).exit_code == 0

    store = SqliteStore(destination)
    async with store:
        session = await SessionService(store).get_session(
            app_name=APP, user_id=ADA, session_id=REFUNDS
        )
        mark = await store.memory_watermark(app_name=APP, user_id=ADA, session_id=REFUNDS)

    assert session is not None
    assert mark == MemoryWatermark(len(session.events), session.events[-1].id)


def test_the_backup_message_counts_memories(tmp_path: Path) -> None:
    source, destination = tmp_path / "agent.db", tmp_path / "copy.db"
    asyncio.run(write_memories(source))

    result = run_cli("backup", source, destination)

    assert result.exit_code == 0, result.output
    assert f"and {ALL_MEMORIES} memories" in result.stdout


async def test_backing_up_each_file_of_a_folder_keeps_its_memories(tmp_path: Path) -> None:
    folder, restored = tmp_path / "folder", tmp_path / "restored"
    await write_memories(folder, per_session=True)

    files = sorted(path.relative_to(folder) for path in folder.rglob("*.db"))
    for relative in files:
        (restored / relative).parent.mkdir(parents=True, exist_ok=True)
        result = run_cli("backup", folder / relative, restored / relative, "--json")
        assert result.exit_code == 0, result.output
        copied = json.loads(result.stdout)["memories"]
        assert copied == (ALL_MEMORIES if relative.name == "catalog.db" else 0)

    assert len(files) == 4  # catalog.db and three session files
    expected = await _search(SqliteStore.per_session_files(folder))
    assert await _search(SqliteStore.per_session_files(restored)) == expected
    assert all(expected)
