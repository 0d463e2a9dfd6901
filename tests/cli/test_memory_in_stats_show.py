"""Memories in ``stats`` (counts, per app and user) and ``show --memories`` (a session's)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from adk_sqlite import SessionService, SqliteStore, database_stats

from .conftest import run_cli
from .memory_databases import (
    ADA,
    ADA_MEMORIES,
    ALL_MEMORIES,
    APP,
    ESCAPED_HOSTILE,
    GRACE,
    HOSTILE,
    REFUNDS,
    write_memories,
)


@pytest.fixture
def memory_db(tmp_path: Path) -> Path:
    path = tmp_path / "agent.db"
    asyncio.run(write_memories(path))
    return path


# --- stats --------------------------------------------------------------------------


def test_stats_counts_memories_in_all_per_app_and_per_user(memory_db: Path) -> None:
    result = run_cli("stats", memory_db, "--json")

    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["memories"] == ALL_MEMORIES
    assert [(a["app_name"], a["memories"]) for a in stats["apps"]] == [(APP, ALL_MEMORIES)]
    assert [(u["user_id"], u["memories"]) for u in stats["users"]] == [
        (ADA, ADA_MEMORIES),
        (GRACE, ALL_MEMORIES - ADA_MEMORIES),
    ]


def test_stats_shows_memories_in_its_tables(memory_db: Path) -> None:
    result = run_cli("stats", memory_db)

    assert result.exit_code == 0, result.output
    assert f"│ Memories                 │ {ALL_MEMORIES}" in result.stdout
    assert "┃ Memories ┃" in result.stdout


def test_stats_lists_a_user_whose_sessions_are_deleted_by_their_memories(
    memory_db: Path,
) -> None:
    async def delete_graces_session() -> None:
        async with SessionService(SqliteStore(memory_db)) as service:
            await service.delete_session(app_name=APP, user_id=GRACE, session_id="g1")

    asyncio.run(delete_graces_session())

    [grace] = [u for u in database_stats(memory_db).users if u.user_id == GRACE]

    assert (grace.sessions, grace.events, grace.memories) == (0, 0, ALL_MEMORIES - ADA_MEMORIES)


def test_stats_of_a_database_without_memories_counts_none(db_path: Path) -> None:
    stats = database_stats(db_path)
    result = run_cli("stats", db_path)

    assert stats.memories == 0
    assert all(user.memories == 0 for user in stats.users)
    assert "│ Memories                 │ none" in result.stdout
    assert "┃ Memories ┃" not in result.stdout


# --- show --memories ----------------------------------------------------------------------


def _shown(*args: str | Path) -> dict[str, Any]:
    result = run_cli("show", *args, "--memories", "--json")
    assert result.exit_code == 0, result.output
    listing: dict[str, Any] = json.loads(result.stdout)
    return listing


def test_show_memories_lists_the_sessions_memories_newest_first(memory_db: Path) -> None:
    listing = _shown(memory_db, REFUNDS)

    assert (listing["app_name"], listing["user_id"], listing["session_id"]) == (APP, ADA, REFUNDS)
    assert [m["text"] for m in listing["memories"]] == [
        "I cannot help with that.",
        HOSTILE,
        "Refunds are accepted within 30 days.",
        "What is the refund policy?",
    ]


def test_show_memories_prints_them_escaped(memory_db: Path) -> None:
    result = run_cli("show", memory_db, REFUNDS, "--memories")

    assert result.exit_code == 0, result.output
    assert ESCAPED_HOSTILE in result.stdout
    assert "\x1b" not in result.stdout
    assert "4 of 4 memories, newest first" in result.stdout


def test_show_memories_on_a_folder_reads_the_catalog(tmp_path: Path) -> None:
    folder = tmp_path / "agent-sessions"
    asyncio.run(write_memories(folder, per_session=True))

    listing = _shown(folder, "g1")

    assert listing["user_id"] == GRACE
    assert len(listing["memories"]) == ALL_MEMORIES - ADA_MEMORIES


def test_show_memories_of_a_database_without_memories_exits_7(db_path: Path) -> None:
    result = run_cli("show", db_path, "ticket-1", "--memories")

    assert result.exit_code == 7
    assert "holds no memories" in result.stderr
