"""A long compacting conversation, run by a real Runner, recording what the model is sent.

`run_conversation` drives an `App` with ADK's event compaction through a real
``google.adk.runners.Runner`` over any session service, with scripted models
(one answers the agent, one writes the summaries). Every model request is
recorded, so two runs over different services can be compared request by request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from google.adk.agents import LlmAgent
from google.adk.apps.app import App, EventsCompactionConfig
from google.adk.apps.llm_event_summarizer import LlmEventSummarizer
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import Runner
from google.adk.sessions.base_session_service import BaseSessionService
from google.genai import types

from adk_sqlite.testing import ScriptedModel, call_tool, say

APP = "compacting"
USER = "ada"
SESSION = "long-history"
TOOL_EVERY = 4  # every fourth turn calls a tool


def look_up(city: str) -> dict[str, Any]:
    """Returns a forecast (a deterministic one)."""
    return {"city": city, "forecast": f"sunny in {city}"}


def sliding_window(interval: int = 3, overlap: int = 1) -> EventsCompactionConfig:
    """A sliding-window compaction config (its summarizer is set by `run_conversation`)."""
    return EventsCompactionConfig(compaction_interval=interval, overlap_size=overlap)


def agent_script(first_turn: int, turns: int) -> list[LlmResponse]:
    script: list[LlmResponse] = []
    for turn in range(first_turn, first_turn + turns):
        if turn % TOOL_EVERY == 0:
            script.append(call_tool("look_up", city=f"city-{turn}"))
        script.append(say(f"answer {turn}"))
    return script


Requests = list[list[dict[str, Any]]]


AfterTurn = Callable[[Runner, int, list[str]], Awaitable[None]]


async def run_conversation(
    service: BaseSessionService,
    *,
    config: EventsCompactionConfig | None,
    turns: int,
    first_turn: int = 0,
    script: list[LlmResponse] | None = None,
    agent: Callable[[ScriptedModel], LlmAgent] | None = None,
    after_turn: AfterTurn | None = None,
) -> tuple[Requests, Requests]:
    """Runs ``turns`` turns; returns the agent's requests and the summarizer's, as dumps.

    The session is created on the first turn (``first_turn == 0``) and reused
    otherwise, so a conversation can be run in parts. ``after_turn`` is called
    after each turn with the runner, the turn and the invocation ids so far.
    """
    model = ScriptedModel(agent_script(first_turn, turns) if script is None else script)
    summarizer = ScriptedModel([say(f"summary {first_turn}-{n}") for n in range(4 * turns + 1)])
    if config is not None:
        config = config.model_copy(update={"summarizer": LlmEventSummarizer(llm=summarizer)})
    root = (
        LlmAgent(name="assistant", model=model, tools=[look_up]) if agent is None else agent(model)
    )
    app = App(name=APP, root_agent=root, events_compaction_config=config)
    runner = Runner(app=app, session_service=service)
    if first_turn == 0:
        await service.create_session(app_name=APP, user_id=USER, session_id=SESSION)
    invocations: list[str] = []
    for turn in range(first_turn, first_turn + turns):
        message = types.Content(role="user", parts=[types.Part(text=f"question {turn}")])
        async for event in runner.run_async(user_id=USER, session_id=SESSION, new_message=message):
            if not invocations or invocations[-1] != event.invocation_id:
                invocations.append(event.invocation_id)
        if after_turn is not None:
            await after_turn(runner, turn, invocations)
    assert model.remaining == 0
    return _dumps(model), _dumps(summarizer)


def _dumps(model: ScriptedModel) -> Requests:
    return [
        [content.model_dump(mode="json") for content in request.contents]
        for request in model.requests
    ]
