"""The command's own process ends without a last sweep of its heap; a host program keeps its own.

`adk_sqlite.cli.run` (the console script and ``python -m adk_sqlite``) freezes the
collector's objects once the command is done, so that Python's shutdown does not
walk ADK's models again. These tests run real processes and read, from an exit
handler registered before the command, what the collector held and what the
command left behind.
"""

from __future__ import annotations

import gc
import json
import shutil
import sqlite3
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from .conftest import run_cli

# Registers an exit handler that writes the frozen objects' count and the count of those
# the collector still tracks to the file named first, then runs ``python -m adk_sqlite
# ARGS`` (exit handlers run last-registered first, so this one sees the state after
# everything else has run).
_RUN_AND_REPORT = """
import atexit, gc, json, runpy, sys
report = sys.argv.pop(1)
atexit.register(
    lambda: open(report, "w").write(json.dumps([gc.get_freeze_count(), len(gc.get_objects())]))
)
sys.argv[0] = "adk-sqlite"
runpy.run_module("adk_sqlite", run_name="__main__", alter_sys=True)
"""


def _run_module(tmp_path: Path, *arguments: str | Path) -> tuple[int, str, int, int]:
    """Exit status, stderr, and the frozen and the still tracked objects' counts at exit
    of ``python -m adk_sqlite``."""
    report = tmp_path / "frozen.json"
    result = subprocess.run(
        [sys.executable, "-c", _RUN_AND_REPORT, str(report), *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    frozen, tracked = json.loads(report.read_text())
    return result.returncode, result.stderr, int(frozen), int(tracked)


def test_the_console_script_is_the_freezing_entry_point() -> None:
    (script,) = entry_points(group="console_scripts", name="adk-sqlite")

    assert script.value == "adk_sqlite.cli:run"


def test_a_command_that_decodes_events_ends_with_the_heap_frozen(
    db_path: Path, tmp_path: Path
) -> None:
    status, stderr, frozen, tracked = _run_module(tmp_path, "check", db_path)

    assert status == 0, stderr
    # ADK's and google-genai's models are tens of thousands of objects; what the
    # collector still tracks at exit is what the exit handlers made since.
    assert frozen > 50_000
    assert tracked < frozen / 10


def test_a_failing_command_keeps_its_exit_code(db_path: Path, tmp_path: Path) -> None:
    status, stderr, frozen, tracked = _run_module(tmp_path, "show", db_path, "no-such-session")

    assert status == 7
    assert stderr == f"Error: {db_path}: no session 'no-such-session'\n"
    assert tracked < frozen / 10


def test_the_commands_writes_are_whole_at_exit(db_path: Path, tmp_path: Path) -> None:
    # A command that writes (a prune) closes its store before the process ends:
    # freezing the heap must leave nothing to a finalizer that will not run.
    copy = tmp_path / "copy.db"
    shutil.copyfile(db_path, copy)
    status, stderr, _, _ = _run_module(tmp_path, "prune", copy, "--events-older-than", "0")

    assert status == 0, stderr
    # The last connection closed checkpointed the log and removed it.
    assert not (tmp_path / "copy.db-wal").exists()
    connection = sqlite3.connect(copy)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("SELECT count(*) FROM adk_events").fetchone() == (0,)
    finally:
        connection.close()


def test_main_called_by_another_program_leaves_its_collector_alone(db_path: Path) -> None:
    before = gc.get_freeze_count()

    result = run_cli("check", db_path)

    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() == before
