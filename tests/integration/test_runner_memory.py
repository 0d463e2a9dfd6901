"""A real ADK Runner remembers across sessions through MemoryService.

In session 1 the user tells the agent a fact; the session is added to memory (as apps
do after a turn). In a new session 2, the agent's ``load_memory`` tool (which the
scripted model calls) and ADK's ``preload_memory`` tool (which runs before every model
call) find it: the scripted model receives the fact in its request. Sessions and
memory share one store, reopened between the two sessions.
"""

from __future__ import annotations

from pathlib import Path

from google.adk.agents import LlmAgent
from google.adk.models.llm_request import LlmRequest
from google.adk.runners import Runner
from google.adk.tools.load_memory_tool import load_memory_tool
from google.adk.tools.preload_memory_tool import preload_memory_tool
from google.genai import types

from adk_sqlite import MemoryService, SessionService, SqliteStore
from adk_sqlite.testing import ScriptedModel, call_tool, say

APP = "assistant"
USER = "ada"
FACT = "My cat is called Mistigri."


async def _turn(runner: Runner, session_id: str, text: str) -> None:
    message = types.Content(role="user", parts=[types.Part(text=text)])
    async for _ in runner.run_async(user_id=USER, session_id=session_id, new_message=message):
        pass


def _request_text(request: LlmRequest) -> str:
    return "\n".join(
        part.text or str(part.function_response.response if part.function_response else "")
        for content in request.contents
        for part in content.parts or []
    )


async def test_a_fact_from_session_one_reaches_the_model_in_session_two(tmp_path: Path) -> None:
    database = tmp_path / "agent.db"
    async with SqliteStore(database) as store:
        sessions, memory = SessionService(store), MemoryService(store)
        model = ScriptedModel([say("Noted!")])
        runner = Runner(
            agent=LlmAgent(name="helper", model=model),
            app_name=APP,
            session_service=sessions,
            memory_service=memory,
        )
        first = await sessions.create_session(app_name=APP, user_id=USER)
        await _turn(runner, first.id, FACT)
        stored = await sessions.get_session(app_name=APP, user_id=USER, session_id=first.id)
        assert stored is not None
        await memory.add_session_to_memory(stored)

    async with SqliteStore(database) as store:
        sessions, memory = SessionService(store), MemoryService(store)
        model = ScriptedModel(
            [call_tool("load_memory", query="cat name"), say("Your cat is Mistigri.")]
        )
        runner = Runner(
            agent=LlmAgent(
                name="helper", model=model, tools=[load_memory_tool, preload_memory_tool]
            ),
            app_name=APP,
            session_service=sessions,
            memory_service=memory,
        )
        second = await sessions.create_session(app_name=APP, user_id=USER)
        await _turn(runner, second.id, "What is my cat called?")

    assert model.remaining == 0
    first_request, second_request = model.requests
    # preload_memory put the past conversation into the first model call of the turn...
    assert "Mistigri" in _request_text(first_request)
    assert "<PAST_CONVERSATIONS>" in _request_text(first_request)
    # ...and load_memory's answer, found by "cat name", reached the second one.
    responses = [
        part.function_response.response
        for content in second_request.contents
        for part in content.parts or []
        if part.function_response is not None and part.function_response.name == "load_memory"
    ]
    assert len(responses) == 1
    assert "Mistigri" in str(responses[0])
