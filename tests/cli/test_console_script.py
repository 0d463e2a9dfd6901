"""The installed ``adk-sqlite`` console script, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from adk_sqlite import __version__

from .conftest import run_cli, sql

SCRIPT = Path(sys.executable).parent / "adk-sqlite"


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    if not SCRIPT.exists():
        pytest.fail(f"{SCRIPT} is missing: reinstall with pip install -e '.[test]'")
    return subprocess.run(
        [str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_console_script_lists_sessions_as_json(conversation_db: Path) -> None:
    result = _run("sessions", conversation_db, "--json")

    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    assert sorted(s["id"] for s in listing["sessions"]) == sorted(
        row[0] for row in sql(conversation_db, "SELECT id FROM adk_sessions")
    )
    assert result.stderr == ""


def test_the_console_script_reports_errors_on_stderr_with_an_exit_code(
    conversation_db: Path,
) -> None:
    result = _run("show", conversation_db, "no-such-session")

    assert (result.returncode, result.stdout) == (7, "")
    assert result.stderr == f"Error: {conversation_db}: no session 'no-such-session'\n"


def test_version_names_the_installed_package() -> None:
    result = run_cli("--version")

    assert result.stdout.strip() == f"adk-sqlite, version {__version__}"
