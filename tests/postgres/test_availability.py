"""Without a server the PostgreSQL tests skip, with the reason; CI makes that a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.postgres import DSN_VARIABLE, REQUIRE_VARIABLE

ROOT = Path(__file__).resolve().parents[2]
ONE_TEST = "tests/postgres/test_lifecycle.py::test_close_is_idempotent"


def _pytest_without_a_server(**extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != REQUIRE_VARIABLE}
    env[DSN_VARIABLE] = "postgresql://nobody@127.0.0.1:1/nothing"
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", ONE_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_unreachable_server_skips_the_test_with_the_reason() -> None:
    result = _pytest_without_a_server()

    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "PostgreSQL tests need a server" in result.stdout
    assert DSN_VARIABLE in result.stdout


def test_when_required_an_unreachable_server_fails_the_run() -> None:
    result = _pytest_without_a_server(**{REQUIRE_VARIABLE: "1"})

    assert result.returncode != 0
    assert "forbids skipping" in result.stdout
    assert "skipped" not in result.stdout
