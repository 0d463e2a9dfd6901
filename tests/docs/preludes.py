"""The setups a docs block names with ``<!-- docs-test: setup=NAME -->``.

Each is Python run first, in the block's namespace and working directory (which holds
the sample files of `workspace.py`), for a fragment that uses a name the page defines
elsewhere or leaves to the reader: ``agent``, ``service``, ``store``.
"""

from __future__ import annotations

PRELUDES: dict[str, str] = {
    # An agent that answers offline, for fragments that say `Runner(agent=agent, ...)`.
    "agent": """\
from google.adk.agents import LlmAgent
from adk_sqlite.testing import ScriptedModel
agent = LlmAgent(name="assistant", model=ScriptedModel(["Hello."] * 10))
""",
    # A service over the sample sessions.db, and a session of ada's in the support app.
    "service": """\
from adk_sqlite import SessionService, SqliteStore
service = SessionService(SqliteStore("sessions.db"))
session_id = "ticket-1"
""",
    # The sample folder of one file per session.
    "folder-store": """\
from adk_sqlite import SqliteStore
store = SqliteStore.per_session_files("agent-sessions")
""",
    # adk-sqlite's public names, for a one-line fragment that does not import them.
    "names": "from adk_sqlite import *\n",
    # Model names of Gemini answered by ScriptedModel, so that an example written for
    # Gemini runs unchanged, offline: the registry entry for `gemini-.*` is replaced.
    "scripted-gemini": """\
from google.adk.models.registry import LLMRegistry
from adk_sqlite.testing import ScriptedModel


class ScriptedGemini(ScriptedModel):
    @classmethod
    def supported_models(cls):
        return [r"gemini-.*"]

    def __init__(self, model="scripted", **data):
        super().__init__(["Hello! How can I help?"] * 10, model=model, **data)


LLMRegistry.register(ScriptedGemini)
""",
}
