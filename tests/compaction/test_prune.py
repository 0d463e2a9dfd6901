"""Pruning compacted events leaves every later model and summarizer request unchanged.

A real Runner with ADK's compaction runs a conversation in two parts. Between
them, `prune_compacted_events` deletes the raw events the rule proves ADK will
not read again; the requests of the second part must be identical to those of
a reference run over ADK's InMemorySessionService that never pruned.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from google.adk.apps.app import EventsCompactionConfig
from google.adk.runners import Runner
from google.adk.sessions import InMemorySessionService
from google.adk.sessions.base_session_service import BaseSessionService
from google.genai import types

from adk_sqlite import PerSessionSqliteStore, SessionService, SqliteStore, prune_compacted_events
from compaction.conversation import (
    APP,
    SESSION,
    USER,
    Requests,
    agent_script,
    run_conversation,
    sliding_window,
)

pytestmark = pytest.mark.filterwarnings("ignore:.*EXPERIMENTAL.*:UserWarning")

FIRST_PART = 60
SECOND_PART = 60


async def _in_two_parts(
    service: BaseSessionService,
    config: EventsCompactionConfig,
    between: object = None,
    *,
    token_usage: bool = False,
) -> tuple[Requests, Requests]:
    """Runs both parts; calls ``between()`` (a prune) in the middle; returns part two's requests."""
    scripts = [None, None]
    if token_usage:
        usage = types.GenerateContentResponseUsageMetadata(
            prompt_token_count=1000, candidates_token_count=1, total_token_count=1001
        )
        scripts = [
            [r.model_copy(update={"usage_metadata": usage}) for r in agent_script(first, turns)]
            for first, turns in ((0, FIRST_PART), (FIRST_PART, SECOND_PART))
        ]
    await run_conversation(service, config=config, turns=FIRST_PART, script=scripts[0])
    if callable(between):
        between()
    return await run_conversation(
        service, config=config, turns=SECOND_PART, first_turn=FIRST_PART, script=scripts[1]
    )


async def _stored_events(service: SessionService) -> int:
    return len(await service.store.get_events(app_name=APP, user_id=USER, session_id=SESSION))


@pytest.mark.parametrize("compaction", ["sliding_window", "token_threshold"])
async def test_requests_after_a_prune_match_a_run_that_never_pruned(
    tmp_path: Path, compaction: str
) -> None:
    if compaction == "sliding_window":
        config = sliding_window(interval=3, overlap=1)
    else:
        config = EventsCompactionConfig(token_threshold=50, event_retention_size=2)
    token_usage = compaction == "token_threshold"
    reference = await _in_two_parts(InMemorySessionService(), config, token_usage=token_usage)
    database = tmp_path / "sessions.db"
    reports = []
    async with SessionService(SqliteStore(database)) as service:

        def prune() -> None:
            reports.append(prune_compacted_events(database, events_compaction_config=config))

        pruned_run = await _in_two_parts(service, config, prune, token_usage=token_usage)
        remaining = await _stored_events(service)
    (report,) = reports
    assert report.sessions_pruned == 1
    assert report.sessions_refused == []
    assert report.events_deleted > 0
    for index, (expected, got) in enumerate(zip(reference[0], pruned_run[0], strict=True)):
        assert got == expected, f"model request {index} after the prune differs"
    assert pruned_run[1] == reference[1]
    assert len(reference[1]) > 0  # the summarizer ran after the prune too
    # Pruning again afterwards still finds work: the history keeps growing.
    assert prune_compacted_events(database, events_compaction_config=config).events_deleted > 0
    assert remaining > 0


async def test_a_dry_run_counts_what_a_prune_deletes_and_changes_nothing(tmp_path: Path) -> None:
    config = sliding_window(interval=3, overlap=1)
    database = tmp_path / "sessions.db"
    async with SessionService(SqliteStore(database)) as service:
        await run_conversation(service, config=config, turns=30)
        before = await _stored_events(service)
        dry = prune_compacted_events(database, events_compaction_config=config, dry_run=True)
        assert await _stored_events(service) == before
        real = prune_compacted_events(database, events_compaction_config=config)
        after = await _stored_events(service)
    assert dry.dry_run
    assert not real.dry_run
    assert dry.events_deleted == real.events_deleted == before - after > 0


async def test_a_session_with_a_rewind_is_refused_and_keeps_every_event(tmp_path: Path) -> None:
    config = sliding_window(interval=2, overlap=1)
    database = tmp_path / "sessions.db"

    async def rewind_once(runner: Runner, turn: int, invocations: list[str]) -> None:
        if turn == 9:
            await runner.rewind_async(
                user_id=USER, session_id=SESSION, rewind_before_invocation_id=invocations[6]
            )

    async with SessionService(SqliteStore(database)) as service:
        await run_conversation(service, config=config, turns=16, after_turn=rewind_once)
        before = await _stored_events(service)
        report = prune_compacted_events(database, events_compaction_config=config)
        assert await _stored_events(service) == before
    assert report.events_deleted == 0
    assert report.sessions_pruned == 0
    (refused,) = report.sessions_refused
    assert refused.session_id == SESSION
    assert "rewind" in refused.reason


async def test_a_session_without_compaction_is_left_alone(tmp_path: Path) -> None:
    database = tmp_path / "sessions.db"
    async with SessionService(SqliteStore(database)) as service:
        await run_conversation(service, config=None, turns=6)
        before = await _stored_events(service)
        report = prune_compacted_events(database, events_compaction_config=sliding_window())
        assert await _stored_events(service) == before
    assert report.sessions_examined == report.sessions_without_compaction == 1
    assert report.events_deleted == 0
    assert report.sessions_refused == []


async def test_a_folder_of_session_files_is_pruned_with_the_same_requests(tmp_path: Path) -> None:
    config = sliding_window(interval=3, overlap=1)
    reference = await _in_two_parts(InMemorySessionService(), config)
    folder = tmp_path / "sessions"
    reports = []
    async with SessionService(PerSessionSqliteStore(folder)) as service:

        def prune() -> None:
            reports.append(prune_compacted_events(folder, events_compaction_config=config))

        pruned_run = await _in_two_parts(service, config, prune)
    assert reports[0].events_deleted > 0
    assert pruned_run == reference


def test_a_postgresql_url_is_refused() -> None:
    from adk_sqlite.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="SQLite"):
        prune_compacted_events(
            "postgresql://localhost/adk", events_compaction_config=sliding_window()
        )
