"""Sessions brought in by ``adk-sqlite import`` get event views, as appended ones do.

A token-threshold conversation is written by ADK's own ``SqliteSessionService``,
then imported: every imported event has its view, so ``skip_compacted_events``
reads the session by the views (the compaction index is sure, only the kept
compactions and the events outside the span are loaded), returns the events an
appended session of the same conversation returns, and the conversation goes on
with the same requests as over ADK's service.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from google.adk.sessions.sqlite_session_service import SqliteSessionService

from adk_sqlite import SessionService, SqliteStore, import_adk_database
from adk_sqlite.records import EventRole
from compaction.conversation import APP, SESSION, USER
from compaction.test_token_threshold_views import converse, skipping

pytestmark = pytest.mark.filterwarnings("ignore:.*EXPERIMENTAL.*:UserWarning")

TURNS = 40


def _shape(events: list[Any]) -> list[tuple[str, Any, bool]]:
    """What an event is, apart from its id and timestamp: its author, its content and
    whether it is a compaction."""
    return [
        (
            event.author,
            None if event.content is None else event.content.model_dump(mode="json"),
            event.actions.compaction is not None,
        )
        for event in events
    ]


def _views(path: Path) -> list[tuple[Any, Any, Any]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT view_role, compaction_start, compaction_end FROM adk_events ORDER BY seq"
        ).fetchall()


async def test_an_imported_session_is_read_by_its_views_like_an_appended_one(
    tmp_path: Path,
) -> None:
    adk_file, imported, appended = (
        tmp_path / "adk.db",
        tmp_path / "imported.db",
        tmp_path / "appended.db",
    )
    adk = SqliteSessionService(str(adk_file))
    await converse(adk, 0, TURNS)
    async with SessionService(SqliteStore(appended)) as service:
        await converse(service, 0, TURNS)

    report = await import_adk_database(adk_file, imported)
    assert report.sessions_created == 1

    # Every imported event has the view an append gives it.
    imported_views, appended_views = _views(imported), _views(appended)
    assert None not in {row[0] for row in imported_views}
    assert [row[0] for row in imported_views] == [row[0] for row in appended_views]
    compactions = [row for row in imported_views if row[0] == EventRole.COMPACTION]
    assert len(compactions) > TURNS // 4
    assert all(row[1] is not None and row[1] <= row[2] for row in compactions)

    async with skipping(SqliteStore(appended)) as service:
        expected = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    async with skipping(SqliteStore(imported)) as service:
        index = await service.store.read_compaction_index(  # type: ignore[attr-defined]
            app_name=APP, user_id=USER, session_id=SESSION
        )
        got = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
        stored = await service.store.get_events(app_name=APP, user_id=USER, session_id=SESSION)
        # The conversation goes on over the imported file as over ADK's own service.
        assert await converse(service, TURNS, 10) == await converse(adk, TURNS, 10)
    assert not index.unsure  # read by the views, not the earlier way
    assert len(index.newest_first) == len(compactions)
    assert expected is not None
    assert got is not None
    assert _shape(got.events) == _shape(expected.events)
    assert len(got.events) < len(stored) // 4  # the compacted span was left out


async def test_events_imported_into_an_existing_session_get_views(tmp_path: Path) -> None:
    """A second import appends what the source gained since, with views too."""
    adk_file, imported = tmp_path / "adk.db", tmp_path / "imported.db"
    adk = SqliteSessionService(str(adk_file))
    await converse(adk, 0, 10)
    await import_adk_database(adk_file, imported)
    await converse(adk, 10, 10)
    report = await import_adk_database(adk_file, imported)
    assert report.sessions_updated == 1
    assert report.events_imported > 0
    views = _views(imported)
    assert None not in {row[0] for row in views}
    assert sum(row[0] == EventRole.COMPACTION for row in views) > 10
