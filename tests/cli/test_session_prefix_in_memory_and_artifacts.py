"""`memory --session` and `artifacts --session` take a unique prefix of a session id too.

The databases are written through real ADK Runners (`memory_databases`,
`artifact_databases`), in a file and in a folder of one file per session.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from adk_sqlite import SqliteStore

from .artifact_databases import APP as REPORTS_APP
from .artifact_databases import USER as REPORTS_USER
from .artifact_databases import run_report_agent
from .conftest import run_cli
from .memory_databases import ADA, APP, REFUNDS, write_memories

LONG_SESSION = "report-2026-q1-0f7c"


@pytest.fixture(scope="module", params=["file", "folder"])
def memory_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = request.param == "folder"
    path = tmp_path_factory.mktemp("memory") / ("agent-sessions" if folder else "agent.db")
    asyncio.run(write_memories(path, per_session=folder))
    return path


async def _write_reports(path: Path, folder: bool) -> None:
    store = SqliteStore.per_session_files(path) if folder else SqliteStore(path)
    async with store:
        await run_report_agent(store, session_id=LONG_SESSION)


@pytest.fixture(scope="module", params=["file", "folder"])
def reports_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = request.param == "folder"
    path = tmp_path_factory.mktemp("reports") / ("agent-sessions" if folder else "agent.db")
    asyncio.run(_write_reports(path, folder))
    return path


def _json(*args: str | Path) -> Any:
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_memory_session_takes_a_prefix(memory_db: Path) -> None:
    by_prefix = _json("memory", memory_db, "--app", APP, "--user", ADA, "--session", "ref")
    in_full = _json("memory", memory_db, "--app", APP, "--user", ADA, "--session", REFUNDS)

    assert by_prefix["session_id"] == REFUNDS
    assert by_prefix["memories"] == in_full["memories"] != []


def test_artifacts_session_takes_a_prefix(reports_db: Path) -> None:
    listing = _json(
        "artifacts",
        reports_db,
        "--app",
        REPORTS_APP,
        "--user",
        REPORTS_USER,
        "--session",
        "report-",
    )

    sessions = {artifact["session_id"] for artifact in listing["artifacts"]}
    assert sessions == {LONG_SESSION}
