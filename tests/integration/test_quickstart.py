"""The quickstart script runs offline, as a new user would run it."""

from __future__ import annotations

import os
import shlex
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import adk_sqlite

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"

# The lines the offline (scripted) conversation prints, in order.
CONVERSATION = [
    "  user: Hi! Please remember that my favourite colour is green.",
    "  assistant: [calls remember({'fact': 'favourite colour is green'})]",
    "  assistant: [remember returned {'remembered': ['favourite colour is green']}]",
    "  assistant: Got it! I'll remember that your favourite colour is green.",
    "  user: What do you remember about me?",
    "  assistant: You told me your favourite colour is green.",
]


def run_quickstart(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Runs the script in a fresh interpreter, without an API key, and checks it succeeded."""
    env = {key: value for key, value in os.environ.items() if key != "GOOGLE_API_KEY"}
    # The child must import the same adk_sqlite as these tests, whether it is
    # installed or only on this process's sys.path.
    package_root = str(Path(adk_sqlite.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, str(QUICKSTART), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    # A first run should be clean: no warnings or log noise on stderr.
    assert result.stderr == "", result.stderr
    return result


def test_quickstart_runs_offline_and_prints_the_conversation(tmp_path: Path) -> None:
    output = run_quickstart(tmp_path).stdout

    assert "Model: scripted" in output
    lines = output.splitlines()
    first = lines.index(CONVERSATION[0])
    assert lines[first : first + len(CONVERSATION)] == CONVERSATION


def test_quickstart_prints_the_conversation_read_back_from_the_database(tmp_path: Path) -> None:
    output = run_quickstart(tmp_path).stdout

    _, reopened = output.split("Reopened the database", 1)
    lines = reopened.splitlines()
    assert "has 6 events" in lines[0]
    assert lines[1 : 1 + len(CONVERSATION)] == CONVERSATION
    assert "'user:facts': ['favourite colour is green']" in reopened


def test_quickstart_stores_sessions_in_quickstart_db_in_the_working_directory(
    tmp_path: Path,
) -> None:
    output = run_quickstart(tmp_path).stdout

    db = tmp_path.resolve() / "quickstart.db"
    assert db.is_file()
    assert f"Saved in {db}" in output


def test_quickstart_hint_runs_a_query_that_shows_the_conversation(tmp_path: Path) -> None:
    output = run_quickstart(tmp_path).stdout

    (hint,) = [line for line in output.splitlines() if line.startswith("Look inside with: ")]
    program, db, query = shlex.split(hint.removeprefix("Look inside with: "))
    assert (program, db) == ("sqlite3", str(tmp_path.resolve() / "quickstart.db"))
    with closing(sqlite3.connect(db)) as connection:
        rows = connection.execute(query).fetchall()
    assert len(rows) == 6
    assert "Hi! Please remember that my favourite colour is green." in str(rows[0])


def test_quickstart_stores_sessions_where_db_points(tmp_path: Path) -> None:
    output = run_quickstart(tmp_path, "--db", "chats.db").stdout

    db = tmp_path.resolve() / "chats.db"
    assert db.is_file()
    assert not (tmp_path / "quickstart.db").exists()
    assert f"Saved in {db}" in output


def test_quickstart_adds_a_new_session_when_run_again(tmp_path: Path) -> None:
    first = run_quickstart(tmp_path).stdout
    second = run_quickstart(tmp_path).stdout

    assert "Sessions of demo-user in it: 1" in first
    assert "Sessions of demo-user in it: 2" in second
    assert _session_id(first) != _session_id(second)


def _session_id(output: str) -> str:
    """The id from the script's "New session <id>:" line."""
    (line,) = [line for line in output.splitlines() if line.startswith("New session ")]
    return line.removeprefix("New session ").removesuffix(":")
