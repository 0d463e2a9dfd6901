"""Every command that takes a session id takes its first characters, as git takes short hashes.

The sessions are written through a real ADK Runner, in a file and in a folder
of one file per session; their ids share prefixes, and some hold ``%`` and
``_``, which a LIKE pattern would read as wildcards.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from google.adk.sessions.base_session_service import BaseSessionService

from adk_sqlite import AmbiguousSessionError, SessionService, SqliteStore, resolve_session_id
from support.conversations import ADA, APP, SALES_TICKET_TURNS, run_turns

from .conftest import run_cli

LONG_ID = "5f0c3e1a-7b2d-4c89-9e61-2a4b8d7f3c10"
NEIGHBOUR = "5f0c9999-0000-4000-8000-000000000000"
UNDERSCORE = "ab_cd"
LOOKS_LIKE_UNDERSCORE = "abXcd"
PERCENT = "pc%1"
LOOKS_LIKE_PERCENT = "pcZZ1"
IDS = (LONG_ID, NEIGHBOUR, UNDERSCORE, LOOKS_LIKE_UNDERSCORE, PERCENT, LOOKS_LIKE_PERCENT)


async def _hold(service: BaseSessionService) -> None:
    for session_id in IDS:
        await service.create_session(app_name=APP, user_id=ADA, session_id=session_id)
    # One session with a tool call, so `tools --session` has something to find.
    await run_turns(service, APP, ADA, LONG_ID, SALES_TICKET_TURNS)


async def _write(where: Path, *, per_session: bool) -> None:
    store = SqliteStore.per_session_files(where) if per_session else SqliteStore(where)
    async with SessionService(store) as service:
        await _hold(service)


@pytest.fixture(scope="module", params=["file", "folder"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if request.param == "file":
        path = tmp_path_factory.mktemp("prefixes") / "sessions.db"
        asyncio.run(_write(path, per_session=False))
    else:
        path = tmp_path_factory.mktemp("prefixes") / "agent-sessions"
        asyncio.run(_write(path, per_session=True))
    return path


def test_show_takes_a_unique_prefix_of_the_session_id(database: Path) -> None:
    result = run_cli("show", database, "5f0c3", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == LONG_ID


def test_an_ambiguous_prefix_exits_7_listing_the_candidates(database: Path) -> None:
    result = run_cli("show", database, "5f0c")

    assert (result.exit_code, result.stdout) == (7, "")
    assert result.stderr == (
        f"Error: {database}: session id prefix '5f0c' is ambiguous; it begins"
        f" {LONG_ID}, {NEIGHBOUR} (give more characters)\n"
    )


def test_a_full_id_is_taken_as_it_is(database: Path) -> None:
    assert resolve_session_id(database, LONG_ID) == LONG_ID
    assert resolve_session_id(database, LONG_ID[:-1]) == LONG_ID


def test_underscore_and_percent_in_a_prefix_are_plain_characters(database: Path) -> None:
    assert resolve_session_id(database, "ab_") == UNDERSCORE
    assert resolve_session_id(database, "pc%") == PERCENT
    assert resolve_session_id(database, "abX") == LOOKS_LIKE_UNDERSCORE


def test_a_prefix_of_no_session_is_left_for_the_command_to_report(database: Path) -> None:
    assert resolve_session_id(database, "zz") == "zz"

    result = run_cli("show", database, "zz")

    assert result.exit_code == 7
    assert "'zz'" in result.stderr


def test_app_and_user_narrow_the_candidates(database: Path) -> None:
    assert resolve_session_id(database, "5f0c", app_name="elsewhere") == "5f0c"
    with pytest.raises(AmbiguousSessionError):
        resolve_session_id(database, "5f0c", app_name=APP, user_id=ADA)


def test_tools_session_takes_a_prefix(database: Path) -> None:
    result = run_cli("tools", database, "--session", "5f0c3", "--json")

    assert result.exit_code == 0, result.output
    calls = json.loads(result.stdout)["calls"]
    assert [(call["session_id"], call["tool"]) for call in calls] == [(LONG_ID, "remember")]


def test_tools_with_an_ambiguous_session_prefix_exits_7(database: Path) -> None:
    result = run_cli("tools", database, "--session", "5f0c")

    assert result.exit_code == 7
    assert NEIGHBOUR in result.stderr
