"""``adk-sqlite memory``: a user's memories newest first; searches ranked as the service ranks."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from adk_sqlite import MemoryService, SqliteStore
from adk_sqlite.tools.memories import list_memories, search_memories

from .conftest import run_cli
from .memory_databases import (
    ADA,
    ADA_MEMORIES,
    APP,
    ESCAPED_HOSTILE,
    GRACE,
    HOSTILE,
    REFUNDS,
    SHIPPING,
    write_memories,
)


@pytest.fixture(scope="module")
def written_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("memory") / "agent.db"
    asyncio.run(write_memories(path))
    return path


@pytest.fixture
def memory_db(written_db: Path, tmp_path: Path) -> Path:
    """A private copy the test may change."""
    copy = tmp_path / "agent.db"
    source, target = sqlite3.connect(written_db), sqlite3.connect(copy)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return copy


@pytest.fixture(scope="module")
def memory_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("memory-folder") / "agent-sessions"
    asyncio.run(write_memories(folder, per_session=True))
    return folder


def _json(*args: str | Path) -> dict[str, Any]:
    result = run_cli("memory", *args, "--json")
    assert result.exit_code == 0, result.output
    listing: dict[str, Any] = json.loads(result.stdout)
    return listing


async def _service_ids(database: Path, query: str, limit: int = 50) -> list[str]:
    async with MemoryService(SqliteStore(database), max_results=limit) as service:
        found = await service.search_memory(app_name=APP, user_id=ADA, query=query)
    return [str(entry.id) for entry in found.memories]


# --- listing ------------------------------------------------------------------------


def test_listing_gives_the_users_memories_newest_first(memory_db: Path) -> None:
    listing = _json(memory_db, "--app", APP, "--user", ADA)

    memories = listing["memories"]
    assert listing["total"] == len(memories) == ADA_MEMORIES
    assert {m["user_id"] for m in memories} == {ADA}
    times = [m["time"]["unix"] for m in memories]
    assert times == sorted(times, reverse=True)
    assert [m["session_id"] for m in memories][-1] == REFUNDS
    assert memories[-1]["text"] == "What is the refund policy?"
    assert memories[-1]["author"] == "user"


def test_listing_one_session_gives_only_its_memories(memory_db: Path) -> None:
    listing = _json(memory_db, "--app", APP, "--user", ADA, "--session", SHIPPING)

    assert [m["text"] for m in listing["memories"]] == [
        "Shipping takes two days.",
        "How long does shipping take?",
    ]
    assert listing["total"] == 2


def test_limit_cuts_the_listing_and_total_counts_all(memory_db: Path) -> None:
    listing = _json(memory_db, "--app", APP, "--user", ADA, "--limit", "2")

    assert len(listing["memories"]) == 2
    assert listing["total"] == ADA_MEMORIES


def test_json_gives_the_stored_text_and_content_exactly(memory_db: Path) -> None:
    listing = _json(memory_db, "--app", APP, "--user", ADA, "--session", REFUNDS)

    [hostile] = [m for m in listing["memories"] if m["text"] == HOSTILE]
    assert hostile["content"] == {"parts": [{"text": HOSTILE}], "role": "user"}
    assert hostile["custom_metadata"] == {}
    assert hostile["vector_dimensions"] is None


def test_the_table_escapes_control_characters_and_never_reads_markup(memory_db: Path) -> None:
    result = run_cli("memory", memory_db, "--app", APP, "--user", ADA)

    assert result.exit_code == 0, result.output
    assert ESCAPED_HOSTILE in result.stdout
    assert "\x1b" not in result.stdout
    assert "\u202e" not in result.stdout
    assert "6 of 6 memories, newest first" in result.stdout


def test_a_user_without_memories_lists_none(memory_db: Path) -> None:
    result = run_cli("memory", memory_db, "--app", APP, "--user", "nobody")

    assert result.exit_code == 0, result.output
    assert "No memories match." in result.stdout


# --- search ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["refund", "REFUNDS policy", "shipping take days", "what", "nothing-like-it", "?!"]
)
async def test_search_finds_what_the_service_finds_in_its_order(
    memory_db: Path, query: str
) -> None:
    expected = await _service_ids(memory_db, query)

    listing = await asyncio.to_thread(
        search_memories, memory_db, app_name=APP, user_id=ADA, query=query
    )

    assert [m.id for m in listing.memories] == expected
    assert listing.query == query


async def test_search_limit_is_the_services_max_results(memory_db: Path) -> None:
    expected = await _service_ids(memory_db, "refund shipping days", limit=2)

    listing = _json(memory_db, "refund shipping days", "--app", APP, "--user", ADA, "--limit", "2")

    assert [m["id"] for m in listing["memories"]] == expected
    assert len(expected) == 2


def test_search_stays_within_the_user(memory_db: Path) -> None:
    listing = _json(memory_db, "ship", "--app", APP, "--user", GRACE)

    assert {m["user_id"] for m in listing["memories"]} == {GRACE}
    assert sorted(m["text"] for m in listing["memories"]) == [
        "Do you ship abroad? What about refunds?",
        "We ship to 40 countries.",
    ]


def test_search_prints_a_table_best_first(memory_db: Path) -> None:
    result = run_cli("memory", memory_db, "refund", "--app", APP, "--user", ADA)

    assert result.exit_code == 0, result.output
    assert "What is the refund policy?" in result.stdout
    assert "best first" in result.stdout


def test_a_search_with_a_session_is_a_usage_error(memory_db: Path) -> None:
    result = run_cli("memory", memory_db, "refund", "--app", APP, "--user", ADA, "--session", "x")

    assert result.exit_code == 2
    assert "--session goes without QUERY" in result.stderr


# --- folders, other tables, errors ------------------------------------------------------


def test_a_folder_reads_the_memories_of_its_catalog(memory_folder: Path) -> None:
    listing = _json(memory_folder, "--app", APP, "--user", ADA)

    assert listing["file"].endswith("catalog.db")
    assert listing["total"] == ADA_MEMORIES


async def test_a_search_of_a_folder_finds_what_the_service_finds(memory_folder: Path) -> None:
    async with MemoryService(SqliteStore.per_session_files(memory_folder)) as service:
        found = await service.search_memory(app_name=APP, user_id=ADA, query="refund days")

    listing = _json(memory_folder, "refund days", "--app", APP, "--user", ADA)

    assert [m["id"] for m in listing["memories"]] == [entry.id for entry in found.memories]
    assert listing["memories"]


def test_a_database_without_memories_exits_7_with_one_line(db_path: Path) -> None:
    result = run_cli("memory", db_path, "--app", APP, "--user", ADA)

    assert result.exit_code == 7
    assert result.stderr.count("\n") == 1
    assert "holds no memories" in result.stderr
    assert result.stdout == ""


def test_a_database_without_memories_lists_none_in_python(db_path: Path) -> None:
    listing = list_memories(db_path, app_name=APP, user_id=ADA)

    assert (listing.memory_table, listing.total, listing.memories) == (None, 0, [])


def test_a_missing_file_exits_3(tmp_path: Path) -> None:
    result = run_cli("memory", tmp_path / "missing.db", "--app", APP, "--user", ADA)

    assert result.exit_code == 3


async def _add_to_second_table(path: Path) -> None:
    async with MemoryService(SqliteStore(path, memory_table="bot_memories")) as service:
        await service.add_memory(
            app_name=APP,
            user_id=ADA,
            memories=[_entry("kept in the other table")],
        )


def _entry(text: str) -> Any:
    from google.adk.memory.memory_entry import MemoryEntry
    from google.genai import types

    return MemoryEntry(id="m1", content=types.Content(parts=[types.Part(text=text)]))


def test_several_memories_tables_need_memory_table(memory_db: Path) -> None:
    asyncio.run(_add_to_second_table(memory_db))

    refused = run_cli("memory", memory_db, "--app", APP, "--user", ADA)
    chosen = _json(memory_db, "--app", APP, "--user", ADA, "--memory-table", "bot_memories")

    assert refused.exit_code == 2
    assert "--memory-table NAME" in refused.stderr
    assert [m["text"] for m in chosen["memories"]] == ["kept in the other table"]
    assert chosen["memory_table"] == "bot_memories"
