"""``adk-sqlite prune --compacted`` on a file and on a folder of session files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adk_sqlite import PerSessionSqliteStore, SessionService, SqliteStore
from compaction.conversation import APP, SESSION, USER, run_conversation, sliding_window

from .conftest import run_cli

pytestmark = pytest.mark.filterwarnings("ignore:.*EXPERIMENTAL.*:UserWarning")

SLIDING_WINDOW = ("--compaction-interval", "3", "--overlap-size", "1")


@pytest.fixture(scope="module")
def compacted_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file holding one session of 24 turns with sliding-window compaction; never modified."""
    import asyncio

    path = tmp_path_factory.mktemp("compacted") / "sessions.db"

    async def write() -> None:
        async with SessionService(SqliteStore(path)) as service:
            await run_conversation(service, config=sliding_window(3, 1), turns=24)

    asyncio.run(write())
    return path


@pytest.fixture
def db_copy(compacted_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "sessions.db"
    copy.write_bytes(compacted_db.read_bytes())
    return copy


async def _event_count(store: SqliteStore | PerSessionSqliteStore) -> int:
    async with store:
        return len(await store.get_events(app_name=APP, user_id=USER, session_id=SESSION))


def _json(*args: str | Path) -> dict[str, Any]:
    result = run_cli("prune", *args, "--json")
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


async def test_prune_compacted_deletes_what_its_dry_run_counted(db_copy: Path) -> None:
    before = await _event_count(SqliteStore(db_copy))

    dry = _json(db_copy, "--compacted", *SLIDING_WINDOW, "--dry-run")
    assert await _event_count(SqliteStore(db_copy)) == before
    real = _json(db_copy, "--compacted", *SLIDING_WINDOW)

    assert dry["dry_run"] is True
    assert real["events_deleted"] == dry["events_deleted"] > 0
    assert real["sessions_pruned"] == real["sessions_examined"] == 1
    assert real["sessions_refused"] == []
    assert await _event_count(SqliteStore(db_copy)) == before - real["events_deleted"]


def test_prune_compacted_says_what_it_deleted(db_copy: Path) -> None:
    result = run_cli("prune", db_copy, "--compacted", *SLIDING_WINDOW, "--app", APP)
    assert result.exit_code == 0, result.output
    assert "compacted events from 1 session of app 'compacting'" in result.stdout


def test_prune_compacted_of_another_app_deletes_nothing(db_copy: Path) -> None:
    report = _json(db_copy, "--compacted", *SLIDING_WINDOW, "--app", "elsewhere")
    assert report["sessions_examined"] == report["events_deleted"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--compacted"], "compaction settings"),
        (["--compacted", "--overlap-size", "1"], "go together"),
        (["--idle-days", "3", "--overlap-size", "1"], "go with --compacted"),
        (["--idle-days", "3", "--compacted", *SLIDING_WINDOW], "exactly one"),
    ],
)
def test_prune_compacted_usage_errors(db_copy: Path, args: list[str], message: str) -> None:
    result = run_cli("prune", db_copy, *args)
    assert result.exit_code == 2
    assert message in result.stderr


async def test_prune_compacted_on_a_folder_of_session_files(tmp_path: Path) -> None:
    folder = tmp_path / "sessions"
    async with SessionService(PerSessionSqliteStore(folder)) as service:
        await run_conversation(service, config=sliding_window(3, 1), turns=24)
    before = await _event_count(PerSessionSqliteStore(folder))

    report = _json(folder, "--compacted", *SLIDING_WINDOW)

    assert report["events_deleted"] > 0
    assert await _event_count(PerSessionSqliteStore(folder)) == before - report["events_deleted"]
