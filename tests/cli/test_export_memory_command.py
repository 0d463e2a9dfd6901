"""``adk-sqlite export`` copies memories to PostgreSQL: rows, watermarks and vectors, verified.

The source is written by a real ADK Runner and `MemoryService` (`memory_databases`); the
target is a fresh schema of the test PostgreSQL server, read back through
``MemoryService(PostgresStore(...))``.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from adk_sqlite import MemoryService, PostgresStore, SessionService, SqliteStore
from adk_sqlite.errors import ExportVerificationError
from adk_sqlite.memory_records import MemoryWatermark
from adk_sqlite.testing import HashingEmbedder
from adk_sqlite.transfer.export import export_to_postgres

from .conftest import run_cli
from .memory_databases import ADA, ALL_MEMORIES, APP, GRACE, REFUNDS, SHIPPING, hold_and_remember

_QUERIES = ("refund policy", "shipping days", "ship abroad refunds", "help")


async def _write(path: Path, *, embedder: HashingEmbedder | None = None) -> None:
    store = SqliteStore(path)
    async with store:
        if embedder is None:
            await hold_and_remember(store)
            return
        sessions = SessionService(store)
        await hold_and_remember(store)
        # Index the sessions again with an embedder: the memories get their vectors.
        async with MemoryService(store, embedder=embedder) as memory:
            await store.delete_memories(app_name=APP, user_id=ADA)
            await store.delete_memories(app_name=APP, user_id=GRACE)
            for user_id, session_id in ((ADA, REFUNDS), (ADA, SHIPPING), (GRACE, "g1")):
                session = await sessions.get_session(
                    app_name=APP, user_id=user_id, session_id=session_id
                )
                assert session is not None
                await memory.add_session_to_memory(session)


@pytest.fixture
def memory_db(tmp_path: Path) -> Path:
    path = tmp_path / "agent.db"
    asyncio.run(_write(path))
    return path


async def _searches(
    store: SqliteStore | PostgresStore, embedder: HashingEmbedder | None = None
) -> list[list[tuple[str | None, str | None, str]]]:
    async with MemoryService(store, embedder=embedder) as service:
        found = []
        for user_id in (ADA, GRACE):
            for query in _QUERIES:
                response = await service.search_memory(app_name=APP, user_id=user_id, query=query)
                # The two backends' text ranks (bm25, ts_rank) may order ties apart.
                found.append(
                    sorted(
                        (entry.author, entry.timestamp, entry.model_dump_json(exclude={"id"}))
                        for entry in response.memories
                    )
                )
        return found


async def _count(dsn: str, table: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await connection.close()


def _export(database: Path, dsn: str, *args: str) -> dict[str, Any]:
    result = run_cli("export", database, dsn, "--json", *args)
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_export_copies_every_memory_and_postgres_finds_what_sqlite_finds(
    memory_db: Path, dsn: str
) -> None:
    report = _export(memory_db, dsn)

    assert report["memories"] == {
        "table": "adk_memories",
        "source_rows": ALL_MEMORIES,
        "copied_rows": ALL_MEMORIES,
        "verified_rows": ALL_MEMORIES,
    }
    assert report["memory_watermarks"]["verified_rows"] == 3
    assert report["mismatched_memories"] == []
    assert [(c["user_id"], c["memories"]) for c in report["memory_checksums"]] == [
        (ADA, 6),
        (GRACE, 2),
    ]
    expected = asyncio.run(_searches(SqliteStore(memory_db)))
    assert asyncio.run(_searches(PostgresStore(dsn))) == expected
    assert all(expected[:3])


def test_exporting_twice_copies_nothing_the_second_time(memory_db: Path, dsn: str) -> None:
    _export(memory_db, dsn)

    second = _export(memory_db, dsn)

    assert second["memories"]["copied_rows"] == 0
    assert second["memory_watermarks"]["copied_rows"] == 0
    assert second["memories"]["verified_rows"] == ALL_MEMORIES
    assert asyncio.run(_count(dsn, "adk_memories")) == ALL_MEMORIES


def test_memories_added_since_are_copied_by_the_next_export(memory_db: Path, dsn: str) -> None:
    _export(memory_db, dsn)

    async def add_one() -> None:
        async with MemoryService(SqliteStore(memory_db)) as service:
            await service.add_memory(app_name=APP, user_id=ADA, memories=[_entry("m1", "later")])

    asyncio.run(add_one())
    second = _export(memory_db, dsn)

    assert second["memories"]["copied_rows"] == 1
    assert asyncio.run(_count(dsn, "adk_memories")) == ALL_MEMORIES + 1


def test_the_watermarks_go_along_so_postgres_indexes_only_new_events(
    memory_db: Path, dsn: str
) -> None:
    _export(memory_db, dsn)

    async def marks() -> list[MemoryWatermark | None]:
        found = []
        for path_store in (SqliteStore(memory_db), PostgresStore(dsn)):
            async with path_store:
                found.append(
                    await path_store.memory_watermark(app_name=APP, user_id=ADA, session_id=REFUNDS)
                )
        return found

    sqlite_mark, postgres_mark = asyncio.run(marks())
    assert sqlite_mark is not None
    assert postgres_mark == sqlite_mark


def test_vectors_are_copied_and_postgres_finds_by_meaning_what_sqlite_finds(
    tmp_path: Path, dsn: str
) -> None:
    source = tmp_path / "agent.db"
    embedder = HashingEmbedder()
    asyncio.run(_write(source, embedder=embedder))
    [(vectors,)] = sqlite3.connect(source).execute("SELECT count(*) FROM adk_memories_vectors")

    report = _export(source, dsn)

    assert vectors == ALL_MEMORIES
    assert report["memories"]["verified_rows"] == ALL_MEMORIES
    assert asyncio.run(_count(dsn, "adk_memories_vectors")) == ALL_MEMORIES
    expected = asyncio.run(_searches(SqliteStore(source), embedder))
    assert asyncio.run(_searches(PostgresStore(dsn), embedder)) == expected


def test_a_memory_changed_on_the_target_is_put_back_and_verified(memory_db: Path, dsn: str) -> None:
    _export(memory_db, dsn)

    async def tamper() -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute("UPDATE adk_memories SET content = '{}'")
        finally:
            await connection.close()

    asyncio.run(tamper())
    second = _export(memory_db, dsn)

    assert second["memories"]["copied_rows"] == ALL_MEMORIES
    assert second["memories"]["verified_rows"] == ALL_MEMORIES


async def test_verification_names_a_memory_the_target_does_not_hold(
    memory_db: Path, dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adk_sqlite.transfer import export_memories

    async def write_nothing(self: Any, batch: Any) -> int:
        return 0

    monkeypatch.setattr(export_memories.MemoryExport, "_write", write_nothing)

    with pytest.raises(ExportVerificationError, match="memory \\('support', 'ada'"):
        await export_to_postgres(memory_db, dsn)


def test_the_table_and_the_message_count_memories(memory_db: Path, dsn: str) -> None:
    result = run_cli("export", memory_db, dsn)

    assert result.exit_code == 0, result.output
    assert "adk_memories_sessions" in result.stdout
    assert f"and of {ALL_MEMORIES} memories (2 users)" in result.stdout


def test_memory_table_names_the_target_table(memory_db: Path, dsn: str) -> None:
    report = _export(memory_db, dsn, "--memory-table", "bot_memories")

    assert report["memories"]["table"] == "bot_memories"
    assert asyncio.run(_count(dsn, "bot_memories")) == ALL_MEMORIES


def test_a_source_of_several_memories_tables_needs_source_memory_table(
    memory_db: Path, dsn: str
) -> None:
    async def second_table() -> None:
        async with MemoryService(SqliteStore(memory_db, memory_table="bot_memories")) as service:
            await service.add_memory(app_name=APP, user_id=ADA, memories=[_entry("x", "other")])

    asyncio.run(second_table())

    refused = run_cli("export", memory_db, dsn)
    chosen = _export(memory_db, dsn, "--source-memory-table", "bot_memories")

    assert refused.exit_code == 2
    assert "--source-memory-table NAME" in refused.stderr
    assert chosen["memories"]["source_rows"] == 1


def _entry(memory_id: str, text: str) -> Any:
    from google.adk.memory.memory_entry import MemoryEntry
    from google.genai import types

    return MemoryEntry(id=memory_id, content=types.Content(parts=[types.Part(text=text)]))
