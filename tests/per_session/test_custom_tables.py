"""The command line on a folder whose store renamed its tables and has an owner column.

The folder is written through a real ADK Runner (`support.conversations`) by
``SessionService(SqliteStore.per_session_files(folder, session_table=...,
owner_id_column=...))``: no file in it has an ``adk_sessions`` table.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.cli import main
from adk_sqlite.sqlite import PerSessionSqliteStore
from support.conversations import ADA, APP, SALES_TICKET, SHORT_TICKET, TICKET, hold_conversations

from .conftest import rows

NAMES: dict[str, Any] = {
    "session_table": "bot_sessions",
    "events_table": "bot_events",
    "app_state_table": "bot_app_state",
    "user_state_table": "bot_user_state",
    "owner_id_column": "tenant TEXT NOT NULL",
}
OWNER = "acme"


def _store(folder: Path) -> PerSessionSqliteStore:
    return SqliteStore.per_session_files(folder, **NAMES)


def _json(*args: str | Path) -> Any:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        main, [str(arg) for arg in (*args, "--json")], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def written_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("custom-folder") / "agent-sessions"

    async def write() -> None:
        async with SessionService(_store(folder), owner_id=OWNER) as service:
            await hold_conversations(service)
            await service.store.archive_session(  # type: ignore[attr-defined]
                app_name="sales", user_id=ADA, session_id=SALES_TICKET, owner_id=OWNER
            )

    asyncio.run(write())
    return folder


@pytest.fixture
def bots(written_once: Path, tmp_path: Path) -> Path:
    """Two live sessions and one archived, in renamed tables; the test's own copy."""
    return Path(shutil.copytree(written_once, tmp_path / "agent-sessions"))


def _file_of(folder: Path, session_id: str) -> Path:
    (name,) = rows(
        folder / "catalog.db", "SELECT file_name FROM adk_session_files WHERE id = ?", (session_id,)
    )[0]
    return folder / "sessions" / str(name)


def test_every_file_records_the_stores_table_names(bots: Path) -> None:
    recorded = [("bot_sessions", "bot_events", "bot_app_state", "bot_user_state")]

    assert rows(bots / "catalog.db", "SELECT * FROM adk_sqlite_table_sets") == recorded
    assert rows(_file_of(bots, TICKET), "SELECT * FROM adk_sqlite_table_sets") == recorded


def test_sessions_lists_the_live_sessions_of_a_renamed_folder(bots: Path) -> None:
    listing = _json("sessions", bots)

    events = rows(_file_of(bots, TICKET), "SELECT count(*) FROM bot_events")[0][0]
    assert [(s["id"], s["events"]) for s in listing["sessions"]][-1] == (TICKET, events)
    assert {s["id"] for s in listing["sessions"]} == {TICKET, SHORT_TICKET}


def test_show_reads_live_and_archived_sessions_of_a_renamed_folder(bots: Path) -> None:
    live = _json("show", bots, TICKET)
    archived = _json("show", bots, SALES_TICKET)

    assert [c["name"] for e in live["events"] for c in e["tool_calls"]][:2] == [
        "remember",
        "lookup_order",
    ]
    assert live["state"]["user:name"] == "Ada"  # the catalog's bot_user_state
    assert archived["state"]["user:contact"] == "email"


def test_query_runs_in_every_file_of_a_renamed_folder(bots: Path) -> None:
    result = _json(
        "query",
        bots,
        "SELECT tenant, (SELECT count(*) FROM bot_events) AS events FROM bot_sessions",
        "--combine",
        "SELECT tenant, sum(events) FROM rows GROUP BY tenant",
    )

    total = sum(
        rows(_file_of(bots, sid), "SELECT count(*) FROM bot_events")[0][0]
        for sid in (TICKET, SHORT_TICKET)
    )
    assert result["rows"] == [[OWNER, total]]


def test_check_passes_a_renamed_folder(bots: Path) -> None:
    report = _json("check", bots)

    assert report["ok"] is True
    assert report["files_checked"] == 2
    assert report["catalog"]["ok"] is True


async def test_check_repair_adopts_an_orphan_with_its_owner(bots: Path) -> None:
    rows(bots / "catalog.db", "DELETE FROM adk_session_files WHERE id = ?", (SHORT_TICKET,))

    report = _json("check", bots, "--repair")

    assert [(d["kind"], d["repaired"]) for d in report["drift"]] == [("orphan_file", True)]
    assert rows(
        bots / "catalog.db", "SELECT owner_id FROM adk_session_files WHERE id = ?", (SHORT_TICKET,)
    ) == [(OWNER,)]
    async with SessionService(_store(bots), owner_id=OWNER) as service:
        listed = await service.list_sessions(app_name=APP)
    assert {s.id for s in listed.sessions} == {TICKET, SHORT_TICKET}


def test_check_repair_copies_a_stale_listing_from_a_renamed_file(bots: Path) -> None:
    catalog = bots / "catalog.db"
    rows(catalog, "UPDATE adk_session_files SET revision = revision - 1 WHERE id = ?", (TICKET,))

    report = _json("check", bots, "--repair")

    assert [(d["kind"], d["repaired"]) for d in report["drift"]] == [("stale_listing", True)]
    (file_revision,) = rows(_file_of(bots, TICKET), "SELECT revision FROM bot_sessions")[0]
    assert rows(catalog, "SELECT revision FROM adk_session_files WHERE id = ?", (TICKET,)) == [
        (file_revision,)
    ]


def test_file_commands_work_on_a_renamed_session_file(bots: Path, tmp_path: Path) -> None:
    file = _file_of(bots, TICKET)
    events = rows(file, "SELECT count(*) FROM bot_events")[0][0]

    assert _json("stats", file)["events"] == events
    assert [c["tool"] for c in _json("tools", file)["calls"]][-1] == "transfer_to_agent"
    assert _json("backup", file, tmp_path / "copy.db")["events"] == events
    assert _json("prune", file, "--events-older-than", "0", "--dry-run")["events_deleted"] == events


def test_table_set_is_refused_with_a_folder(bots: Path) -> None:
    result = CliRunner().invoke(main, ["sessions", str(bots), "--table-set", "bot_sessions"])

    assert result.exit_code == 2
    assert "--table-set applies to a database file" in result.output
