"""The command line on a folder of session files: sessions, show, query, check."""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner, Result
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.cli import main
from adk_sqlite.tools.folder_check import FolderCheckReport, FolderDrift

from .conftest import rows

APP = "support"
CLI_DOCS = Path(__file__).parents[2] / "docs" / "cli.md"


def run_cli(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env={"COLUMNS": "200", **(env or {})}).invoke(
        main, [str(arg) for arg in args], catch_exceptions=False
    )


@pytest.fixture
async def agent_sessions(folder: Path) -> Path:
    """ticket-1 (1 event) and ticket-2 (2 events) live, ticket-3 (3 events) archived."""
    async with SessionService(SqliteStore.per_session_files(folder)) as service:
        for number in (1, 2, 3):
            session = await service.create_session(
                app_name=APP, user_id=f"user{number}", session_id=f"ticket-{number}"
            )
            for index in range(number):
                await service.append_event(
                    session,
                    Event(
                        author="user" if index % 2 == 0 else "agent",
                        invocation_id="inv",
                        content=types.Content(role="user", parts=[types.Part(text=f"hi {index}")]),
                        actions=EventActions(state_delta={"app:latest": f"{number}.{index}"}),
                    ),
                )
        store = service.store
        await store.archive_session(app_name=APP, user_id="user3", session_id="ticket-3")  # type: ignore[attr-defined]
    return folder


def test_sessions_lists_the_live_sessions_of_a_folder(agent_sessions: Path) -> None:
    result = run_cli("sessions", agent_sessions, "--json")

    assert result.exit_code == 0, result.stderr
    listing = json.loads(result.stdout)
    assert [(s["id"], s["events"]) for s in listing["sessions"]] == [
        ("ticket-2", 2),
        ("ticket-1", 1),
    ]
    assert listing["total"] == 2


def test_show_finds_a_live_session_with_the_catalogs_app_state(agent_sessions: Path) -> None:
    result = run_cli("show", agent_sessions, "ticket-1", "--json")

    assert result.exit_code == 0, result.stderr
    timeline = json.loads(result.stdout)
    assert [event["texts"] for event in timeline["events"]] == [["hi 0"]]
    assert timeline["state"] == {"app:latest": "3.2"}  # the newest write, by ticket-3


def test_show_finds_an_archived_session(agent_sessions: Path) -> None:
    result = run_cli("show", agent_sessions, "ticket-3")

    assert result.exit_code == 0, result.stderr
    assert "Session ticket-3" in result.stdout
    assert "hi 2" in result.stdout


def test_show_of_an_unknown_session_exits_7(agent_sessions: Path) -> None:
    assert run_cli("show", agent_sessions, "ticket-9").exit_code == 7


def test_query_runs_in_every_session_file(agent_sessions: Path) -> None:
    result = run_cli(
        "query", agent_sessions, "SELECT count(*) AS n FROM adk_events WHERE author = ?",
        "--param", "user", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "columns": ["session_file", "n"],
        "rows": [
            ["sessions/support+user1+ticket-1.db", 1],
            ["sessions/support+user2+ticket-2.db", 1],
        ],
        "truncated": False,
    }


def test_query_combines_across_files_including_the_archive(agent_sessions: Path) -> None:
    result = run_cli(
        "query", agent_sessions, "SELECT author, count(*) AS n FROM adk_events GROUP BY author",
        "--combine", "SELECT author, sum(n) AS events FROM rows GROUP BY author ORDER BY author",
        "--archived", "--csv",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["author,events", "agent,2", "user,4"]


def test_query_of_a_folder_refuses_a_write_with_exit_code_8(agent_sessions: Path) -> None:
    result = run_cli("query", agent_sessions, "DELETE FROM adk_events")

    assert result.exit_code == 8
    assert "refused" in result.stderr
    assert rows(
        agent_sessions / "sessions" / "support+user2+ticket-2.db", "SELECT count(*) FROM adk_events"
    ) == [(2,)]


def test_folder_options_on_a_database_file_are_a_usage_error(agent_sessions: Path) -> None:
    catalog = agent_sessions / "catalog.db"

    assert run_cli("query", catalog, "SELECT 1", "--combine", "SELECT 1").exit_code == 2
    assert run_cli("query", catalog, "SELECT 1", "--archived").exit_code == 2


def test_query_of_a_folder_shows_a_progress_bar_on_a_terminal(agent_sessions: Path) -> None:
    result = run_cli("query", agent_sessions, "SELECT 1", env={"FORCE_COLOR": "1"})

    assert result.exit_code == 0
    assert "Querying session files" in result.stderr


def test_check_of_a_healthy_folder_exits_0(agent_sessions: Path) -> None:
    result = run_cli("check", agent_sessions)

    assert result.exit_code == 0, result.stdout
    assert "No problems found." in result.stdout


def test_check_reports_drift_with_exit_1_and_repair_fixes_it(agent_sessions: Path) -> None:
    rows(agent_sessions / "catalog.db", "UPDATE adk_session_files SET revision = revision - 1")

    found = run_cli("check", agent_sessions, "--json")
    assert found.exit_code == 1
    report = msgspec.json.decode(found.stdout, type=FolderCheckReport)
    assert {drift.kind for drift in report.drift} == {"stale_listing"}

    repaired = run_cli("check", agent_sessions, "--repair")
    assert repaired.exit_code == 0, repaired.stdout
    assert "2 differences, 2 repaired" in repaired.stdout
    assert run_cli("check", agent_sessions).exit_code == 0


def _check_section() -> str:
    text = CLI_DOCS.read_text()
    return text.split("## `adk-sqlite check`", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("struct", [FolderCheckReport, FolderDrift])
def test_every_field_of_the_folder_check_report_is_documented(
    struct: type[msgspec.Struct],
) -> None:
    section = _check_section()

    missing = [
        f for f in struct.__struct_fields__ if f"`{f}`" not in section and f'"{f}"' not in section
    ]

    assert not missing


def test_every_drift_kind_is_documented() -> None:
    from adk_sqlite.tools import folder_check

    kinds = set(re.findall(r"``([a-z_]+)``\s{2,}", folder_check.__doc__ or ""))
    section = _check_section()

    assert len(kinds) >= 10
    assert not [kind for kind in kinds if f"`{kind}`" not in section]
