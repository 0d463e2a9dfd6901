"""An offline ADK agents folder, ADK servers run as processes, and a client for their API.

The agent's model is `adk_sqlite.testing.ScriptedModel`, built when ADK imports
the agent module, so a server answers without a network or an API key. Its
script starts with a tool call that writes state and saves an artifact it loads
back (two model calls), then has
far more replies than any test makes in one process: `ScriptedModel` raises
once its script runs out.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

APP = "helper"
USER = "ada"

SERVICES_PY = "import adk_sqlite.adk.registry  # noqa: F401\n"

AGENT_PY = '''\
from google.adk.agents import LlmAgent
from google.adk.tools.tool_context import ToolContext
from google.genai import types

from adk_sqlite.testing import ScriptedModel, call_tool, say


async def remember(fact: str, tool_context: ToolContext) -> dict[str, object]:
    """Remembers a fact about the user, in state and in an artifact it reads back."""
    tool_context.state["user:last_fact"] = fact
    tool_context.state["facts"] = tool_context.state.get("facts", 0) + 1
    version = await tool_context.save_artifact(
        "facts.txt", types.Part.from_bytes(data=fact.encode(), mime_type="text/plain")
    )
    loaded = await tool_context.load_artifact("facts.txt")
    return {"saved": fact, "version": version, "loaded": loaded.inline_data.data.decode()}


model = ScriptedModel(
    [call_tool("remember", fact="likes tea"), say("Noted."), *(f"Reply {i}." for i in range(500))]
)
root_agent = LlmAgent(name="helper", model=model, tools=[remember], instruction="Be brief.")
'''

# Where the adk command of this environment is.
ADK = Path(sys.executable).with_name("adk")
STARTUP_TIMEOUT = 60.0
SHUTDOWN_TIMEOUT = 30.0


def write_agents_folder(root: Path, *, services_py: bool = True) -> Path:
    """Writes ``root/agents``: one agent (``helper``) and, if asked, the one-line services.py."""
    agents = root / "agents"
    (agents / APP).mkdir(parents=True)
    (agents / APP / "__init__.py").write_text("from . import agent\n")
    (agents / APP / "agent.py").write_text(AGENT_PY)
    if services_py:
        (agents / "services.py").write_text(SERVICES_PY)
    return agents


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on now (bound to 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def message(text: str) -> dict[str, Any]:
    """A user message as /run and /run_sse take it."""
    return {"role": "user", "parts": [{"text": text}]}


@dataclass
class AgentApi:
    """The ADK server's HTTP API, as far as the tests use it."""

    http: httpx.AsyncClient

    async def create_session(self, **body: Any) -> dict[str, Any]:
        response = await self.http.post(f"/apps/{APP}/users/{USER}/sessions", json=body or None)
        response.raise_for_status()
        session: dict[str, Any] = response.json()
        return session

    async def run(self, session_id: str, text: str) -> list[dict[str, Any]]:
        response = await self.http.post("/run", json=self._run_request(session_id, text))
        response.raise_for_status()
        events: list[dict[str, Any]] = response.json()
        return events

    async def run_sse(self, session_id: str, text: str) -> list[dict[str, Any]]:
        response = await self.http.post("/run_sse", json=self._run_request(session_id, text))
        response.raise_for_status()
        events = [
            json.loads(line.removeprefix("data: "))
            for line in response.text.splitlines()
            if line.startswith("data: ")
        ]
        errors = [event for event in events if "error" in event]
        assert not errors, errors
        return events

    async def artifacts(self, session_id: str) -> dict[str, Any]:
        """Every artifact of a session through ADK's endpoints: names, versions, contents."""
        base = f"/apps/{APP}/users/{USER}/sessions/{session_id}/artifacts"
        names = (await self._get(base)).json()
        found: dict[str, Any] = {}
        for name in names:
            versions = (await self._get(f"{base}/{name}/versions")).json()
            found[name] = {
                "versions": versions,
                "contents": [
                    (await self._get(f"{base}/{name}/versions/{version}")).json()
                    for version in versions
                ],
                "latest": (await self._get(f"{base}/{name}")).json(),
            }
        return found

    async def _get(self, path: str) -> httpx.Response:
        response = await self.http.get(path)
        response.raise_for_status()
        return response

    async def list_sessions(self) -> list[dict[str, Any]]:
        response = await self.http.get(f"/apps/{APP}/users/{USER}/sessions")
        response.raise_for_status()
        sessions: list[dict[str, Any]] = response.json()
        return sessions

    async def get_session(self, session_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/apps/{APP}/users/{USER}/sessions/{session_id}")
        response.raise_for_status()
        session: dict[str, Any] = response.json()
        return session

    @staticmethod
    def _run_request(session_id: str, text: str) -> dict[str, Any]:
        return {
            "app_name": APP,
            "user_id": USER,
            "session_id": session_id,
            "new_message": message(text),
        }


@dataclass
class ServerProcess:
    """An ``adk`` server running as a child process, its output in a log file."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until_ready(self) -> None:
        """Waits until the server answers /list-apps; raises with its output if it does not."""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited early:\n{self.output()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base_url}/list-apps", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"the server did not answer in {STARTUP_TIMEOUT} s:\n{self.output()}")

    def terminate(self, stop_signal: signal.Signals = signal.SIGTERM) -> int:
        """Sends SIGTERM (or ``stop_signal``) to the server's own process; waits for its exit."""
        if self.process.poll() is None:
            self.process.send_signal(stop_signal)
            try:
                self.process.wait(timeout=SHUTDOWN_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(
                    f"the server ignored {stop_signal.name}:\n{self.output()}"
                ) from None
        return self.process.returncode


@contextlib.contextmanager
def adk_server(command: str, agents: Path, *options: str) -> Iterator[ServerProcess]:
    """Runs ``adk <command> --host 127.0.0.1 --port <free> <options> <agents>`` for the block.

    The server is stopped by SIGTERM to its PID in any case (`ServerProcess.terminate`).
    """
    port = free_port()
    log = agents.parent / f"{command}-{port}.log"
    environment = {**os.environ, "ADK_DISABLE_LOAD_DOTENV": "1", "PYTHONUNBUFFERED": "1"}
    for variable in ("GOOGLE_API_KEY", "GEMINI_API_KEY", "GOOGLE_CLOUD_AGENT_ENGINE_ID"):
        environment.pop(variable, None)
    arguments = [str(ADK), command, "--host", "127.0.0.1", "--port", str(port), *options]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*arguments, str(agents)],
            cwd=agents.parent,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = ServerProcess(process, f"http://127.0.0.1:{port}", log)
    try:
        server.wait_until_ready()
        yield server
    finally:
        server.terminate()
