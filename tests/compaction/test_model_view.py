"""The model sees the same with ``skip_compacted_events`` as with the whole history.

A real Runner over an App with ADK's sliding-window compaction runs a long
conversation (tool calls in some turns) three times: over ADK's
InMemorySessionService, over our SessionService loading every event, and over
our SessionService skipping compacted events. Every request the agent's model
and the summarizer receive must be identical across the three.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from google.adk.sessions import InMemorySessionService

from adk_sqlite import SessionService, SqliteStore
from compaction.conversation import APP, SESSION, USER, run_conversation, sliding_window

pytestmark = pytest.mark.filterwarnings("ignore:.*EXPERIMENTAL.*:UserWarning")

TURNS = 210


async def test_model_requests_identical_with_and_without_skipping_over_210_turns(
    tmp_path: Path,
) -> None:
    config = sliding_window(interval=3, overlap=1)
    reference = await run_conversation(InMemorySessionService(), config=config, turns=TURNS)
    async with SessionService(SqliteStore(tmp_path / "all.db")) as service:
        loading_all = await run_conversation(service, config=config, turns=TURNS)
    async with SessionService(
        SqliteStore(tmp_path / "skip.db"),
        skip_compacted_events=True,
        events_compaction_config=config,
    ) as service:
        skipping = await run_conversation(service, config=config, turns=TURNS)
        session = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
        stored = await service.store.get_events(app_name=APP, user_id=USER, session_id=SESSION)
    agent_requests, summaries = reference
    assert len(agent_requests) > TURNS
    assert len(summaries) > TURNS // 4  # compaction ran all along
    assert loading_all == reference
    for turn, (expected, got) in enumerate(zip(agent_requests, skipping[0], strict=True)):
        assert got == expected, f"model request {turn} differs"
    assert skipping[1] == summaries
    # ...and the option did leave most of the history out.
    assert session is not None
    assert len(session.events) < len(stored) // 4
