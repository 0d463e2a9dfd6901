"""Repairs for `adk_sqlite.tools.folder_check`: what ``check DIR --repair`` writes.

Each repair takes the catalog's lock, as the stores do (`FolderChecker.catalog`),
and works with the folder's own table names and owner column (`FolderChecker.tables`,
read from the catalog), so a folder written with renamed tables is repaired in place.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from adk_sqlite.codec.events import julian_day_from_unix
from adk_sqlite.sqlite.database_file import TableSet, open_session_database
from adk_sqlite.sqlite.engine.connection import sqlite_errors
from adk_sqlite.sqlite.engine.writer import WriteLock
from adk_sqlite.sqlite.per_session import forget
from adk_sqlite.sqlite.per_session.folder import (
    SessionFolder,
    connect_session_file,
    file_target,
    transaction,
    unlink_database,
)
from adk_sqlite.sqlite.per_session.jobs import apply_pending
from adk_sqlite.sqlite.per_session.lifecycle import set_aside
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.sqlite.schema.statements import Statements
from adk_sqlite.tools.damaged_events import SetAsideReport
from adk_sqlite.tools.maintenance import CheckReport
from adk_sqlite.tools.session_folder import FolderEntry

__all__ = [
    "FolderChecker",
    "FolderDrift",
    "adopt_orphan",
    "copy_listing",
    "finish_forget",
    "merge_pending",
    "remove_unnamed",
    "set_aside_unreadable",
]


class FolderDrift(msgspec.Struct, kw_only=True):
    """One difference between the catalog and the files (see the module's table).

    Attributes:
        kind: What is wrong, e.g. ``"orphan_file"``.
        file: The file, relative to the folder.
        detail: In words.
        repaired: Whether ``repair`` fixed it.
    """

    kind: str
    file: str
    app_name: str | None = None
    user_id: str | None = None
    session_id: str | None = None
    detail: str
    repaired: bool = False


@dataclass
class FolderChecker:
    """One check of a folder: how to read and repair it, and what it has found so far."""

    folder: Path
    repair: bool
    busy_timeout: float
    # The folder's table set, as the catalog records it; every session file has the same.
    tables: TableSet
    statements: Statements
    file_sessions: str
    drift: list[FolderDrift] = field(default_factory=list)
    set_aside: list[SetAsideReport] = field(default_factory=list)
    # The `CheckReport` of each session file that has problems.
    file_problems: list[CheckReport] = field(default_factory=list)

    def report(self, kind: str, path: Path, detail: str, key: tuple[str, ...] = ()) -> FolderDrift:
        app_name, user_id, session_id = (*key, None, None, None)[:3]
        found = FolderDrift(
            kind=kind,
            file=str(path.relative_to(self.folder)),
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            detail=detail,
        )
        self.drift.append(found)
        return found

    @contextlib.contextmanager
    def catalog(self, *, write_transaction: bool = True) -> Iterator[sqlite3.Connection]:
        """The catalog under the lock the stores take, in one write transaction.

        ``write_transaction=False``: outside a transaction, for work that commits
        its own steps.
        """
        path = self.folder / _psql.CATALOG_FILE
        lock = WriteLock(path, timeout=self.busy_timeout)
        lock.open()
        connection = connect_session_file(
            file_target(path), busy_timeout_ms=int(self.busy_timeout * 1000), synchronous="NORMAL"
        )
        try:
            lock.acquire()
            try:
                writing = transaction(connection) if write_transaction else contextlib.nullcontext()
                with sqlite_errors(file_target(path)), writing:
                    yield connection
            finally:
                lock.release()
        finally:
            connection.close()
            lock.close()


def finish_forget(checker: FolderChecker) -> set[str]:
    """Reports (and with ``repair`` removes) the files a killed ``forget_user`` left.

    Returns the files still listed (relative paths), which the rest of the check
    leaves alone: they are never adopted as orphans.
    """
    with checker.catalog(write_transaction=False) as connection:
        pending = forget.pending_erasures(connection)
        found = [
            checker.report(
                "unfinished_forget", checker.folder / file, "a file forget_user committed to remove"
            )
            for file in pending
        ]
        if not (checker.repair and pending):
            return set(pending)
        forget.finish_pending(checker.folder, connection)
    for drift in found:
        drift.repaired = True
    return set()


def merge_pending(checker: FolderChecker, entry: FolderEntry, key: tuple[str, str, str]) -> None:
    connection = connect_session_file(
        file_target(entry.file, read_only=True),
        busy_timeout_ms=int(checker.busy_timeout * 1000),
        synchronous="NORMAL",
        role="reader",
    )
    try:
        with checker.catalog() as writer:
            current = writer.execute(_psql.SELECT_ENTRY, key).fetchone()
            if current is not None and current[1] == entry.generation:
                apply_pending(
                    writer, connection, checker.statements, key, entry.generation, current[3]
                )
    finally:
        connection.close()


def copy_listing(checker: FolderChecker, entry: FolderEntry, key: tuple[str, str, str]) -> None:
    with checker.catalog() as writer:
        # Read under the catalog lock: a store's own (older) copy cannot land after it.
        with open_session_database(entry.file, busy_timeout=checker.busy_timeout) as db:
            row = db.connection.execute(
                checker.statements.unconfined.select_session, key
            ).fetchone()
        if row is not None:
            writer.execute(
                _psql.SET_LISTING,
                (row[2], julian_day_from_unix(row[4]), row[4], row[5], *key, entry.generation),
            )


def remove_unnamed(checker: FolderChecker, found: FolderDrift, path: Path) -> None:
    if not checker.repair:
        return
    with checker.catalog() as writer:
        if not writer.execute(_psql.SELECT_ENTRY_BY_FILE, (path.name,)).fetchone():
            unlink_database(path)
            found.repaired = True


def set_aside_unreadable(checker: FolderChecker, found: FolderDrift, path: Path) -> None:
    if not checker.repair:
        return
    folder = SessionFolder(checker.folder, checker.statements, 0, "NORMAL")
    with checker.catalog() as writer:
        if not writer.execute(_psql.SELECT_ENTRY_BY_FILE, (path.name,)).fetchone():
            moved = set_aside(folder, path)
            found.detail += f"; moved to {moved.relative_to(checker.folder)}"
            found.repaired = True


def adopt_orphan(
    checker: FolderChecker, path: Path, session: tuple[Any, ...], generation: int
) -> bool:
    """Registers an orphan in the catalog, merging the scope deltas it recorded."""
    app_name, user_id, session_id, state, created, updated, revision = session[:7]
    owner_id = session[7] if checker.tables.owner_column is not None else None
    key = (app_name, user_id, session_id)
    connection = connect_session_file(
        file_target(path, read_only=True),
        busy_timeout_ms=int(checker.busy_timeout * 1000),
        synchronous="NORMAL",
        role="reader",
    )
    try:
        with checker.catalog() as writer:
            if writer.execute(_psql.SELECT_ENTRY, key).fetchone() is not None:
                return False
            _mark_live(path)  # a copy put back from archive/ is live again
            writer.execute(
                _psql.INSERT_ENTRY,
                (
                    *key,
                    path.name,
                    generation,
                    owner_id,
                    state,
                    julian_day_from_unix(created),
                    julian_day_from_unix(updated),
                    created,
                    updated,
                    revision,
                    revision,
                ),
            )
            # Every delta the file still records: the catalog never saw this session.
            apply_pending(writer, connection, checker.statements, key, generation, -1)
    finally:
        connection.close()
    return True


def _mark_live(path: Path) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute(_psql.MARK_LIVE)
    finally:
        connection.close()
