"""Checking a one-file-per-session folder: every file, and the catalog against the files.

`check_session_folder` runs `check_database` on the catalog and on every
session file, and compares the catalog with the files. A process killed in
the middle of a create, delete, archive or append leaves one of the states
below (``kind``); none is a corrupt file, and none makes a store return a
wrong answer, but each is reported, and ``repair=True`` finishes what was
interrupted, under the catalog's lock, so agents may keep running:

=============================  ==========================================================
kind                           repair
=============================  ==========================================================
``unmerged_state``             merge the ``app:``/``user:`` deltas an append stored in
                               its session file into the catalog
``stale_listing``              copy the session's listing data from its file
``empty_session_file``         the catalog names a file that does not hold the session
                               (emptied by hand): drop the catalog row and the file
``missing_file``               the catalog names a file that is gone: drop the row
``unfinished_archive``         the file of a session already archived (the archive
                               committed, the file was not removed yet): remove it
``archive_copy_of_live_session``  an archive copy of a session still live (its archive
                               did not commit): remove the copy
``orphan_file``                a session file no catalog row names (a create that did not
                               commit, or an archived file put back by hand): register it
``deleted_file``               a file without a session and without a catalog row:
                               remove it
``temporary_file``             ``sessions/.creating-*``, ``archive/.*.partial-*``: remove it
``unreadable_file``            not a session file of this layout: move it to ``orphans/``
``unfinished_forget``          a file a ``forget_user`` committed to remove (the process
                               was killed before it did): remove it
``wrong_generation``           the file is not the one the catalog row was written for:
                               reported only
=============================  ==========================================================

A session file with events that cannot be decoded is listed in
``file_problems``; ``repair=True`` moves those events to the file's
``adk_damaged_events`` table (see `adk_sqlite.tools.damaged_events`) and lists them
in ``set_aside``.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import msgspec

from adk_sqlite.errors import AdkSqliteError
from adk_sqlite.sqlite.database_file import open_session_database
from adk_sqlite.sqlite.per_session.file_names import FILE_SUFFIX, session_file_name
from adk_sqlite.sqlite.per_session.folder import (
    file_identity,
    unlink_database,
)
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.tools.damaged_events import SetAsideReport, set_aside_damaged_events
from adk_sqlite.tools.folder_repair import (
    FolderChecker,
    FolderDrift,
    adopt_orphan,
    copy_listing,
    finish_forget,
    merge_pending,
    remove_unnamed,
    set_aside_unreadable,
)
from adk_sqlite.tools.maintenance import CheckReport, ProgressCallback, check_database
from adk_sqlite.tools.session_folder import FolderEntry, catalog_entries

__all__ = ["FolderCheckReport", "FolderDrift", "check_session_folder"]

_SIDECARS = ("-wal", "-shm", "-journal", "-lock")
# A template: the listing data of the session(s) in a file, then its owner (if any).
_FILE_SESSIONS = (
    "SELECT app_name, user_id, id, state, create_time_unix, update_time_unix, revision {owner}"
    ' FROM "{sessions}"'
)


class FolderCheckReport(msgspec.Struct, kw_only=True):
    """The health of a folder; ``ok`` when every file is sound and nothing is left drifting.

    Attributes:
        sessions: Live sessions the catalog lists.
        files_checked: Session files checked with `check_database`.
        catalog: The catalog's own `CheckReport`.
        file_problems: The `CheckReport` of each session file that has problems.
        drift: Differences between the catalog and the files.
        repair: Whether repairs were asked for.
        set_aside: With ``repair``, each session file whose damaged events
            were moved aside.
    """

    ok: bool
    path: str
    sessions: int
    files_checked: int
    catalog: CheckReport
    file_problems: list[CheckReport]
    drift: list[FolderDrift]
    repair: bool
    set_aside: list[SetAsideReport] = msgspec.field(default_factory=list)


def check_session_folder(
    folder: str | os.PathLike[str],
    *,
    repair: bool = False,
    progress: ProgressCallback | None = None,
    busy_timeout: float = 5.0,
) -> FolderCheckReport:
    """Checks every file of a folder and the catalog against the files; optionally repairs.

    Args:
        folder: The folder (it has a ``catalog.db``).
        repair: Finish what interrupted operations left (see the module's table).
        progress: Called with (files checked, files in all).
        busy_timeout: Seconds to wait for a lock.

    Raises:
        DatabaseUnavailableError: Not a folder of sessions.
    """
    root = Path(folder)
    catalog_report = check_database(root / _psql.CATALOG_FILE, busy_timeout=busy_timeout)
    entries = catalog_entries(root, busy_timeout=busy_timeout)
    with open_session_database(root / _psql.CATALOG_FILE, busy_timeout=busy_timeout) as db:
        tables = db.tables
    checker = FolderChecker(
        root, repair, busy_timeout, tables, tables.statements(), tables.render(_FILE_SESSIONS)
    )
    # First: a killed forget's files are never taken for orphans.
    forgotten = finish_forget(checker)
    sessions_dir = root / _psql.SESSIONS_FOLDER
    on_disk = {
        name
        for name in _database_files(sessions_dir)
        if f"{_psql.SESSIONS_FOLDER}/{name}" not in forgotten
    }
    named = {entry.file.name for entry in entries}
    archived = _archive_copies(root / _psql.ARCHIVE_FOLDER, named | on_disk, checker)
    total = len(entries) + len(on_disk - named)
    checked = 0
    for entry in entries:
        checked += _check_entry(checker, entry, archived)
        if progress is not None:
            progress(checked, total)
    for name in sorted(on_disk - named):
        checked += _check_unnamed(checker, sessions_dir / name, archived)
        if progress is not None:
            progress(checked, total)
    leftovers = [
        *sessions_dir.glob(_psql.BUILDING_PREFIX + "*" + FILE_SUFFIX),
        *(root / _psql.ARCHIVE_FOLDER).glob(".*" + FILE_SUFFIX + _psql.PARTIAL_MARK + "*"),
    ]
    for path in sorted(leftovers):
        if not path.name.endswith(_SIDECARS):
            found = checker.report("temporary_file", path, "a create or archive that never ended")
            if repair:
                unlink_database(path)
                found.repaired = True
    settled = all(d.repaired for d in checker.drift)
    return FolderCheckReport(
        ok=catalog_report.ok and not checker.file_problems and settled,
        path=str(root),
        sessions=len(entries),
        files_checked=checked,
        catalog=catalog_report,
        file_problems=checker.file_problems,
        drift=checker.drift,
        repair=repair,
        set_aside=checker.set_aside,
    )


def _database_files(folder: Path) -> set[str]:
    if not folder.is_dir():
        return set()
    return {
        path.name
        for path in folder.iterdir()
        if path.name.endswith(FILE_SUFFIX)
        and not path.name.startswith(".")
        and not path.name.endswith(_SIDECARS)
        and path.is_file()
    }


Copies = dict[tuple[Any, ...], Path]


def _archive_copies(archive: Path, live_names: set[str], checker: FolderChecker) -> Copies:
    """Archived files of sessions that have a file in ``sessions/``, by (key, generation).

    Only those can be half of an unfinished archive: an archive's copy is named
    like the file it copies (with ``.2``, ``.3`` ... when the name was taken).
    """
    copies: Copies = {}
    for name in sorted(_database_files(archive)):
        stem = name[: -len(FILE_SUFFIX)].split(".")[0]
        if stem + FILE_SUFFIX not in live_names:
            continue
        try:
            with open_session_database(archive / name, busy_timeout=checker.busy_timeout) as db:
                sessions = db.connection.execute(checker.file_sessions).fetchall()
                marks = db.connection.execute(_psql.SELECT_FILE_MARKS).fetchone()
        except (AdkSqliteError, sqlite3.Error):
            continue  # not ours to judge: the archive is the user's
        if len(sessions) == 1 and marks is not None:
            copies[(*sessions[0][:3], marks[0])] = archive / name
    return copies


def _check_entry(checker: FolderChecker, entry: FolderEntry, archived: Copies) -> int:
    key = (entry.app_name, entry.user_id, entry.id)
    identity = file_identity(entry.file)
    if identity is None:
        found = checker.report("missing_file", entry.file, "the catalog names a missing file", key)
        if checker.repair:
            with checker.catalog() as writer:
                if file_identity(entry.file) is None:
                    writer.execute(_psql.DELETE_ENTRY, (*key, entry.generation))
                    found.repaired = True
        return 0
    try:
        report = check_database(entry.file, busy_timeout=checker.busy_timeout)
        if checker.repair and report.damaged_events:
            # A session file's own write lock (BEGIN IMMEDIATE) is all an append takes first.
            checker.set_aside.append(
                set_aside_damaged_events(entry.file, busy_timeout=checker.busy_timeout)
            )
            report = check_database(entry.file, busy_timeout=checker.busy_timeout)
    except AdkSqliteError as exc:
        checker.report("unreadable_file", entry.file, str(exc), key)
        return 1
    if not report.ok:
        checker.file_problems.append(report)
    copy = archived.get((*key, entry.generation))
    if copy is not None:
        found = checker.report(
            "archive_copy_of_live_session",
            copy,
            f"an archive of a live session that did not commit ({entry.file.name})",
            key,
        )
        if checker.repair:
            unlink_database(copy)
            found.repaired = True
    _compare_with_file(checker, entry, key)
    return 1


def _compare_with_file(
    checker: FolderChecker, entry: FolderEntry, key: tuple[str, str, str]
) -> None:
    with open_session_database(entry.file, busy_timeout=checker.busy_timeout) as db:
        connection = db.connection
        row = connection.execute(checker.statements.unconfined.select_session, key).fetchone()
        generation = connection.execute(_psql.SELECT_GENERATION).fetchone()
        (pending,) = connection.execute(_psql.SELECT_NEWEST_PENDING_REVISION).fetchone()
    if row is None:
        found = checker.report(
            "empty_session_file", entry.file, "the file does not hold its session", key
        )
        if checker.repair:
            with checker.catalog() as writer:
                writer.execute(_psql.DELETE_ENTRY, (*key, entry.generation))
                unlink_database(entry.file)
                found.repaired = True
        return
    if generation is None or generation[0] != entry.generation:
        checker.report(
            "wrong_generation", entry.file, "the file is not the one its catalog row names", key
        )
        return
    if pending is not None and pending > entry.scope_revision:
        found = checker.report(
            "unmerged_state", entry.file, "app:/user: deltas not merged into the catalog", key
        )
        if checker.repair:
            merge_pending(checker, entry, key)
            found.repaired = True
    if (row[2], row[4], row[5]) != (entry.state, entry.update_time, entry.revision):
        found = checker.report(
            "stale_listing",
            entry.file,
            f"catalog at revision {entry.revision}, file at {row[5]}",
            key,
        )
        if checker.repair:
            copy_listing(checker, entry, key)
            found.repaired = True


def _check_unnamed(checker: FolderChecker, path: Path, archived: Copies) -> int:
    """A file in ``sessions/`` that no catalog row names."""
    try:
        with open_session_database(path, busy_timeout=checker.busy_timeout) as db:
            sessions = db.connection.execute(checker.file_sessions).fetchall()
            marks = db.connection.execute(_psql.SELECT_FILE_MARKS).fetchone()
    except (AdkSqliteError, sqlite3.Error) as exc:
        set_aside_unreadable(checker, checker.report("unreadable_file", path, str(exc)), path)
        return 1
    if not sessions:
        found = checker.report("deleted_file", path, "no session and no catalog row: deleted")
        remove_unnamed(checker, found, path)
        return 1
    key = tuple(sessions[0][:3])
    if len(sessions) != 1 or marks is None or session_file_name(*key) != path.name:
        found = checker.report(
            "unreadable_file", path, "not a session file of this layout (name or contents)"
        )
        set_aside_unreadable(checker, found, path)
        return 1
    copy = archived.get((*key, marks[0]))
    if copy is not None and marks[1] is None:
        found = checker.report("unfinished_archive", path, f"already archived as {copy.name}", key)
        remove_unnamed(checker, found, path)
        return 1
    found = checker.report("orphan_file", path, "a session file the catalog does not list", key)
    if checker.repair:
        found.repaired = adopt_orphan(checker, path, sessions[0], int(marks[0]))
        if not found.repaired:
            found.detail += "; its session is live in another file, so it was left alone"
    return 1
