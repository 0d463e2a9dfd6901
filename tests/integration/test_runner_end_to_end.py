"""A real ADK Runner and LlmAgent over adk-sqlite, across a service restart.

The agent is driven by `ScriptedModel`, so the whole ADK stack runs (tool
calls, state deltas, event appends, history sent back to the model) without a
network or an API key. The `conversation` fixture holds three turns against a
database and closes the service; each test then opens a brand-new service
over the same database, so everything it sees came from storage.

Every test runs on SQLite (a file) and on PostgreSQL (a fresh schema; skipped
when no server is reachable, see `support.postgres`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.adk.agents import LlmAgent
from google.adk.events.event import Event
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import Runner
from google.adk.sessions.base_session_service import BaseSessionService
from google.adk.sessions.session import Session
from google.adk.tools.tool_context import ToolContext
from google.genai import types

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.testing import ScriptedModel, call_tool, say
from support.postgres import fresh_schema

APP = "support"
USER = "ada"

# What the user types, and what the model answers to each message: a tool call
# and then text for the first two, text alone for the third.
FIRST_TURNS: list[tuple[str, list[LlmResponse]]] = [
    (
        "My name is Ada.",
        [call_tool("remember", key="name", value="Ada"), say("Nice to meet you, Ada.")],
    ),
    (
        "I prefer email.",
        [call_tool("remember", key="contact", value="email"), say("Noted: email it is.")],
    ),
    ("What do you know about me?", [say("Your name is Ada and you prefer email.")]),
]
NEXT_MESSAGE = "Thanks, bye!"
NEXT_REPLY = "Goodbye, Ada!"

# The state the two `remember` calls leave behind, in every scope but temp:.
EXPECTED_STATE = {
    "app:facts_saved": 2,
    "user:name": "Ada",
    "user:contact": "email",
    "last_saved": "contact",
}


def remember(key: str, value: str, tool_context: ToolContext) -> dict[str, str]:
    """Remembers a fact about the user.

    Writes one key of each scope, so the tests can check how each one is
    persisted: app-wide, per user, per session, and temp (never persisted).

    Args:
        key: What the fact is about, e.g. "name".
        value: The fact.
        tool_context: Supplied by ADK.

    Returns:
        Which fact was saved.
    """
    state = tool_context.state
    state["app:facts_saved"] = state.get("app:facts_saved", 0) + 1
    state[f"user:{key}"] = value
    state["last_saved"] = key
    state["temp:saved_this_turn"] = key
    return {"saved": key}


def make_agent(model: ScriptedModel) -> LlmAgent:
    """The agent under test: one tool, driven by ``model``."""
    return LlmAgent(
        name="assistant",
        model=model,
        instruction="Remember what the user tells you about themselves.",
        tools=[remember],
    )


def make_runner(service: BaseSessionService, model: ScriptedModel) -> Runner:
    """A runner for the agent under test, the way users build one."""
    return Runner(agent=make_agent(model), app_name=APP, session_service=service)


OpenService = Callable[[], SessionService]


@pytest.fixture(params=["sqlite", "postgres"])
async def open_service(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[OpenService]:
    """Opens a new service over the test's database each call, built as users build one."""
    if request.param == "sqlite":
        db_path = tmp_path / "sessions.db"
        yield lambda: SessionService(SqliteStore(db_path))
        return
    async with fresh_schema() as dsn:
        from adk_sqlite.postgres import PostgresStore

        yield lambda: SessionService(PostgresStore(dsn))


async def run_turn(runner: Runner, user_id: str, session_id: str, text: str) -> list[Event]:
    """Sends one user message and returns every event of the turn, the message included."""
    message = types.Content(role="user", parts=[types.Part(text=text)])
    return [
        event
        async for event in runner.run_async(
            user_id=user_id,
            session_id=session_id,
            new_message=message,
            yield_user_message=True,
        )
    ]


async def load(service: BaseSessionService, session_id: str, user_id: str = USER) -> Session:
    """Gets a session that must exist."""
    session = await service.get_session(app_name=APP, user_id=user_id, session_id=session_id)
    assert session is not None, f"session {session_id!r} of {user_id!r} not found"
    return session


def transcript(contents: list[types.Content]) -> list[str]:
    """One line per content, ignoring ids, so histories can be compared by eye."""
    lines = []
    for content in contents:
        for part in content.parts or []:
            if part.text is not None:
                lines.append(f"{content.role}: {part.text}")
            elif part.function_call is not None:
                call = part.function_call
                lines.append(f"{content.role}: call {call.name}({call.args})")
            elif part.function_response is not None:
                response = part.function_response
                lines.append(f"{content.role}: {response.name} -> {response.response}")
    return lines


# The transcript of the first three turns as the model is shown it later.
FIRST_TURNS_TRANSCRIPT = [
    "user: My name is Ada.",
    "model: call remember({'key': 'name', 'value': 'Ada'})",
    "user: remember -> {'saved': 'name'}",
    "model: Nice to meet you, Ada.",
    "user: I prefer email.",
    "model: call remember({'key': 'contact', 'value': 'email'})",
    "user: remember -> {'saved': 'contact'}",
    "model: Noted: email it is.",
    "user: What do you know about me?",
    "model: Your name is Ada and you prefer email.",
]


@dataclass(frozen=True)
class Conversation:
    """Three turns held with the first service, which is closed by now."""

    open_service: OpenService
    """Opens a new service over the conversation's database."""
    session_id: str
    yielded: list[Event]
    """Every event the runner yielded, user messages included, in order."""
    stored: Session
    """The session as the first service returned it after the last turn."""


@pytest.fixture
async def conversation(open_service: OpenService) -> Conversation:
    """Holds `FIRST_TURNS` with a service over a new database, then closes it."""
    model = ScriptedModel([reply for _, replies in FIRST_TURNS for reply in replies])
    async with open_service() as service:
        session = await service.create_session(app_name=APP, user_id=USER)
        async with make_runner(service, model) as runner:
            yielded = []
            for text, _ in FIRST_TURNS:
                yielded += await run_turn(runner, USER, session.id, text)
        stored = await load(service, session.id)
    # Guards for the scenario itself, so the tests below cannot pass vacuously.
    assert model.remaining == 0
    assert transcript([e.content for e in stored.events if e.content]) == FIRST_TURNS_TRANSCRIPT
    return Conversation(
        open_service=open_service, session_id=session.id, yielded=yielded, stored=stored
    )


async def test_every_event_the_runner_yielded_is_stored(conversation: Conversation) -> None:
    async with conversation.open_service() as service:
        reopened = await load(service, conversation.session_id)

    def identity(event: Event) -> tuple[Any, ...]:
        return (event.id, event.invocation_id, event.author, event.content)

    assert [identity(e) for e in reopened.events] == [identity(e) for e in conversation.yielded]


async def test_reopened_service_returns_events_equal_to_the_first_services(
    conversation: Conversation,
) -> None:
    async with conversation.open_service() as service:
        reopened = await load(service, conversation.session_id)

    assert reopened.events == conversation.stored.events


async def test_reopened_session_has_function_calls_and_responses_with_matching_ids(
    conversation: Conversation,
) -> None:
    async with conversation.open_service() as service:
        reopened = await load(service, conversation.session_id)

    calls = [call for event in reopened.events for call in event.get_function_calls()]
    responses = [resp for event in reopened.events for resp in event.get_function_responses()]
    assert [(c.name, c.args) for c in calls] == [
        ("remember", {"key": "name", "value": "Ada"}),
        ("remember", {"key": "contact", "value": "email"}),
    ]
    assert [(r.name, r.response) for r in responses] == [
        ("remember", {"saved": "name"}),
        ("remember", {"saved": "contact"}),
    ]
    assert all(c.id for c in calls)
    assert [c.id for c in calls] == [r.id for r in responses]


async def test_reopened_session_state_has_app_user_and_session_keys_but_no_temp(
    conversation: Conversation,
) -> None:
    async with conversation.open_service() as service:
        reopened = await load(service, conversation.session_id)

    assert reopened.state == EXPECTED_STATE
    assert conversation.stored.state == EXPECTED_STATE


async def test_reopened_service_reads_user_state_without_a_session(
    conversation: Conversation,
) -> None:
    async with conversation.open_service() as service:
        user_state = await service.get_user_state(app_name=APP, user_id=USER)

    assert user_state == {"name": "Ada", "contact": "email"}


async def test_next_turn_after_reopen_appends_to_the_same_session(
    conversation: Conversation,
) -> None:
    model = ScriptedModel([NEXT_REPLY])
    async with conversation.open_service() as service, make_runner(service, model) as runner:
        new_events = await run_turn(runner, USER, conversation.session_id, NEXT_MESSAGE)
        continued = await load(service, conversation.session_id)
        listing = await service.list_sessions(app_name=APP, user_id=USER)

    before = conversation.stored.events
    assert len(continued.events) == len(before) + len(new_events) == len(before) + 2
    assert continued.events[: len(before)] == before
    assert transcript([e.content for e in continued.events[len(before) :] if e.content]) == [
        f"user: {NEXT_MESSAGE}",
        f"model: {NEXT_REPLY}",
    ]
    assert [s.id for s in listing.sessions] == [conversation.session_id]


async def test_next_turn_after_reopen_sends_the_earlier_turns_to_the_model(
    conversation: Conversation,
) -> None:
    model = ScriptedModel([NEXT_REPLY])
    async with conversation.open_service() as service, make_runner(service, model) as runner:
        await run_turn(runner, USER, conversation.session_id, NEXT_MESSAGE)

    (request,) = model.requests
    assert transcript(request.contents) == [*FIRST_TURNS_TRANSCRIPT, f"user: {NEXT_MESSAGE}"]


async def test_state_written_after_reopen_builds_on_the_stored_state(
    conversation: Conversation,
) -> None:
    model = ScriptedModel([call_tool("remember", key="city", value="London"), "Noted."])
    async with conversation.open_service() as service, make_runner(service, model) as runner:
        await run_turn(runner, USER, conversation.session_id, "I live in London.")
    async with conversation.open_service() as service:
        reopened = await load(service, conversation.session_id)

    assert reopened.state == {
        "app:facts_saved": 3,
        "user:name": "Ada",
        "user:contact": "email",
        "user:city": "London",
        "last_saved": "city",
    }


async def test_list_sessions_shows_the_session_after_reopen(conversation: Conversation) -> None:
    async with conversation.open_service() as service:
        mine = await service.list_sessions(app_name=APP, user_id=USER)
        everyone = await service.list_sessions(app_name=APP)
        someone_else = await service.list_sessions(app_name=APP, user_id="grace")

    assert [(s.app_name, s.user_id, s.id) for s in mine.sessions] == [
        (APP, USER, conversation.session_id)
    ]
    assert [s.id for s in everyone.sessions] == [conversation.session_id]
    assert someone_else.sessions == []


async def test_two_users_sessions_stay_separate(open_service: OpenService) -> None:
    model = ScriptedModel(
        [
            call_tool("remember", key="name", value="Ada"),
            "Hello Ada.",
            call_tool("remember", key="name", value="Grace"),
            "Hello Grace.",
        ]
    )
    async with open_service() as service:
        ada = await service.create_session(app_name=APP, user_id="ada")
        grace = await service.create_session(app_name=APP, user_id="grace")
        async with make_runner(service, model) as runner:
            await run_turn(runner, "ada", ada.id, "I'm Ada.")
            await run_turn(runner, "grace", grace.id, "I'm Grace.")

    async with open_service() as service:
        ada_session = await load(service, ada.id, user_id="ada")
        grace_session = await load(service, grace.id, user_id="grace")
        crossed = await service.get_session(app_name=APP, user_id="grace", session_id=ada.id)

    assert transcript([e.content for e in ada_session.events if e.content]) == [
        "user: I'm Ada.",
        "model: call remember({'key': 'name', 'value': 'Ada'})",
        "user: remember -> {'saved': 'name'}",
        "model: Hello Ada.",
    ]
    assert transcript([e.content for e in grace_session.events if e.content]) == [
        "user: I'm Grace.",
        "model: call remember({'key': 'name', 'value': 'Grace'})",
        "user: remember -> {'saved': 'name'}",
        "model: Hello Grace.",
    ]
    # user: state is per user; app: state is shared by both.
    assert ada_session.state["user:name"] == "Ada"
    assert grace_session.state["user:name"] == "Grace"
    assert ada_session.state["app:facts_saved"] == grace_session.state["app:facts_saved"] == 2
    assert crossed is None


async def test_two_users_may_use_the_same_session_id(open_service: OpenService) -> None:
    model = ScriptedModel(["Hi Ada.", "Hi Grace."])
    async with open_service() as service:
        for user_id in ("ada", "grace"):
            await service.create_session(app_name=APP, user_id=user_id, session_id="shared-id")
        async with make_runner(service, model) as runner:
            await run_turn(runner, "ada", "shared-id", "Hello, I'm Ada.")
            await run_turn(runner, "grace", "shared-id", "Hello, I'm Grace.")

    async with open_service() as service:
        ada_session = await load(service, "shared-id", user_id="ada")
        grace_session = await load(service, "shared-id", user_id="grace")

    assert transcript([e.content for e in ada_session.events if e.content]) == [
        "user: Hello, I'm Ada.",
        "model: Hi Ada.",
    ]
    assert transcript([e.content for e in grace_session.events if e.content]) == [
        "user: Hello, I'm Grace.",
        "model: Hi Grace.",
    ]
