"""Token-threshold compaction read by the events' views (schema version 5).

A real Runner over an App with ADK's token-threshold compaction runs a long
conversation in which every other turn changes the state (a tool writes it), on
each layout, three times: over ADK's InMemorySessionService, over our
SessionService loading every event, and over our SessionService with
``skip_compacted_events``. Every request the agent's model and the summarizer
receive must be identical; with the option, a read must stay the same size
however long the history grows. Rows written before the views existed (NULL
view columns) are read as before, and a version-4 file is migrated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from google.adk.agents import LlmAgent
from google.adk.apps.app import EventsCompactionConfig
from google.adk.models.llm_response import LlmResponse
from google.adk.sessions import InMemorySessionService
from google.adk.tools.tool_context import ToolContext
from google.genai import types

from adk_sqlite import PerSessionSqliteStore, SessionService, SqliteStore
from adk_sqlite.records import EventRole
from adk_sqlite.sqlite.schema.sql import SCHEMA_VERSION
from adk_sqlite.store import BaseAsyncStore
from adk_sqlite.testing import ScriptedModel, call_tool, say
from compaction.conversation import APP, SESSION, USER, look_up, run_conversation
from support.postgres import fresh_schema

pytestmark = pytest.mark.filterwarnings("ignore:.*EXPERIMENTAL.*:UserWarning")

TURNS = 200


def token_threshold() -> EventsCompactionConfig:
    return EventsCompactionConfig(token_threshold=50, event_retention_size=2)


# Every answer reports a prompt over the threshold: compaction is due after every turn.
_USAGE = types.GenerateContentResponseUsageMetadata(
    prompt_token_count=1000, candidates_token_count=1, total_token_count=1001
)


def remember(note: str, tool_context: ToolContext) -> dict[str, Any]:
    """Keeps a note in the session state."""
    tool_context.state["note"] = note
    return {"noted": note}


def script(first_turn: int, turns: int) -> list[LlmResponse]:
    """Every other turn calls `remember` (its response event carries a state delta)."""
    responses: list[LlmResponse] = []
    for turn in range(first_turn, first_turn + turns):
        if turn % 2 == 0:
            responses.append(call_tool("remember", note=f"note {turn}"))
        responses.append(say(f"answer {turn}"))
    return [response.model_copy(update={"usage_metadata": _USAGE}) for response in responses]


def agent(model: ScriptedModel) -> LlmAgent:
    return LlmAgent(name="assistant", model=model, tools=[look_up, remember])


Requests = tuple[list[list[dict[str, Any]]], list[list[dict[str, Any]]]]


async def converse(service: Any, first_turn: int, turns: int) -> Requests:
    return await run_conversation(
        service,
        config=token_threshold(),
        turns=turns,
        first_turn=first_turn,
        script=script(first_turn, turns),
        agent=agent,
    )


def skipping(store: BaseAsyncStore) -> SessionService:
    return SessionService(
        store, skip_compacted_events=True, events_compaction_config=token_threshold()
    )


async def loaded_and_stored(service: SessionService) -> tuple[int, int]:
    session = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    stored = await service.store.get_events(app_name=APP, user_id=USER, session_id=SESSION)
    assert session is not None
    return len(session.events), len(stored)


def _joined(first: Requests, second: Requests) -> Requests:
    return first[0] + second[0], first[1] + second[1]


async def compare_layout(every: BaseAsyncStore, skip: BaseAsyncStore) -> None:
    """The three runs, each in two halves (the skipping one's read size is measured after
    each; the scripted summaries are named after the half that writes them)."""
    half = TURNS // 2
    memory = InMemorySessionService()
    reference = _joined(await converse(memory, 0, half), await converse(memory, half, half))
    async with SessionService(every) as service:
        loading_all = _joined(await converse(service, 0, half), await converse(service, half, half))
    async with skipping(skip) as service:
        first = await converse(service, 0, half)
        loaded_half, stored_half = await loaded_and_stored(service)
        second = await converse(service, half, half)
        loaded_end, stored_end = await loaded_and_stored(service)
        index = await service.store.read_compaction_index(  # type: ignore[attr-defined]
            app_name=APP, user_id=USER, session_id=SESSION
        )
    agent_requests, summaries = reference
    assert len(summaries) > TURNS // 2  # compaction ran all along
    assert loading_all == reference
    got_requests = first[0] + second[0]
    for turn, (expected, got) in enumerate(zip(agent_requests, got_requests, strict=True)):
        assert got == expected, f"model request {turn} differs"
    assert first[1] + second[1] == summaries
    # Read by the views (every event has one), and as small after 200 turns as after 100.
    assert not index.unsure
    assert len(index.newest_first) > TURNS // 2
    assert stored_end > 1.8 * stored_half
    assert loaded_end <= loaded_half + 2
    assert loaded_end < 20


async def test_the_shared_file_gives_the_same_requests_and_flat_reads(tmp_path: Path) -> None:
    await compare_layout(SqliteStore(tmp_path / "all.db"), SqliteStore(tmp_path / "skip.db"))


async def test_one_file_per_session_gives_the_same_requests_and_flat_reads(
    tmp_path: Path,
) -> None:
    await compare_layout(
        PerSessionSqliteStore(tmp_path / "all"), PerSessionSqliteStore(tmp_path / "skip")
    )


@pytest.fixture
async def two_postgres_urls() -> AsyncIterator[tuple[str, str]]:
    async with fresh_schema() as every, fresh_schema() as skip:
        yield every, skip


async def test_postgresql_gives_the_same_requests_and_flat_reads(
    two_postgres_urls: tuple[str, str],
) -> None:
    from adk_sqlite.postgres import PostgresStore

    every, skip = two_postgres_urls
    await compare_layout(PostgresStore(every), PostgresStore(skip))


# --- events written before the views --------------------------------------------------


def _forget_views(path: Path) -> None:
    """Makes every event of the file look written before schema version 5."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE adk_events SET view_role = NULL, compaction_start = NULL, compaction_end = NULL"
        )


async def test_events_without_views_are_read_as_before_and_requests_stay_the_same(
    tmp_path: Path,
) -> None:
    path = tmp_path / "legacy.db"
    reference = InMemorySessionService()
    expected_first = await converse(reference, 0, 60)
    async with SessionService(SqliteStore(path)) as service:
        assert await converse(service, 0, 60) == expected_first
    _forget_views(path)
    async with skipping(SqliteStore(path)) as service:
        index = await service.store.read_compaction_index(  # type: ignore[attr-defined]
            app_name=APP, user_id=USER, session_id=SESSION
        )
        assert index.unsure
        legacy = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
        stored = await service.store.get_events(app_name=APP, user_id=USER, session_id=SESSION)
        # As before the views: every flagged event (state deltas among them) is loaded.
        assert legacy is not None
        flagged = [record.id for record in stored if record.actions is not None]
        # (Here the whole session, in fact: a tool response with a state delta is
        # flagged, its call is not, so the span read fails the check.)
        assert {event.id for event in legacy.events} >= set(flagged)
        # New events (with views) after old ones (without): still the same requests.
        expected_second = await converse(reference, 60, 40)
        assert await converse(service, 60, 40) == expected_second
        index = await service.store.read_compaction_index(  # type: ignore[attr-defined]
            app_name=APP, user_id=USER, session_id=SESSION
        )
        assert index.unsure


async def test_the_views_of_a_conversation_are_the_roles_of_its_events(tmp_path: Path) -> None:
    path = tmp_path / "roles.db"
    async with SessionService(SqliteStore(path)) as service:
        await converse(service, 0, 20)
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT view_role, actions IS NULL, compaction_start, compaction_end FROM adk_events"
        ).fetchall()
    roles = [row[0] for row in rows]
    assert None not in roles
    assert roles.count(EventRole.COMPACTION) > 5
    assert all(
        (row[2] is not None and row[3] is not None and row[2] <= row[3])
        == (row[0] == EventRole.COMPACTION)
        for row in rows
    )
    # State changes (the tool's responses) are skippable; so is every plain event.
    assert all(row[0] == EventRole.SKIPPABLE for row in rows if row[1])
    assert any(row[0] == EventRole.SKIPPABLE and not row[1] for row in rows)
    assert EventRole.WHOLE_SESSION not in roles


# --- a version-4 file -------------------------------------------------------------------

_VERSION_5_INDEXES = (
    "view_unsure",
    "view_needed",
    "compactions",
    "compaction_starts",
    "compaction_ends",
)


def _back_to_version_4(path: Path) -> None:
    """Turns a current file into what the library wrote at schema version 4."""
    with sqlite3.connect(path) as connection:
        for name in _VERSION_5_INDEXES:
            connection.execute(f'DROP INDEX "adk_events_{name}"')
        for column in ("view_role", "compaction_start", "compaction_end"):
            connection.execute(f"ALTER TABLE adk_events DROP COLUMN {column}")
        connection.execute("DELETE FROM adk_sqlite_schema WHERE version = 5")


def _is_plain(event: Any) -> bool:
    return event.actions.model_dump(exclude_defaults=True) == {} and not event.branch


def _columns(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [
            row[0]
            for row in connection.execute("SELECT name FROM pragma_table_info(?)", ("adk_events",))
        ]


async def test_a_version_4_file_is_migrated_and_read_as_before(tmp_path: Path) -> None:
    assert SCHEMA_VERSION == 5
    path = tmp_path / "v4.db"
    reference = InMemorySessionService()
    await converse(reference, 0, 40)
    async with SessionService(SqliteStore(path)) as service:
        await converse(service, 0, 40)
        whole = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    _back_to_version_4(path)
    assert "view_role" not in _columns(path)

    async with skipping(SqliteStore(path)) as service:
        migrated = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
        # The conversation goes on over the migrated file as over ADK's own service.
        expected = await converse(reference, 40, 20)
        assert await converse(service, 40, 20) == expected
    with sqlite3.connect(path) as connection:
        versions = connection.execute("SELECT version FROM adk_sqlite_schema").fetchall()
        roles = connection.execute("SELECT view_role FROM adk_events ORDER BY seq").fetchall()
        indexes = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
    assert sorted(version for (version,) in versions) == [1, 2, 3, 4, 5]
    assert {f"adk_events_{name}" for name in _VERSION_5_INDEXES} <= indexes
    assert whole is not None
    assert migrated is not None
    # Read without views (all NULL), as before: every flagged event is loaded.
    flagged = {event.id for event in whole.events if not _is_plain(event)}
    assert flagged <= {event.id for event in migrated.events} <= {e.id for e in whole.events}
    # Old rows have no view; the rows appended after the migration have one.
    assert roles[0] == (None,)
    assert roles[-1] != (None,)


async def test_a_view_on_an_event_whose_role_must_load_the_whole_session(tmp_path: Path) -> None:
    """An event with a branch (here, written by hand) makes the views unsure."""
    from google.adk.events.event import Event

    path = tmp_path / "branch.db"
    async with skipping(SqliteStore(path)) as service:
        await converse(service, 0, 20)
        session = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
        assert session is not None
        await service.append_event(
            session, Event(author="user", invocation_id="x", branch="assistant.helper")
        )
        index = await service.store.read_compaction_index(  # type: ignore[attr-defined]
            app_name=APP, user_id=USER, session_id=SESSION
        )
        loaded, stored = await loaded_and_stored(service)
    assert index.unsure
    assert loaded == stored  # a branch: the whole session, as before the views


async def test_a_postgresql_schema_at_version_3_is_migrated_and_read_as_before() -> None:
    import asyncpg

    from adk_sqlite.postgres import PostgresStore
    from adk_sqlite.postgres.sql import SCHEMA_VERSION as POSTGRES_VERSION

    assert POSTGRES_VERSION == 4
    reference = InMemorySessionService()
    await converse(reference, 0, 30)
    async with fresh_schema() as url:
        async with SessionService(PostgresStore(url)) as service:
            await converse(service, 0, 30)
            whole = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
        connection = await asyncpg.connect(url)
        try:
            for name in _VERSION_5_INDEXES:
                await connection.execute(f'DROP INDEX "adk_events_{name}"')
            for column in ("view_role", "compaction_start", "compaction_end"):
                await connection.execute(f"ALTER TABLE adk_events DROP COLUMN {column}")
            await connection.execute("DELETE FROM adk_sqlite_schema WHERE version = 4")
            async with skipping(PostgresStore(url)) as service:
                migrated = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
                expected = await converse(reference, 30, 15)
                assert await converse(service, 30, 15) == expected
            versions = await connection.fetch("SELECT version FROM adk_sqlite_schema")
            roles = await connection.fetch("SELECT view_role FROM adk_events ORDER BY seq")
        finally:
            await connection.close()
    assert sorted(row[0] for row in versions) == [1, 2, 3, 4]
    assert whole is not None
    assert migrated is not None
    flagged = {event.id for event in whole.events if not _is_plain(event)}
    assert flagged <= {event.id for event in migrated.events}
    assert roles[0][0] is None
    assert roles[-1][0] is not None


async def test_a_session_exported_to_postgresql_is_read_by_its_views_there(
    tmp_path: Path,
) -> None:
    """The export copies each event's view: PostgreSQL reads the copy by its views, loads
    the events the source loads, and the conversation goes on the same."""
    from adk_sqlite.postgres import PostgresStore
    from adk_sqlite.transfer.export import export_to_postgres

    reference = InMemorySessionService()
    await converse(reference, 0, 30)
    async with fresh_schema() as url:
        source = tmp_path / "source.db"
        async with SessionService(SqliteStore(source)) as service:
            await converse(service, 0, 30)
        async with skipping(SqliteStore(source)) as service:
            on_source = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
        await export_to_postgres(source, url)
        async with skipping(PostgresStore(url)) as service:
            index = await service.store.read_compaction_index(  # type: ignore[attr-defined]
                app_name=APP, user_id=USER, session_id=SESSION
            )
            exported = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
            loaded, stored = await loaded_and_stored(service)
            expected = await converse(reference, 30, 15)
            assert await converse(service, 30, 15) == expected
    assert not index.unsure
    assert len(index.newest_first) > 10
    assert on_source is not None
    assert exported is not None
    assert [event.id for event in exported.events] == [event.id for event in on_source.events]
    assert loaded < stored // 4
