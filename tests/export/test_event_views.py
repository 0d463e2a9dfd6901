"""The export copies each event's view (view_role, compaction_start, compaction_end).

Sources are written by `SessionService` through a real compacting conversation, so
their views are the ones appends store; a NULL view (a row written before schema
version 5, or forgotten by hand here) stays NULL on PostgreSQL. The checksum covers
the EventRecord columns only: a source without view columns, and a target copied
before views were exported (its rows without them), still verify.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from adk_sqlite import PostgresStore, SessionService, SqliteStore
from adk_sqlite.errors import ConstraintError
from adk_sqlite.records import EventRole
from adk_sqlite.transfer.export import export_to_postgres
from compaction.conversation import APP, SESSION, USER
from compaction.test_token_threshold_views import converse

pytestmark = pytest.mark.filterwarnings("ignore:.*EXPERIMENTAL.*:UserWarning")

Views = dict[str, tuple[Any, Any, Any]]
_VIEW_COLUMNS = ("view_role", "compaction_start", "compaction_end")
_VIEW_INDEXES = (
    "view_unsure",
    "view_needed",
    "compactions",
    "compaction_starts",
    "compaction_ends",
)
_SELECT_VIEWS = "SELECT id, view_role, compaction_start, compaction_end FROM adk_events"


def source_views(*paths: Path) -> Views:
    views: Views = {}
    for path in paths:
        with sqlite3.connect(path) as connection:
            rows = connection.execute(_SELECT_VIEWS).fetchall()
        views.update({row[0]: (row[1], row[2], row[3]) for row in rows})
    return views


async def target_views(url: str) -> Views:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(_SELECT_VIEWS)
    finally:
        await connection.close()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def forget_some_views(path: Path) -> None:
    """Makes every third event look written before schema version 5."""
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE adk_events SET view_role = NULL, compaction_start = NULL,"
            " compaction_end = NULL WHERE seq % 3 = 0"
        )


def assert_copied(source: Views, target: Views) -> None:
    assert target == source
    roles = [view[0] for view in source.values()]
    assert roles.count(EventRole.COMPACTION) > 3
    assert EventRole.SKIPPABLE in roles


async def test_a_file_s_views_are_copied_and_null_stays_null(tmp_path: Path, dsn: str) -> None:
    source = tmp_path / "source.db"
    async with SessionService(SqliteStore(source)) as service:
        await converse(service, 0, 20)
    forget_some_views(source)
    report = await export_to_postgres(source, dsn)
    assert report.verified
    views = source_views(source)
    assert_copied(views, await target_views(dsn))
    assert None in {view[0] for view in views.values()}


async def test_a_folder_s_views_are_copied(tmp_path: Path, dsn: str) -> None:
    folder = tmp_path / "folder"
    async with SessionService(SqliteStore.per_session_files(folder)) as service:
        await converse(service, 0, 20)
    files = sorted((folder / "sessions").glob("*.db"))
    assert len(files) == 1
    forget_some_views(files[0])
    report = await export_to_postgres(folder, dsn)
    assert report.verified
    views = source_views(*files)
    assert_copied(views, await target_views(dsn))
    assert None in {view[0] for view in views.values()}


def _back_to_version_4(path: Path) -> None:
    """Turns a current file into what the library wrote at schema version 4."""
    with sqlite3.connect(path) as connection:
        for name in _VIEW_INDEXES:
            connection.execute(f'DROP INDEX "adk_events_{name}"')
        for column in _VIEW_COLUMNS:
            connection.execute(f"ALTER TABLE adk_events DROP COLUMN {column}")
        connection.execute("DELETE FROM adk_sqlite_schema WHERE version = 5")


async def test_a_source_without_view_columns_exports_without_views(
    tmp_path: Path, dsn: str
) -> None:
    source = tmp_path / "v4.db"
    async with SessionService(SqliteStore(source)) as service:
        await converse(service, 0, 10)
    _back_to_version_4(source)
    report = await export_to_postgres(source, dsn)
    assert report.verified
    views = await target_views(dsn)
    with sqlite3.connect(source) as connection:
        (events,) = connection.execute("SELECT count(*) FROM adk_events").fetchone()
    assert events > 20
    assert len(views) == events
    assert set(views.values()) == {(None, None, None)}
    # The source was only read: it is still at version 4.
    with sqlite3.connect(source) as connection:
        columns = {
            row[0]
            for row in connection.execute("SELECT name FROM pragma_table_info(?)", ("adk_events",))
        }
    assert "view_role" not in columns


async def _back_to_postgres_version_3(url: str) -> None:
    """Turns a target into what an export wrote before views were copied, at version 3."""
    connection = await asyncpg.connect(url)
    try:
        for name in _VIEW_INDEXES:
            await connection.execute(f'DROP INDEX "adk_events_{name}"')
        for column in _VIEW_COLUMNS:
            await connection.execute(f"ALTER TABLE adk_events DROP COLUMN {column}")
        await connection.execute("DELETE FROM adk_sqlite_schema WHERE version = 4")
    finally:
        await connection.close()


async def test_an_earlier_target_is_migrated_verified_and_gets_the_new_events_views(
    tmp_path: Path, dsn: str
) -> None:
    source = tmp_path / "source.db"
    async with SessionService(SqliteStore(source)) as service:
        await converse(service, 0, 10)
    await export_to_postgres(source, dsn)
    first = set(await target_views(dsn))
    await _back_to_postgres_version_3(dsn)
    async with SessionService(SqliteStore(source)) as service:
        await converse(service, 10, 10)

    report = await export_to_postgres(source, dsn)

    assert report.verified  # the rows without views hold the same events
    views = await target_views(dsn)
    expected = source_views(source)
    assert set(views) == set(expected)
    for event_id, view in views.items():
        assert view == ((None, None, None) if event_id in first else expected[event_id])
    assert any(view[0] == EventRole.COMPACTION for view in views.values())
    # Those older rows (flagged ones among them) make PostgreSQL read the session the
    # earlier way, as before the views.
    async with PostgresStore(dsn) as store:
        index = await store.read_compaction_index(app_name=APP, user_id=USER, session_id=SESSION)
    assert index.unsure


async def test_an_event_the_target_refuses_is_named_with_its_view_columns(
    tmp_path: Path, dsn: str
) -> None:
    """The one-row probe that names a refused event inserts the view columns too."""
    source = tmp_path / "source.db"
    async with SessionService(SqliteStore(source)) as service:
        await converse(service, 0, 3)
    with sqlite3.connect(source) as connection:
        (bad_id,) = connection.execute(
            "SELECT id FROM adk_events WHERE view_role = 1 ORDER BY seq LIMIT 1"
        ).fetchone()
        # Hand-edited: text the target's json column refuses.
        connection.execute("UPDATE adk_events SET usage_metadata = '{oops' WHERE id = ?", (bad_id,))
    with pytest.raises(ConstraintError, match=f"event {bad_id!r}"):
        await export_to_postgres(source, dsn)
