"""``adk-sqlite query`` and `run_readonly_query`: answers reads, refuses everything else."""

from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path

import pytest

from adk_sqlite import QueryRefusedError, run_readonly_query
from adk_sqlite.errors import DatabaseError
from support.conversations import APP, TICKET

from .conftest import run_cli, sql


def test_query_prints_columns_and_rows_as_json(db_path: Path) -> None:
    result = run_cli(
        "query", db_path, "SELECT id, app_name FROM adk_sessions ORDER BY id", "--json"
    )

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "columns": ["id", "app_name"],
        "rows": [
            [i, a] for i, a in sql(db_path, "SELECT id, app_name FROM adk_sessions ORDER BY id")
        ],
        "truncated": False,
    }


def test_query_csv_has_a_header_and_blobs_in_base64(db_path: Path) -> None:
    result = run_cli(
        "query",
        db_path,
        "SELECT seq, actions FROM adk_events WHERE actions IS NOT NULL ORDER BY seq",
        "--csv",
    )

    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    stored = sql(
        db_path, "SELECT seq, actions FROM adk_events WHERE actions IS NOT NULL ORDER BY seq"
    )
    assert rows[0] == ["seq", "actions"]
    assert [(int(seq), base64.b64decode(blob)) for seq, blob in rows[1:]] == stored
    assert len(stored) > 0


def test_query_binds_parameters(db_path: Path) -> None:
    result = run_cli(
        "query",
        db_path,
        "SELECT count(*) AS n FROM adk_events WHERE app_name = ? AND session_id = ?",
        "--param",
        APP,
        "-p",
        TICKET,
        "--json",
    )

    [(expected,)] = sql(db_path, "SELECT count(*) FROM adk_events WHERE session_id = ?", (TICKET,))
    assert json.loads(result.stdout)["rows"] == [[expected]]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO adk_app_states (app_name, state, update_time) VALUES ('x', '{}', 0)",
        "UPDATE adk_sessions SET state = '{}'",
        "DELETE FROM adk_events",
        "DROP TABLE adk_events",
        "CREATE TABLE notes (x)",
        "CREATE TEMP TABLE notes (x)",
        "ALTER TABLE adk_sessions ADD COLUMN x",
        "ATTACH DATABASE 'other.db' AS other",
        "PRAGMA query_only = OFF",
        "PRAGMA user_version = 7",
        "BEGIN IMMEDIATE",
        "VACUUM",
        "REINDEX",
        "WITH gone AS (SELECT 1) DELETE FROM adk_sessions",
    ],
)
def test_query_refuses_anything_but_reading_with_exit_code_8(db_path: Path, statement: str) -> None:
    before = sql(db_path, "SELECT count(*), (SELECT count(*) FROM adk_events) FROM adk_sessions")

    result = run_cli("query", db_path, statement)

    assert result.exit_code == 8, result.output
    assert result.stderr.startswith("Error: refused")
    after = sql(db_path, "SELECT count(*), (SELECT count(*) FROM adk_events) FROM adk_sessions")
    assert after == before
    assert sql(db_path, "PRAGMA user_version") == [(0,)]


def test_refusal_names_what_was_refused(db_path: Path) -> None:
    with pytest.raises(QueryRefusedError, match="would delete from adk_events"):
        run_readonly_query(db_path, "DELETE FROM adk_events")
    with pytest.raises(QueryRefusedError, match="attach a database"):
        run_readonly_query(db_path, "ATTACH DATABASE ':memory:' AS other")


def test_query_allows_reporting_pragmas_and_json_functions(db_path: Path) -> None:
    columns = run_readonly_query(db_path, "SELECT name FROM pragma_table_info('adk_sessions')")
    version = run_readonly_query(db_path, "PRAGMA user_version")
    keys = run_readonly_query(
        db_path,
        "SELECT key FROM adk_sessions AS s, json_each(s.state) WHERE s.id = ? ORDER BY key",
        [TICKET],
    )
    recursive = run_readonly_query(
        db_path,
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3)"
        " SELECT x FROM n",
    )

    assert {"app_name", "user_id", "id", "state"} <= {row[0] for row in columns.rows}
    assert version.rows == [[0]]
    assert keys.rows == [["channel"], ["last_saved"]]
    assert recursive.rows == [[1], [2], [3]]


def test_query_limit_cuts_the_rows_and_says_so(db_path: Path) -> None:
    result = run_readonly_query(db_path, "SELECT seq FROM adk_events ORDER BY seq", max_rows=2)
    table = run_cli("query", db_path, "SELECT seq FROM adk_events", "--limit", "2")

    assert len(result.rows) == 2
    assert result.truncated
    assert "2 rows (cut at --limit)" in table.stdout


def test_invalid_sql_exits_1_with_sqlites_message(db_path: Path) -> None:
    result = run_cli("query", db_path, "SELEC 1")

    assert result.exit_code == 1
    assert 'near "SELEC": syntax error' in result.stderr


def test_a_query_over_its_timeout_is_stopped(db_path: Path) -> None:
    endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT max(x) FROM n"

    with pytest.raises(DatabaseError, match=r"stopped after the 0\.2 s timeout"):
        run_readonly_query(db_path, endless, timeout=0.2)


def test_json_and_csv_together_is_a_usage_error(db_path: Path) -> None:
    result = run_cli("query", db_path, "SELECT 1", "--json", "--csv")

    assert result.exit_code == 2
    assert "choose one of --json and --csv" in result.stderr
