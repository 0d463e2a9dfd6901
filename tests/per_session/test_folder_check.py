"""check_session_folder: every file checked, each kind of drift reported and repaired."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from adk_sqlite import SessionService, SqliteStore, check_session_folder
from adk_sqlite.tools.folder_check import FolderCheckReport

from .conftest import rows

APP = "support"


async def _folder_with_sessions(folder: Path) -> None:
    """s1 (with app: state from its create and an append), s2, and s3 archived."""
    async with SessionService(SqliteStore.per_session_files(folder)) as service:
        one = await service.create_session(
            app_name=APP, user_id="u", session_id="s1", state={"app:created": 1}
        )
        await service.append_event(
            one,
            Event(author="a", invocation_id="i", actions=EventActions(state_delta={"app:n": 1})),
        )
        await service.create_session(app_name=APP, user_id="u", session_id="s2")
        await service.create_session(app_name=APP, user_id="u", session_id="s3")
        store = service.store
        await store.archive_session(app_name=APP, user_id="u", session_id="s3")  # type: ignore[attr-defined]


@pytest.fixture
async def sessions(folder: Path) -> Path:
    await _folder_with_sessions(folder)
    return folder


def _kinds(report: FolderCheckReport) -> list[tuple[str, str, bool]]:
    return [(drift.kind, drift.file, drift.repaired) for drift in report.drift]


def _live(folder: Path, session_id: str) -> Path:
    return folder / "sessions" / f"{APP}+u+{session_id}.db"


def test_a_healthy_folder_is_ok(sessions: Path) -> None:
    report = check_session_folder(sessions)

    assert report.ok
    assert (report.sessions, report.files_checked) == (2, 2)
    assert report.catalog.ok
    assert report.drift == []


def _remove_file(folder: Path) -> None:
    os.unlink(_live(folder, "s2"))


def _tombstone(folder: Path) -> None:
    rows(_live(folder, "s2"), "DELETE FROM adk_sessions")


def _stale_listing(folder: Path) -> None:
    rows(folder / "catalog.db", "UPDATE adk_session_files SET revision = revision - 1")


def _temporary(folder: Path) -> None:
    (folder / "sessions" / ".creating-0123456789abcdef.db").write_bytes(b"")


def _garbage(folder: Path) -> None:
    (folder / "sessions" / "support+u+junk.db").write_bytes(b"not a database")


def _unfinished_archive(folder: Path) -> None:
    # The session's own file, as an archive killed after its commit leaves it.
    shutil.copyfile(folder / "archive" / f"{APP}+u+s3.db", _live(folder, "s3"))
    rows(_live(folder, "s3"), "UPDATE adk_session_file SET archived_at = NULL")


def _archive_copy(folder: Path) -> None:
    # An archive killed before its commit: a copy of a session that is still live.
    shutil.copyfile(_live(folder, "s2"), folder / "archive" / f"{APP}+u+s2.db")
    rows(folder / "archive" / f"{APP}+u+s2.db", "UPDATE adk_session_file SET archived_at = 1")


def _partial_archive(folder: Path) -> None:
    (folder / "archive" / f".{APP}+u+s2.db.partial-0a1b2c3d").write_bytes(b"")


def _finished_delete(folder: Path) -> None:
    rows(_live(folder, "s2"), "DELETE FROM adk_sessions")
    rows(folder / "catalog.db", "DELETE FROM adk_session_files WHERE id = 's2'")


@pytest.mark.parametrize(
    ("damage", "kind", "file"),
    [
        (_remove_file, "missing_file", "sessions/support+u+s2.db"),
        (_tombstone, "empty_session_file", "sessions/support+u+s2.db"),
        (_stale_listing, "stale_listing", "sessions/support+u+s1.db"),
        (_temporary, "temporary_file", "sessions/.creating-0123456789abcdef.db"),
        (_garbage, "unreadable_file", "sessions/support+u+junk.db"),
        (_unfinished_archive, "unfinished_archive", "sessions/support+u+s3.db"),
        (_archive_copy, "archive_copy_of_live_session", "archive/support+u+s2.db"),
        (_partial_archive, "temporary_file", "archive/.support+u+s2.db.partial-0a1b2c3d"),
        (_finished_delete, "deleted_file", "sessions/support+u+s2.db"),
    ],
)
def test_drift_is_reported_then_repaired(
    sessions: Path, damage: Callable[[Path], None], kind: str, file: str
) -> None:
    damage(sessions)

    found = check_session_folder(sessions)
    assert not found.ok
    assert (kind, file, False) in _kinds(found)

    repaired = check_session_folder(sessions, repair=True)
    assert (kind, file, True) in _kinds(repaired)
    assert repaired.ok

    assert check_session_folder(sessions).drift == []


def test_repairs_keep_data_and_leave_the_store_consistent(sessions: Path) -> None:
    _archive_copy(sessions)
    _unfinished_archive(sessions)
    _garbage(sessions)

    check_session_folder(sessions, repair=True)

    assert _live(sessions, "s2").is_file()  # the live session kept its file
    assert not (sessions / "archive" / f"{APP}+u+s2.db").exists()
    assert (sessions / "archive" / f"{APP}+u+s3.db").is_file()  # the archive kept its copy
    assert not _live(sessions, "s3").exists()
    assert (sessions / "orphans" / "support+u+junk.db").read_bytes() == b"not a database"


async def test_an_orphan_is_adopted_with_the_state_its_create_recorded(folder: Path) -> None:
    async with SessionService(SqliteStore.per_session_files(folder)) as service:
        await service.create_session(
            app_name=APP, user_id="u", session_id="new", state={"app:created": 1, "k": 2}
        )
    # A create killed after its file was renamed in, before its catalog row
    # (and the app: state merged with it) committed.
    catalog = folder / "catalog.db"
    rows(catalog, "DELETE FROM adk_session_files")
    rows(catalog, "DELETE FROM adk_app_states")

    found = check_session_folder(folder, repair=True)

    assert _kinds(found) == [("orphan_file", "sessions/support+u+new.db", True)]
    async with SessionService(SqliteStore.per_session_files(folder)) as service:
        listed = (await service.list_sessions(app_name=APP)).sessions
        assert [(s.id, s.state) for s in listed] == [("new", {"k": 2, "app:created": 1})]


async def test_unmerged_scope_deltas_are_merged_by_the_repair(sessions: Path) -> None:
    catalog = sessions / "catalog.db"
    rows(catalog, "UPDATE adk_app_states SET state = '{\"created\":1}'")
    rows(catalog, "UPDATE adk_session_files SET scope_revision = scope_revision - 1")

    found = check_session_folder(sessions, repair=True)

    assert ("unmerged_state", "sessions/support+u+s1.db", True) in _kinds(found)
    assert rows(catalog, "SELECT state FROM adk_app_states") == [('{"created":1,"n":1}',)]


def test_a_file_that_is_not_the_one_the_catalog_names_is_reported_only(sessions: Path) -> None:
    rows(_live(sessions, "s2"), "UPDATE adk_session_file SET generation = generation + 1")

    report = check_session_folder(sessions, repair=True)

    assert ("wrong_generation", "sessions/support+u+s2.db", False) in _kinds(report)
    assert not report.ok


def test_a_damaged_session_file_is_listed_with_its_own_check_report(sessions: Path) -> None:
    rows(_live(sessions, "s2"), "UPDATE adk_sessions SET state = 'not json'")

    report = check_session_folder(sessions)

    assert not report.ok
    assert [problem.path for problem in report.file_problems] == [str(_live(sessions, "s2"))]
    assert report.file_problems[0].invalid_json


async def test_an_archived_file_put_back_by_hand_is_adopted_and_live_again(
    sessions: Path,
) -> None:
    shutil.copyfile(sessions / "archive" / f"{APP}+u+s3.db", _live(sessions, "s3"))

    found = check_session_folder(sessions, repair=True)

    assert _kinds(found) == [("orphan_file", "sessions/support+u+s3.db", True)]
    assert rows(_live(sessions, "s3"), "SELECT archived_at FROM adk_session_file") == [(None,)]
    async with SessionService(SqliteStore.per_session_files(sessions)) as service:
        got = await service.get_session(app_name=APP, user_id="u", session_id="s3")
        assert got is not None
        await service.append_event(got, Event(author="a", invocation_id="i"))
