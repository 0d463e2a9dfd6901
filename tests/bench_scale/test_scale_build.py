"""The scale benchmark's SQL builders write databases the services read back correctly.

The builders copy a template session's rows under new ids with SQL instead of
calling ``append_event`` millions of times; these tests read what they wrote
through `SessionService` and through ADK's `SqliteSessionService`, so a builder
that drifted from either schema (or from ADK's JSON) fails here, not in a
half-hour benchmark run. The builders run their own event loops, so the tests
call them in a thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from benchmarks import scale_build, scale_worker
from benchmarks.subjects import APP
from google.adk.sessions.base_session_service import GetSessionConfig
from google.adk.sessions.sqlite_session_service import SqliteSessionService

from adk_sqlite import SessionService, SqliteStore

# The compacted sessions are read under ADK's EventsCompactionConfig, which warns that it is
# experimental.
pytestmark = pytest.mark.filterwarnings("ignore:.*EXPERIMENTAL.*:UserWarning")


async def _read_both(ours_path: Path, adk_path: Path, user: str, session_id: str) -> tuple:
    async with SessionService(SqliteStore(ours_path)) as service:
        ours = await service.get_session(app_name=APP, user_id=user, session_id=session_id)
    adk_service = SqliteSessionService(str(adk_path))
    try:
        theirs = await adk_service.get_session(app_name=APP, user_id=user, session_id=session_id)
    finally:
        await adk_service.close()
    return ours, theirs


async def test_event_sessions_read_back_the_same_events_through_both_services(
    tmp_path: Path,
) -> None:
    specs = scale_build.event_sessions([10, 30])
    ours_path, adk_path = tmp_path / "ours.db", tmp_path / "adk.db"
    await asyncio.to_thread(scale_build.build, ours_path, scale_build.OURS, specs)
    await asyncio.to_thread(scale_build.build, adk_path, scale_build.ADK_SQLITE, specs)

    ours, theirs = await _read_both(ours_path, adk_path, "reader-30", "events-30")

    assert ours is not None
    assert theirs is not None
    expected = [scale_build.event_id("events-30", index) for index in range(30)]
    assert [event.id for event in ours.events] == expected
    assert [event.model_dump() for event in ours.events] == [
        event.model_dump() for event in theirs.events
    ]
    times = [event.timestamp for event in ours.events]
    assert times == sorted(times)
    assert len(set(times)) == 30
    # Every kind of template event is there: question, call, response, answer.
    kinds = {
        "call" if part.function_call else "response" if part.function_response else "text"
        for event in ours.events[:8]
        for part in (event.content.parts if event.content and event.content.parts else [])
    }
    assert kinds == {"text", "call", "response"}
    assert ours.last_update_time == times[-1] == theirs.last_update_time


async def test_an_event_database_holds_its_events_in_sessions_of_a_thousand(
    tmp_path: Path,
) -> None:
    specs = scale_build.event_database(2_500)
    path = tmp_path / "ours.db"
    await asyncio.to_thread(scale_build.build, path, scale_build.OURS, specs)

    assert [spec.events for spec in specs] == [1000, 1000, 500]
    async with SessionService(SqliteStore(path)) as service:
        rest = await service.get_session(app_name=APP, user_id="user-rest", session_id="h-rest")
        newest = await service.get_session(
            app_name=APP,
            user_id="user-1",
            session_id="h0000001",
            config=GetSessionConfig(num_recent_events=20),
        )
    assert rest is not None
    assert len(rest.events) == 500
    assert newest is not None
    assert [event.id for event in newest.events] == [
        scale_build.event_id("h0000001", index) for index in range(980, 1000)
    ]


async def test_a_listing_database_has_its_users_and_its_newest_session_last(
    tmp_path: Path,
) -> None:
    specs = scale_build.listing_sessions(1_000)
    ours_path, adk_path = tmp_path / "ours.db", tmp_path / "adk.db"
    await asyncio.to_thread(scale_build.build, ours_path, scale_build.OURS, specs)
    await asyncio.to_thread(scale_build.build, adk_path, scale_build.ADK_SQLITE, specs)

    async with SessionService(SqliteStore(ours_path)) as service:
        page = await service.list_sessions(app_name=APP, page_size=3, newest_first=True)
        solo = await service.list_sessions(app_name=APP, user_id="solo-100")
        everyone = await service.list_sessions(app_name=APP)
    adk_service = SqliteSessionService(str(adk_path))
    try:
        theirs = await adk_service.list_sessions(app_name=APP, user_id="solo-100")
    finally:
        await adk_service.close()

    assert [session.id for session in page.sessions] == ["s0000999", "s0000998", "s0000997"]
    assert len(solo.sessions) == 100
    assert sorted(s.id for s in solo.sessions) == sorted(s.id for s in theirs.sessions)
    assert len(everyone.sessions) == 1000
    assert scale_build.solo_users(1_000) == [10, 100]


async def test_compacted_sessions_are_read_shorter_with_the_option(tmp_path: Path) -> None:
    path = tmp_path / "compacted.db"
    await asyncio.to_thread(scale_build.build_compacted, path, [200])
    where = {"app_name": APP, "user_id": "reader-200", "session_id": "compacted-200"}

    async with SessionService(SqliteStore(path)) as service:
        everything = await service.get_session(**where)
    skipping = SessionService(
        SqliteStore(path),
        skip_compacted_events=True,
        events_compaction_config=scale_build.compaction_config(),
    )
    async with skipping:
        skipped = await skipping.get_session(**where)

    assert everything is not None
    assert skipped is not None
    compactions = [event for event in everything.events if event.actions.compaction]
    assert len(everything.events) >= 200
    assert len(compactions) == 4
    assert 0 < len(skipped.events) < len(everything.events) / 2
    assert skipped.events[-1].id == everything.events[-1].id


def _measure_token_compacted(path: Path, size: int) -> dict:
    spec = {
        "workload": "compacted-token",
        "backend": scale_build.OURS,
        "size": size,
        "db": str(path),
        "repeats": 2,
        "budget_s": 0.2,
    }
    return scale_worker.measure_guarded(spec)


async def test_token_threshold_sessions_are_read_flat_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "token.db"
    await asyncio.to_thread(scale_build.build_token_compacted, path, [100, 1000])
    where = {"app_name": APP, "user_id": "reader-1000", "session_id": "token-compacted-1000"}

    async with SessionService(SqliteStore(path)) as service:
        everything = await service.get_session(**where)
    assert everything is not None
    compactions = [event.actions.compaction for event in everything.events]
    ranges = [(c.start_timestamp, c.end_timestamp) for c in compactions if c]
    # Each summary starts at the session's first event and reaches further than the one
    # before: it contains every earlier one. Every other answer changes the state.
    assert len(ranges) == 1000 // (4 * scale_build.TOKEN_COMPACTION_EVERY + 1)
    assert {start for start, _ in ranges} == {everything.events[0].timestamp}
    assert [end for _, end in ranges] == sorted({end for _, end in ranges})
    assert sum(1 for event in everything.events if event.actions.state_delta) > 100
    with sqlite3.connect(path) as connection:
        unknown = connection.execute("SELECT count(*) FROM adk_events WHERE view_role IS NULL")
        assert unknown.fetchone() == (0,)  # appended by the service: every row has its view

    small, large = await asyncio.gather(
        asyncio.to_thread(_measure_token_compacted, path, 100),
        asyncio.to_thread(_measure_token_compacted, path, 1000),
    )
    assert small["checks"] == large["checks"] == []
    assert large["events_total"] == len(everything.events)
    assert small["events_returned"] <= 2 + 4 * scale_build.TOKEN_COMPACTION_EVERY
    assert large["events_returned"] <= 2 + 4 * scale_build.TOKEN_COMPACTION_EVERY


async def test_the_token_threshold_check_fails_a_read_that_lost_events(tmp_path: Path) -> None:
    path = tmp_path / "token.db"
    await asyncio.to_thread(scale_build.build_token_compacted, path, [200])
    # The newest summary's stored view claims a range up to the last event: a read by the
    # views then leaves out events the summary does not contain.
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE adk_events SET compaction_end = (SELECT max(timestamp_unix) FROM adk_events)"
            " WHERE seq = (SELECT max(seq) FROM adk_events WHERE compaction_end IS NOT NULL)"
        )

    result = await asyncio.to_thread(_measure_token_compacted, path, 200)

    assert result["checks"]
    assert "token-threshold read" in result["checks"][0]
