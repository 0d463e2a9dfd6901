"""Runs docs examples through `launcher.py`, warm (forked) or cold, and reports the outcome."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

LAUNCHER = Path(__file__).with_name("launcher.py")
TIMEOUT_SECONDS = 120.0
COLD_VARIABLE = "ADK_SQLITE_DOCS_COLD"
# Offline: an example must not reach a model's API, whatever the developer's shell holds.
# The outer pytest's own settings must not reach a pytest an example runs.
_LEFT_OUT = ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "PYTEST_ADDOPTS")


@dataclass(frozen=True)
class Outcome:
    """How an example ended."""

    returncode: int
    timed_out: bool
    stdout: str
    stderr: str

    def describe(self) -> str:
        status = "timed out" if self.timed_out else f"exit status {self.returncode}"
        return (
            f"{status}\n--- stdout ---\n{self.stdout[-4000:]}"
            f"\n--- stderr ---\n{self.stderr[-6000:]}"
        )


def example_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment examples run in: this one, offline, with the venv's scripts first."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in _LEFT_OUT and not name.startswith("PYTEST_")
    }
    scripts = str(Path(sys.executable).parent)
    environment["PATH"] = os.pathsep.join([scripts, environment.get("PATH", "")])
    environment.setdefault("COLUMNS", "120")
    environment.update(extra or {})
    return environment


class Launcher:
    """One warm launcher process for the session (or none, with ADK_SQLITE_DOCS_COLD=1)."""

    def __init__(self) -> None:
        self._cold = os.environ.get(COLD_VARIABLE) == "1" or not hasattr(os, "fork")
        self._process: subprocess.Popen[str] | None = None
        if not self._cold:
            self._server()  # warms up while the sample files are written

    def _server(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, str(LAUNCHER), "--serve"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=example_environment(),
            )
        return self._process

    def run(self, request: dict[str, Any], cwd: Path) -> Outcome:
        """Runs one request (`launcher.py` describes them) with its output kept in ``cwd``."""
        stdout, stderr = cwd.parent / "example.stdout", cwd.parent / "example.stderr"
        full = {
            "cwd": str(cwd),
            "stdout": str(stdout),
            "stderr": str(stderr),
            "timeout": TIMEOUT_SECONDS,
            "env": example_environment(request.pop("env", None)),
            **request,
        }
        answer = self._run_cold(full, cwd) if self._cold else self._run_warm(full)
        return Outcome(
            returncode=answer["returncode"],
            timed_out=answer["timed_out"],
            stdout=stdout.read_text(errors="replace"),
            stderr=stderr.read_text(errors="replace"),
        )

    def _run_warm(self, request: dict[str, Any]) -> dict[str, Any]:
        server = self._server()
        assert server.stdin is not None
        assert server.stdout is not None
        _send(server.stdin, request)
        line = server.stdout.readline()
        if not line:
            raise RuntimeError("the docs launcher ended; see the test output for its error")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _run_cold(self, request: dict[str, Any], cwd: Path) -> dict[str, Any]:
        request_file = cwd.parent / "example.request.json"
        request_file.write_text(json.dumps(request), encoding="utf-8")
        try:
            completed = subprocess.run(
                [sys.executable, str(LAUNCHER), "--once", str(request_file)],
                timeout=TIMEOUT_SECONDS,
                env=request["env"],
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"returncode": -9, "timed_out": True}
        return {"returncode": completed.returncode, "timed_out": False}

    def close(self) -> None:
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(timeout=30)
            if self._process.stdout is not None:
                self._process.stdout.close()


def _send(stream: IO[str], request: dict[str, Any]) -> None:
    stream.write(json.dumps(request) + "\n")
    stream.flush()
