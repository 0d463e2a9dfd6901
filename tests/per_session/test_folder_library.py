"""Reading a folder: cross-session queries, listing, timelines (live and archived)."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite import (
    AmbiguousSessionError,
    DatabaseUnavailableError,
    QueryRefusedError,
    SessionNotFoundError,
    SessionService,
    list_folder_sessions,
    query_session_folder,
    read_folder_timeline,
)
from adk_sqlite.sqlite import PerSessionSqliteStore
from adk_sqlite.tools.session_folder import is_session_folder

APP = "support"


def said(author: str, text: str, **delta: object) -> Event:
    return Event(
        author=author,
        invocation_id="inv",
        content=types.Content(role="model", parts=[types.Part(text=text)]),
        actions=EventActions(state_delta=dict(delta)),
    )


@pytest.fixture
async def conversations(service: SessionService, store: PerSessionSqliteStore) -> None:
    """Three live sessions with 1, 2 and 3 events, and one archived with 4."""
    for number in range(1, 5):
        session = await service.create_session(
            app_name=APP, user_id=f"user{number % 2}", session_id=f"s{number}"
        )
        for index in range(number):
            await service.append_event(
                session, said("user" if index % 2 == 0 else "agent", f"{number}.{index}")
            )
    await store.archive_session(app_name=APP, user_id="user0", session_id="s4")


@pytest.mark.usefixtures("conversations")
def test_a_query_runs_in_every_live_session_file_and_says_where_each_row_came_from(
    folder: Path,
) -> None:
    result = query_session_folder(folder, "SELECT count(*) AS events FROM adk_events")

    assert result.columns == ["session_file", "events"]
    assert result.rows == [
        ["sessions/support+user0+s2.db", 2],
        ["sessions/support+user1+s1.db", 1],
        ["sessions/support+user1+s3.db", 3],
    ]
    assert not result.truncated


@pytest.mark.usefixtures("conversations")
def test_archived_files_are_queried_when_asked(folder: Path) -> None:
    result = query_session_folder(folder, "SELECT count(*) FROM adk_events", include_archived=True)

    assert result.rows[-1] == ["archive/support+user0+s4.db", 4]


@pytest.mark.usefixtures("conversations")
def test_combine_aggregates_the_rows_of_every_file(folder: Path) -> None:
    result = query_session_folder(
        folder,
        "SELECT author, count(*) AS events FROM adk_events WHERE author = ? GROUP BY author",
        ["user"],
        combine="SELECT author, sum(events) AS total, count(*) AS files FROM rows GROUP BY author",
    )

    assert result.columns == ["author", "total", "files"]
    assert result.rows == [["user", 4, 3]]


@pytest.mark.usefixtures("conversations")
@pytest.mark.parametrize(("limit", "truncated"), [(2, True), (5, True), (6, False), (7, False)])
def test_max_rows_cuts_across_files_and_says_so_only_when_rows_were_cut(
    folder: Path, limit: int, truncated: bool
) -> None:
    result = query_session_folder(folder, "SELECT id FROM adk_events", max_rows=limit)

    assert len(result.rows) == min(limit, 6)
    assert result.truncated is truncated


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM adk_events",
        "UPDATE adk_sessions SET state = '{}'",
        "ATTACH DATABASE 'x.db' AS x",
        "PRAGMA journal_mode = DELETE",
    ],
)
async def test_a_statement_that_would_write_is_refused_even_without_sessions(
    store: PerSessionSqliteStore, folder: Path, sql: str
) -> None:
    await store.create_tables()

    with pytest.raises(QueryRefusedError):
        query_session_folder(folder, sql)


@pytest.mark.usefixtures("conversations")
def test_a_write_in_combine_is_refused(folder: Path) -> None:
    with pytest.raises(QueryRefusedError):
        query_session_folder(folder, "SELECT 1 AS one", combine="DELETE FROM rows")


@pytest.mark.usefixtures("conversations")
def test_progress_is_reported_per_file(folder: Path) -> None:
    calls: list[tuple[int, int]] = []

    query_session_folder(
        folder, "SELECT 1", progress=lambda done, total: calls.append((done, total))
    )

    assert calls == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.usefixtures("conversations")
def test_the_listing_reads_each_shown_session_from_its_file(folder: Path) -> None:
    listing = list_folder_sessions(folder, limit=2)

    assert listing.total == 3
    assert [(s.id, s.events) for s in listing.sessions] == [("s3", 3), ("s2", 2)]
    assert [s.id for s in list_folder_sessions(folder, user_id="user1").sessions] == ["s3", "s1"]


async def test_a_live_timeline_shows_the_catalogs_app_and_user_state(
    service: SessionService, folder: Path
) -> None:
    first = await service.create_session(app_name=APP, user_id="u", session_id="first")
    await service.append_event(first, said("user", "hi", **{"app:mood": "calm"}))
    second = await service.create_session(app_name=APP, user_id="u", session_id="second")
    await service.append_event(second, said("user", "hi", **{"app:mood": "busy", "k": 1}))

    timeline = read_folder_timeline(folder, "first")

    assert timeline.state == {"app:mood": "busy"}
    assert [event.texts for event in timeline.events] == [["hi"]]


@pytest.mark.usefixtures("conversations")
def test_an_archived_session_is_shown_from_its_file(folder: Path) -> None:
    timeline = read_folder_timeline(folder, "s4")

    assert (timeline.app_name, timeline.user_id) == (APP, "user0")
    assert len(timeline.events) == 4


async def test_an_id_archived_twice_is_ambiguous_and_an_unknown_one_is_not_found(
    service: SessionService, store: PerSessionSqliteStore, folder: Path
) -> None:
    for _ in range(2):
        await service.create_session(app_name=APP, user_id="u", session_id="again")
        await store.archive_session(app_name=APP, user_id="u", session_id="again")

    with pytest.raises(AmbiguousSessionError, match="archived more than once"):
        read_folder_timeline(folder, "again")
    with pytest.raises(SessionNotFoundError):
        read_folder_timeline(folder, "never")


async def test_a_long_archived_id_is_found_through_its_own_session_row(
    service: SessionService, store: PerSessionSqliteStore, folder: Path
) -> None:
    long_id = "ticket-" + "x" * 300
    session = await service.create_session(app_name=APP, user_id="u", session_id=long_id)
    await service.append_event(session, said("user", "a long one"))
    archived = await store.archive_session(app_name=APP, user_id="u", session_id=long_id)

    assert "~" in archived.name
    assert read_folder_timeline(folder, long_id).events[0].texts == ["a long one"]


def test_a_folder_without_a_catalog_is_not_a_session_folder(tmp_path: Path) -> None:
    assert not is_session_folder(tmp_path)
    with pytest.raises(DatabaseUnavailableError, match=r"no catalog\.db"):
        query_session_folder(tmp_path, "SELECT 1")
