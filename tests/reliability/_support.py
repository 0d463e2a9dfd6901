"""Helpers shared by the reliability tests: child processes and database checks."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import adk_sqlite

HERE = Path(__file__).resolve().parent
SRC = Path(adk_sqlite.__file__).resolve().parent.parent
TESTS = HERE.parent


def child_env() -> dict[str, str]:
    """The environment for a child Python: it imports this checkout's adk_sqlite."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(SRC), str(TESTS), *filter(None, [env.get("PYTHONPATH")])]
    )
    # A child's warnings are its own business; its results are checked by the parent.
    env.pop("PYTHONWARNINGS", None)
    return env


def python_command(script: str, *arguments: str) -> list[str]:
    """``python tests/reliability/<script> <arguments>`` for this interpreter."""
    return [sys.executable, str(HERE / script), *arguments]


def start_child(script: str, *arguments: str, **popen: Any) -> subprocess.Popen[str]:
    """Starts a child script with line-buffered text pipes on stdin and stdout."""
    return subprocess.Popen(
        python_command(script, *arguments),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
        env=child_env(),
        **popen,
    )


def integrity_problems(path: Path) -> list[tuple[Any, ...]]:
    """What ``PRAGMA integrity_check`` and ``foreign_key_check`` report; [] when sound."""
    connection = sqlite3.connect(path)
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchall()
        foreign_keys = connection.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        connection.close()
    problems = [row for row in integrity if row != ("ok",)]
    return problems + [("foreign key", *row) for row in foreign_keys]


def table_names(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
    finally:
        connection.close()
    return [row[0] for row in rows]


def open_fds() -> list[str]:
    """What this process's file descriptors point at (Linux ``/proc``)."""
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # the descriptor listdir itself used, now closed
            continue
    return targets
