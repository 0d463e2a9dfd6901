"""Conversations held through a real ADK Runner, for tests that need a realistic database.

`hold_conversations` drives an `LlmAgent` (with a ``billing`` sub-agent) over
any session service with `ScriptedModel`, so the whole ADK stack writes the
events: tool calls that succeed, a tool that returns an error, a call to a tool
that does not exist, state changes in every scope, an agent transfer and a
model error. The CLI tests run it over adk-sqlite; the import tests run it over
ADK's own services.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.adk.agents import LlmAgent
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import Runner
from google.adk.sessions.base_session_service import BaseSessionService
from google.adk.tools.tool_context import ToolContext
from google.genai import types

from adk_sqlite.testing import ScriptedModel, call_tool, say

APP = "support"
OTHER_APP = "sales"
ADA = "ada"
GRACE = "grace"
TICKET = "ticket-1"
"""Ada's long conversation in the support app: every kind of event."""
SHORT_TICKET = "ticket-2"
"""Grace's one plain exchange in the support app."""
SALES_TICKET = "ticket-9"
"""Ada's session in the sales app: one tool call."""

FAILED_LOOKUP = "order 99 not found"
MODEL_ERROR = ("SAFETY", "The response was blocked.")


def remember(key: str, value: str, tool_context: ToolContext) -> dict[str, str]:
    """Remembers a fact about the user, in every persisted state scope.

    Args:
        key: What the fact is about.
        value: The fact.
        tool_context: Supplied by ADK.

    Returns:
        Which fact was saved.
    """
    state = tool_context.state
    state["app:facts_saved"] = state.get("app:facts_saved", 0) + 1
    state[f"user:{key}"] = value
    state["last_saved"] = key
    state["temp:scratch"] = key
    return {"saved": key}


def lookup_order(order_id: str) -> dict[str, str]:
    """Looks an order up; only order 42 exists.

    Args:
        order_id: The order number.

    Returns:
        The order's status, or an error.
    """
    if order_id == "42":
        return {"status": "shipped"}
    return {"error": f"order {order_id} not found"}


@dataclass(frozen=True)
class Turn:
    """One user message and the model's responses to it, in order."""

    message: str
    responses: tuple[LlmResponse, ...]


TICKET_TURNS = (
    Turn(
        "My name is Ada.",
        (call_tool("remember", key="name", value="Ada"), say("Nice to meet you, Ada.")),
    ),
    Turn("Where is order 42?", (call_tool("lookup_order", order_id="42"), say("It has shipped."))),
    Turn("And order 99?", (call_tool("lookup_order", order_id="99"), say("I cannot find it."))),
    Turn("Cancel everything.", (call_tool("cancel_everything"), say("I cannot do that."))),
    Turn(
        "I have a billing question.",
        (
            call_tool("transfer_to_agent", agent_name="billing"),
            say("Billing here. How can I help?"),
        ),
    ),
    Turn(
        "Why was I charged twice?",
        (LlmResponse(error_code=MODEL_ERROR[0], error_message=MODEL_ERROR[1]),),
    ),
)
SHORT_TICKET_TURNS = (Turn("Hello!", (say("Hello Grace, how can I help?"),)),)
SALES_TICKET_TURNS = (
    Turn(
        "I prefer email.",
        (call_tool("remember", key="contact", value="email"), say("Noted: email.")),
    ),
)
CONVERSATIONS = (
    (APP, ADA, TICKET, TICKET_TURNS),
    (APP, GRACE, SHORT_TICKET, SHORT_TICKET_TURNS),
    (OTHER_APP, ADA, SALES_TICKET, SALES_TICKET_TURNS),
)


def make_agent(model: ScriptedModel) -> LlmAgent:
    """A support agent with two tools and a billing sub-agent, all driven by ``model``."""
    billing = LlmAgent(name="billing", model=model, instruction="Answer billing questions.")
    return LlmAgent(
        name="assistant",
        model=model,
        instruction="Help the customer.",
        tools=[remember, lookup_order],
        sub_agents=[billing],
    )


async def run_turns(
    service: BaseSessionService,
    app_name: str,
    user_id: str,
    session_id: str,
    turns: tuple[Turn, ...],
) -> None:
    """Sends each turn's message through a Runner; the model answers from the script."""
    model = ScriptedModel([response for turn in turns for response in turn.responses])
    async with Runner(
        agent=make_agent(model), app_name=app_name, session_service=service
    ) as runner:
        for turn in turns:
            message = types.Content(role="user", parts=[types.Part(text=turn.message)])
            async for _ in runner.run_async(
                user_id=user_id, session_id=session_id, new_message=message
            ):
                pass
    assert model.remaining == 0, "the conversation did not use its whole script"


async def hold_conversations(service: BaseSessionService) -> None:
    """Creates the three sessions of `CONVERSATIONS` and holds them through a Runner."""
    for app_name, user_id, session_id, turns in CONVERSATIONS:
        await service.create_session(
            app_name=app_name, user_id=user_id, session_id=session_id, state={"channel": "chat"}
        )
        await run_turns(service, app_name, user_id, session_id, turns)
