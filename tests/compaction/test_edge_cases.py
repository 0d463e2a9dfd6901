"""Each case in which ADK's own behaviour could make a shortened history differ.

Each test runs the same conversation over ADK's InMemorySessionService and over
a SessionService with ``skip_compacted_events``, and compares every request the
model receives; where the rule must fall back to the whole session, the test
checks it did.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from google.adk.agents import LlmAgent
from google.adk.apps.app import EventsCompactionConfig
from google.adk.models.llm_response import LlmResponse
from google.adk.runners import Runner
from google.adk.sessions import InMemorySessionService
from google.genai import types

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.testing import ScriptedModel, call_tool, say
from compaction.conversation import (
    APP,
    SESSION,
    USER,
    AfterTurn,
    agent_script,
    run_conversation,
    sliding_window,
)
from support.postgres import fresh_schema

pytestmark = pytest.mark.filterwarnings("ignore:.*EXPERIMENTAL.*:UserWarning")


async def _compare(
    service: SessionService,
    *,
    config: EventsCompactionConfig | None,
    turns: int,
    script: list[LlmResponse] | None = None,
    agent: Callable[[ScriptedModel], LlmAgent] | None = None,
    after_turn: AfterTurn | None = None,
) -> tuple[int, int]:
    """Runs the conversation on both services; returns (events loaded, events stored)."""
    reference = await run_conversation(
        InMemorySessionService(),
        config=config,
        turns=turns,
        script=script,
        agent=agent,
        after_turn=after_turn,
    )
    got = await run_conversation(
        service,
        config=config,
        turns=turns,
        script=script,
        agent=agent,
        after_turn=after_turn,
    )
    for index, (expected, actual) in enumerate(zip(reference[0], got[0], strict=True)):
        assert actual == expected, f"model request {index} differs"
    assert got[1] == reference[1]
    session = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    stored = await service.store.get_events(app_name=APP, user_id=USER, session_id=SESSION)
    assert session is not None
    return len(session.events), len(stored)


def _skipping(path: Path, config: EventsCompactionConfig) -> SessionService:
    return SessionService(
        SqliteStore(path), skip_compacted_events=True, events_compaction_config=config
    )


async def test_without_compaction_events_every_event_is_loaded(tmp_path: Path) -> None:
    async with _skipping(tmp_path / "s.db", sliding_window()) as service:
        loaded, stored = await _compare(service, config=None, turns=12)
    assert loaded == stored


async def test_heavily_overlapping_sliding_windows_give_the_same_requests(tmp_path: Path) -> None:
    config = sliding_window(interval=1, overlap=3)
    async with _skipping(tmp_path / "s.db", config) as service:
        loaded, stored = await _compare(service, config=config, turns=40)
    assert loaded < stored


async def test_token_threshold_compaction_gives_the_same_requests(tmp_path: Path) -> None:
    config = EventsCompactionConfig(token_threshold=50, event_retention_size=2)
    usage = types.GenerateContentResponseUsageMetadata(
        prompt_token_count=1000, candidates_token_count=1, total_token_count=1001
    )
    script = [
        response.model_copy(update={"usage_metadata": usage}) for response in agent_script(0, 40)
    ]
    async with _skipping(tmp_path / "s.db", config) as service:
        loaded, stored = await _compare(service, config=config, turns=40, script=script)
    assert loaded < stored // 2


async def test_a_rewind_makes_the_whole_session_load(tmp_path: Path) -> None:
    config = sliding_window(interval=2, overlap=1)

    async def rewind_once(runner: Runner, turn: int, invocations: list[str]) -> None:
        # A rewind replays the state of the whole history, so it runs on a
        # service that loads every event (over the same store), as documented.
        service = runner.session_service
        if isinstance(service, SessionService):
            service = SessionService(service.store)
        rewinder = Runner(app=runner.app, session_service=service)
        if turn == 9:
            await rewinder.rewind_async(
                user_id=USER, session_id=SESSION, rewind_before_invocation_id=invocations[6]
            )

    async with _skipping(tmp_path / "s.db", config) as service:
        loaded, stored = await _compare(service, config=config, turns=16, after_turn=rewind_once)
    assert loaded == stored


async def test_a_sub_agent_taking_over_gives_the_same_requests(tmp_path: Path) -> None:
    config = sliding_window(interval=3, overlap=1)
    script = [call_tool("transfer_to_agent", agent_name="helper"), say("helper here")]
    script += [say(f"helper answer {turn}") for turn in range(1, 24)]

    def two_agents(model: ScriptedModel) -> LlmAgent:
        helper = LlmAgent(name="helper", model=model, description="Helps.")
        return LlmAgent(name="assistant", model=model, sub_agents=[helper])

    async with _skipping(tmp_path / "s.db", config) as service:
        await _compare(service, config=config, turns=24, script=script, agent=two_agents)


async def test_one_file_per_session_gives_the_same_requests(tmp_path: Path) -> None:
    from adk_sqlite import PerSessionSqliteStore

    config = sliding_window(interval=3, overlap=1)
    store = PerSessionSqliteStore(tmp_path / "sessions")
    async with SessionService(
        store, skip_compacted_events=True, events_compaction_config=config
    ) as service:
        loaded, stored = await _compare(service, config=config, turns=40)
    assert loaded < stored // 2


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_schema() as url:
        yield url


async def test_postgresql_gives_the_same_requests(postgres_url: str) -> None:
    from adk_sqlite.postgres import PostgresStore

    config = sliding_window(interval=3, overlap=1)
    async with SessionService(
        PostgresStore(postgres_url), skip_compacted_events=True, events_compaction_config=config
    ) as service:
        await _compare(service, config=config, turns=40)


async def test_postgresql_reads_fewer_rows_for_the_flagged_and_skipping_queries(
    postgres_url: str,
) -> None:
    from adk_sqlite.postgres import PostgresStore
    from adk_sqlite.records import EventQuery

    config = sliding_window(interval=3, overlap=1)
    async with SessionService(PostgresStore(postgres_url)) as service:
        await run_conversation(service, config=config, turns=30)
        store = service.store
        every = await store.get_events(app_name=APP, user_id=USER, session_id=SESSION)
        flagged = await store.get_events(
            app_name=APP,
            user_id=USER,
            session_id=SESSION,
            query=EventQuery(include_plain=False),
        )
        span = (every[0].timestamp, every[len(every) // 2].timestamp)
        skipping = await store.get_events(
            app_name=APP,
            user_id=USER,
            session_id=SESSION,
            query=EventQuery(skip_plain_between=span),
        )
    # Flagged: the events with actions (compactions, tool responses...), in order.
    assert 0 < len(flagged) < len(every)
    assert all(record.actions is not None for record in flagged)
    assert [record.id for record in flagged] == [r.id for r in every if r.actions is not None]
    # Skipping: every event but the plain ones inside the span, in order.
    expected = [
        record.id
        for record in every
        if record.actions is not None or not span[0] <= record.timestamp < span[1]
    ]
    assert [record.id for record in skipping] == expected
    assert len(skipping) < len(every)
