"""``python -m adk_sqlite`` runs the same command line as the ``adk-sqlite`` script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from adk_sqlite import __version__


def _run_module(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adk_sqlite", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_python_m_adk_sqlite_prints_the_version_under_the_command_name() -> None:
    result = _run_module("--version")

    assert (result.returncode, result.stdout) == (0, f"adk-sqlite, version {__version__}\n")


def test_python_m_adk_sqlite_runs_a_command(conversation_db: Path) -> None:
    result = _run_module("sessions", conversation_db, "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["total"] > 0


def test_python_m_adk_sqlite_exits_with_the_commands_exit_code(conversation_db: Path) -> None:
    result = _run_module("show", conversation_db, "no-such-session")

    assert result.returncode == 7
    assert result.stderr.startswith("Error: ")
