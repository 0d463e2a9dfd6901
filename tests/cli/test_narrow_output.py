"""Narrow terminals and pipes: ids stay whole, wide query results stay readable.

The command runs as a real process with its output in a pipe and
``COLUMNS=40``, the way `adk-sqlite ... | grep` or a small terminal sees it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from adk_sqlite import SessionService, SqliteStore
from support.conversations import ADA, APP, SALES_TICKET_TURNS, run_turns

from .conftest import run_cli

LONG_IDS = (
    "5f0c3e1a-7b2d-4c89-9e61-2a4b8d7f3c10",
    "0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d",
)


async def _write(path: Path) -> None:
    async with SessionService(SqliteStore(path)) as service:
        for session_id in LONG_IDS:
            await service.create_session(app_name=APP, user_id=ADA, session_id=session_id)
        await run_turns(service, APP, ADA, LONG_IDS[0], SALES_TICKET_TURNS)


@pytest.fixture(scope="module")
def long_ids_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("narrow") / "sessions.db"
    asyncio.run(_write(path))
    return path


def _narrow(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``python -m adk_sqlite ARGS`` with COLUMNS=40, stdout a pipe."""
    return subprocess.run(
        [sys.executable, "-m", "adk_sqlite", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "40", "LINES": "25"},
    )


def _lines_holding(output: str, text: str) -> list[str]:
    return [line for line in output.splitlines() if text in line]


@pytest.mark.parametrize(
    ("command", "ids"),
    [
        (("sessions",), LONG_IDS),
        (("tools",), LONG_IDS[:1]),
        (("tools", "--errors"), ()),
    ],
)
def test_session_ids_are_never_split_across_lines(
    long_ids_db: Path, command: tuple[str, ...], ids: tuple[str, ...]
) -> None:
    result = _narrow(command[0], long_ids_db, *command[1:])

    assert result.returncode == 0, result.stderr
    for session_id in ids:
        assert len(_lines_holding(result.stdout, session_id)) == 1, result.stdout
    # No fragment of an id is left on a line of its own (folded or cut with an ellipsis).
    assert "…" not in "".join(_lines_holding(result.stdout, LONG_IDS[0][:8]))


def test_a_wide_query_result_is_printed_as_records(long_ids_db: Path) -> None:
    result = _narrow("query", long_ids_db, "SELECT * FROM adk_sessions ORDER BY id")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("-[ row 1 ]")
    assert lines[-1] == "2 rows"
    id_lines = [line.split() for line in lines if line.startswith("id ")]
    assert id_lines == [["id", LONG_IDS[1]], ["id", LONG_IDS[0]]]
    assert [line.split()[:2] for line in lines if line.startswith("app_name ")] == [
        ["app_name", APP],
        ["app_name", APP],
    ]


def test_a_narrow_query_result_stays_a_table(long_ids_db: Path) -> None:
    result = _narrow("query", long_ids_db, "SELECT app_name, count(*) AS n FROM adk_sessions")

    assert result.returncode == 0, result.stderr
    assert "┃ app_name ┃ n ┃" in result.stdout
    assert f"│ {APP}  │ 2 │" in result.stdout


@pytest.mark.parametrize(
    "sql",
    [
        "-- sessions per app\nSELECT app_name, count(*) AS n FROM adk_sessions GROUP BY app_name",
        "/* sessions per app */ SELECT app_name, count(*) AS n FROM adk_sessions GROUP BY 1",
        "--no space after the dashes\nSELECT app_name, count(*) AS n FROM adk_sessions GROUP BY 1",
    ],
)
def test_query_takes_sql_that_starts_with_a_comment(long_ids_db: Path, sql: str) -> None:
    result = run_cli("query", long_ids_db, sql, "--json")

    assert result.exit_code == 0, result.output
    assert '"n"' in result.stdout


def test_a_parameter_that_looks_like_a_comment_stays_as_given(long_ids_db: Path) -> None:
    result = run_cli("query", long_ids_db, "SELECT ? AS v", "-p", "-- not sql", "--csv")

    assert (result.exit_code, result.stdout) == (0, "v\n-- not sql\n")


@pytest.mark.parametrize("sql", ["", "   \n", "-- nothing here", "/* nor here */ ;", "/* open"])
def test_query_refuses_an_empty_statement(long_ids_db: Path, sql: str) -> None:
    result = run_cli("query", long_ids_db, sql)

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: the query is empty: it holds only comments and whitespace\n")
