"""`stats` and `tools` take a one-file-per-session folder, as `query` and `check` do.

The folder holds the same conversations as `conversation_db` (written through a
real ADK Runner), so its figures must equal the file's.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from adk_sqlite import SessionService, SqliteStore
from support.conversations import TICKET, hold_conversations

from .conftest import run_cli


async def _write(folder: Path) -> None:
    async with SessionService(SqliteStore.per_session_files(folder)) as service:
        await hold_conversations(service)


@pytest.fixture(scope="module")
def conversation_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("folder") / "agent-sessions"
    asyncio.run(_write(folder))
    return folder


def _json(*args: str | Path) -> Any:
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _calls(audit: dict[str, Any]) -> list[tuple[str, str, str, str | None]]:
    return sorted((c["session_id"], c["tool"], c["status"], c["error"]) for c in audit["calls"])


def test_stats_of_a_folder_adds_up_its_session_files(
    conversation_folder: Path, conversation_db: Path
) -> None:
    folder, file = _json("stats", conversation_folder), _json("stats", conversation_db)

    assert folder["path"] == str(conversation_folder)
    for field in ("sessions", "events", "events_per_session", "apps", "users", "tool_calls"):
        assert folder[field] == file[field], field
    files = [conversation_folder / "catalog.db", *(conversation_folder / "sessions").glob("*.db")]
    assert folder["file_bytes"] == sum(path.stat().st_size for path in files)


def test_stats_of_a_folder_prints_its_figures(conversation_folder: Path) -> None:
    result = run_cli("stats", conversation_folder)

    assert result.exit_code == 0, result.output
    assert "Sessions" in result.stdout
    assert "6, 2 failed, 0 without a response" in result.stdout


def test_tools_of_a_folder_audits_every_session_file(
    conversation_folder: Path, conversation_db: Path
) -> None:
    folder, file = _json("tools", conversation_folder), _json("tools", conversation_db)

    assert _calls(folder) == _calls(file)
    assert [(t["tool"], t["calls"], t["errors"]) for t in folder["tools"]] == [
        (t["tool"], t["calls"], t["errors"]) for t in file["tools"]
    ]


def test_tools_of_a_folder_takes_session_errors_and_a_prefix(conversation_folder: Path) -> None:
    audit = _json("tools", conversation_folder, "--session", TICKET, "--errors")

    assert {call["session_id"] for call in audit["calls"]} == {TICKET}
    assert {call["status"] for call in audit["calls"]} == {"error"}

    ambiguous = run_cli("tools", conversation_folder, "--session", "ticket-")
    assert ambiguous.exit_code == 7
    assert "ticket-1, ticket-2, ticket-9" in ambiguous.stderr


@pytest.mark.parametrize("command", ["stats", "tools"])
def test_table_set_on_a_folder_is_a_usage_error(conversation_folder: Path, command: str) -> None:
    result = run_cli(command, conversation_folder, "--table-set", "adk_sessions")

    assert result.exit_code == 2
    assert "--table-set applies to a database file, not a folder" in result.stderr
