"""Retention: delete idle sessions or old events, and give the space back.

Age is measured on the Julian-day columns (``update_time`` for sessions,
``timestamp`` for events), which have their own indexes. Deleting a session
deletes its events by ``ON DELETE CASCADE`` (the connection turns foreign keys
on); ``app:`` and ``user:`` state is shared and stays. A session's artifacts stay
too, as they do when ADK deletes a session, unless ``artifacts=True`` asks for its
session-scoped versions to go in the same transaction (``user:`` artifacts belong
to the user and always stay).

Deletion runs in batches. Each batch is one ``BEGIN IMMEDIATE`` transaction
that selects what is old *inside* the transaction and deletes exactly that, so
a session an agent touches while the prune runs is never deleted, a session
never loses some of its events but not others within a batch, and agents
writing to the same file wait for one batch at most, never for the whole
prune. A dry run only reads (it works on a read-only file too).

These functions are synchronous; from async code use `asyncio.to_thread`::

    from adk_sqlite import prune_idle_sessions, vacuum_database

    report = prune_idle_sessions("sessions.db", idle_days=90, app_name="support")
    print(report.sessions_deleted, report.events_deleted)
    vacuum_database("sessions.db")
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal, NamedTuple

import msgspec

from adk_sqlite.codec.events import julian_day_from_unix
from adk_sqlite.errors import ConfigurationError
from adk_sqlite.sqlite.database_file import (
    TableSet,
    open_session_database,
    sqlite_errors,
    write_transaction,
)
from adk_sqlite.storage.store_statements import quoted
from adk_sqlite.timestamps import Instant, instant_from_unix
from adk_sqlite.tools.artifact_tables import choose_artifact_table
from adk_sqlite.tools.maintenance import ProgressCallback

__all__ = [
    "PruneReport",
    "VacuumReport",
    "prune_idle_sessions",
    "prune_old_events",
    "vacuum_database",
]

_SECONDS_PER_DAY = 86400.0
_APP_FILTER = "(?2 IS NULL OR app_name = ?2)"
# Templates: each prune fills in the file's table names (`TableSet.render`).
# Events refer to their session by session_key, the first column of their index.
COUNT_EVENTS_OF_SESSION = 'SELECT count(*) FROM "{events}" WHERE session_key = ?'

# Sessions: the Julian-day update_time has its own index.
COUNT_IDLE_SESSIONS = """
SELECT count(*), coalesce(sum(
    (SELECT count(*) FROM "{events}" AS e WHERE e.session_key = s.session_key)), 0)
FROM "{sessions}" AS s WHERE s.update_time < ?1 AND (?2 IS NULL OR s.app_name = ?2)"""
SELECT_IDLE_BATCH = (
    'SELECT session_key, app_name, user_id, id FROM "{sessions}" WHERE update_time < ?1 AND '
    + _APP_FILTER
    + " LIMIT ?3"
)
DELETE_SESSION = 'DELETE FROM "{sessions}" WHERE session_key = ?'

# Artifacts (``artifacts=True``): a session's own versions, found by its key through
# the artifacts table's unique index. The user scope's session id is '', never a
# session's, and is never touched. {artifacts} is the quoted table name.
COUNT_IDLE_ARTIFACTS = """
SELECT count(*) FROM {artifacts} AS a
WHERE a.session_id <> '' AND EXISTS (
    SELECT 1 FROM "{sessions}" AS s
    WHERE s.app_name = a.app_name AND s.user_id = a.user_id AND s.id = a.session_id
      AND s.update_time < ?1 AND (?2 IS NULL OR s.app_name = ?2))"""
DELETE_SESSION_ARTIFACTS = (
    "DELETE FROM {artifacts} WHERE app_name = ? AND user_id = ? AND session_id = ?"
    " AND session_id <> ''"
)

# Events: the Julian-day timestamp has no index (every append would pay for
# one), so batches walk the table once in seq (rowid) order, each starting
# where the last one stopped instead of rescanning from the start.
COUNT_OLD_EVENTS = (
    'SELECT count(*), count(DISTINCT session_key) FROM "{events}" WHERE timestamp < ?1 AND '
    + _APP_FILTER
)
SELECT_OLD_EVENTS_BATCH = (
    'SELECT seq, session_key FROM "{events}" WHERE seq > ?4 AND timestamp < ?1 AND '
    + _APP_FILTER
    + " ORDER BY seq LIMIT ?3"
)
DELETE_EVENT = 'DELETE FROM "{events}" WHERE seq = ?'

PruneMode = Literal["idle_sessions", "old_events"]


class VacuumReport(msgspec.Struct, kw_only=True):
    """File sizes (database plus its WAL) before and after ``VACUUM``."""

    bytes_before: int
    bytes_after: int


class PruneReport(msgspec.Struct, kw_only=True):
    """What a prune deleted, or would delete on a dry run.

    Attributes:
        mode: ``"idle_sessions"`` or ``"old_events"``.
        cutoff: Sessions last active, or events stamped, before this are deleted.
        sessions_deleted: Sessions deleted (idle mode; 0 when pruning events).
        events_deleted: Events deleted, including those of deleted sessions.
        sessions_affected: Sessions that lost events (old-events mode).
        vacuum: Set when ``VACUUM`` ran afterwards.
        artifacts_deleted: Artifact versions deleted with their sessions
            (``artifacts=True``; 0 otherwise).
        artifact_table: The artifacts table they were deleted from, or None.
    """

    mode: PruneMode
    cutoff: Instant
    app_name: str | None
    dry_run: bool
    sessions_deleted: int
    events_deleted: int
    sessions_affected: int
    vacuum: VacuumReport | None = None
    artifacts_deleted: int = 0
    artifact_table: str | None = None


class _Deleted(NamedTuple):
    """What a prune counted, or deleted: `PruneReport`'s counts, under their names."""

    sessions_deleted: int
    events_deleted: int
    sessions_affected: int
    artifacts_deleted: int = 0


class _Settings(NamedTuple):
    """A prune's options besides its cutoff, in the public functions' order."""

    app_name: str | None
    dry_run: bool
    batch_size: int
    busy_timeout: float
    progress: ProgressCallback | None
    table_set: str | None
    artifacts: bool = False  # only idle sessions take their artifacts along
    artifact_table: str | None = None


_Params = tuple[float, str | None]
"""The cutoff as a Julian day, and the app name or None (``?1`` and ``?2``)."""


def _cutoff(days: float, now: float | None, option: str) -> float:
    if not isinstance(days, int | float) or days < 0:
        raise ConfigurationError(f"{option}={days!r}: expected a number of days >= 0")
    return (time.time() if now is None else now) - days * _SECONDS_PER_DAY


def prune_idle_sessions(
    database: str | os.PathLike[str],
    *,
    idle_days: float,
    app_name: str | None = None,
    dry_run: bool = False,
    now: float | None = None,
    batch_size: int = 500,
    busy_timeout: float = 30.0,
    progress: ProgressCallback | None = None,
    table_set: str | None = None,
    artifacts: bool = False,
    artifact_table: str | None = None,
) -> PruneReport:
    """Deletes sessions with no activity for ``idle_days`` days, with their events.

    Their artifacts stay (as when ADK deletes a session) unless ``artifacts``.

    Args:
        database: The database file (or a ``sqlite:///`` URL).
        idle_days: Sessions whose last update is older than this many days go.
        app_name: Only this app's sessions.
        dry_run: Count what would be deleted; change nothing.
        now: The current time as epoch seconds (default: the clock).
        batch_size: Sessions per transaction.
        busy_timeout: Seconds to wait for the write lock.
        progress: Called with (sessions deleted, sessions to delete).
        table_set: For a file of several stores' tables, the sessions table of
            the one to prune.
        artifacts: Also delete the session-scoped artifact versions of the
            sessions pruned, in each batch's transaction (``user:`` artifacts stay).
        artifact_table: With ``artifacts``, for a file holding several artifacts
            tables: the one to delete from (default: the only one, if any).

    Raises:
        ConfigurationError: ``idle_days`` is negative, or ``artifact_table``
            names no artifacts table of the file (or is needed and missing).
        DatabaseLockedError: Another writer held the lock beyond ``busy_timeout``.
        ReadOnlyDatabaseError: The file cannot be written (not on a dry run).
    """
    cutoff = _cutoff(idle_days, now, "idle_days")
    settings = _Settings(
        app_name, dry_run, batch_size, busy_timeout, progress, table_set, artifacts, artifact_table
    )
    return _prune(database, "idle_sessions", cutoff, settings)


def prune_old_events(
    database: str | os.PathLike[str],
    *,
    older_than_days: float,
    app_name: str | None = None,
    dry_run: bool = False,
    now: float | None = None,
    batch_size: int = 5000,
    busy_timeout: float = 30.0,
    progress: ProgressCallback | None = None,
    table_set: str | None = None,
) -> PruneReport:
    """Deletes events older than ``older_than_days`` days; their sessions stay.

    The sessions' state is not changed (it is the result of all events, old
    ones included), and neither is their last update time.

    Args:
        database: The database file (or a ``sqlite:///`` URL).
        older_than_days: Events stamped earlier than this many days ago go.
        app_name: Only this app's events.
        dry_run: Count what would be deleted; change nothing.
        now: The current time as epoch seconds (default: the clock).
        batch_size: Events per transaction.
        busy_timeout: Seconds to wait for the write lock.
        progress: Called with (events deleted, events to delete).
        table_set: For a file of several stores' tables, the sessions table of
            the one to prune.

    Raises:
        ConfigurationError: ``older_than_days`` is negative.
        DatabaseLockedError: Another writer held the lock beyond ``busy_timeout``.
        ReadOnlyDatabaseError: The file cannot be written (not on a dry run).
    """
    cutoff = _cutoff(older_than_days, now, "older_than_days")
    settings = _Settings(app_name, dry_run, batch_size, busy_timeout, progress, table_set)
    return _prune(database, "old_events", cutoff, settings)


def _prune(
    database: str | os.PathLike[str], mode: PruneMode, cutoff: float, settings: _Settings
) -> PruneReport:
    # Both modes count first (all a dry run does), then delete in batches.
    count, delete = _MODES[mode]
    params = (julian_day_from_unix(cutoff), settings.app_name)
    write, busy_timeout = not settings.dry_run, settings.busy_timeout
    with (
        open_session_database(
            database, write=write, busy_timeout=busy_timeout, table_set=settings.table_set
        ) as db,
        sqlite_errors(db.target),
    ):
        artifact_table = None
        if settings.artifacts:
            artifact_table = choose_artifact_table(
                db.connection, settings.artifact_table, db.target.describe()
            )
        scope = _Scope(db.tables, params, artifact_table)
        deleted = count(db.connection, scope)
        if write:
            batches = _Batches(db.connection, settings.batch_size, settings.progress)
            deleted = delete(batches, scope, deleted)
    return PruneReport(
        mode=mode,
        cutoff=instant_from_unix(cutoff),
        app_name=settings.app_name,
        dry_run=settings.dry_run,
        artifact_table=scope.artifact_table,
        **deleted._asdict(),
    )


class _Scope(NamedTuple):
    """What a prune works on: the table set, ``?1`` and ``?2``, the artifacts table."""

    tables: TableSet
    params: _Params
    artifact_table: str | None

    def render_artifacts(self, template: str) -> str:
        assert self.artifact_table is not None
        return template.format(
            artifacts=quoted(self.artifact_table), sessions=self.tables.names.sessions
        )


class _Batches(NamedTuple):
    """Runs one kind of batch deletion until a batch comes back short."""

    connection: sqlite3.Connection
    size: int
    progress: ProgressCallback | None

    def run(self, delete_batch: Callable[[], int], expected: int) -> int:
        """Calls ``delete_batch`` in its own ``BEGIN IMMEDIATE`` transaction until done.

        Args:
            delete_batch: Deletes at most `size` rows; returns how many it chose.
            expected: The dry-run count, the progress callback's total.

        Returns:
            The rows deleted in all.
        """
        done = 0
        while True:
            with write_transaction(self.connection):
                chosen = delete_batch()
            done += chosen
            if self.progress is not None:
                self.progress(done, max(expected, done))
            if chosen < self.size:
                return done


def _count_idle(connection: sqlite3.Connection, scope: _Scope) -> _Deleted:
    sessions, events = connection.execute(
        scope.tables.render(COUNT_IDLE_SESSIONS), scope.params
    ).fetchone()
    artifacts = 0
    if scope.artifact_table is not None:
        sql = scope.render_artifacts(COUNT_IDLE_ARTIFACTS)
        (artifacts,) = connection.execute(sql, scope.params).fetchone()
    return _Deleted(sessions, events, sessions, artifacts)


def _delete_idle(batches: _Batches, scope: _Scope, expected: _Deleted) -> _Deleted:
    tables, params = scope.tables, scope.params
    select_batch, count_events = (
        tables.render(SELECT_IDLE_BATCH),
        tables.render(COUNT_EVENTS_OF_SESSION),
    )
    delete_session = tables.render(DELETE_SESSION)
    delete_artifacts = None
    if scope.artifact_table is not None:
        delete_artifacts = scope.render_artifacts(DELETE_SESSION_ARTIFACTS)
    connection, events, artifacts = batches.connection, 0, 0

    def delete_batch() -> int:
        nonlocal events, artifacts
        batch = connection.execute(select_batch, (*params, batches.size)).fetchall()
        for session_key, *_ in batch:
            events += connection.execute(count_events, (session_key,)).fetchone()[0]
        connection.executemany(delete_session, [(row[0],) for row in batch])
        if delete_artifacts is not None and batch:
            # In the batch's transaction: a session and its artifacts go together.
            artifacts += connection.executemany(
                delete_artifacts, [row[1:] for row in batch]
            ).rowcount
        return len(batch)

    sessions = batches.run(delete_batch, expected.sessions_deleted)
    return _Deleted(sessions, events, sessions, artifacts)


def _count_old_events(connection: sqlite3.Connection, scope: _Scope) -> _Deleted:
    events, sessions = connection.execute(
        scope.tables.render(COUNT_OLD_EVENTS), scope.params
    ).fetchone()
    return _Deleted(sessions_deleted=0, events_deleted=events, sessions_affected=sessions)


def _delete_old_events(batches: _Batches, scope: _Scope, expected: _Deleted) -> _Deleted:
    tables, params = scope.tables, scope.params
    select_batch, delete_event = tables.render(SELECT_OLD_EVENTS_BATCH), tables.render(DELETE_EVENT)
    connection, last_seq = batches.connection, -1
    sessions: set[int] = set()

    def delete_batch() -> int:
        nonlocal last_seq
        batch = connection.execute(select_batch, (*params, batches.size, last_seq)).fetchall()
        connection.executemany(delete_event, [(row[0],) for row in batch])
        sessions.update(row[1] for row in batch)
        if batch:
            last_seq = batch[-1][0]
        return len(batch)

    events = batches.run(delete_batch, expected.events_deleted)
    return _Deleted(sessions_deleted=0, events_deleted=events, sessions_affected=len(sessions))


_MODES: dict[
    PruneMode,
    tuple[
        Callable[[sqlite3.Connection, _Scope], _Deleted],
        Callable[[_Batches, _Scope, _Deleted], _Deleted],
    ],
] = {
    "idle_sessions": (_count_idle, _delete_idle),
    "old_events": (_count_old_events, _delete_old_events),
}


def _file_bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def vacuum_database(
    database: str | os.PathLike[str], *, busy_timeout: float = 30.0
) -> VacuumReport:
    """Rebuilds the file without its free pages and truncates the WAL.

    ``VACUUM`` needs the write lock for its whole run and temporary space about
    the size of the database; agents writing meanwhile wait (up to their own
    busy timeout).

    Raises:
        DatabaseLockedError: Another writer held the lock beyond ``busy_timeout``.
        ReadOnlyDatabaseError: The file cannot be written.
    """
    # VACUUM rebuilds the whole file, whichever table sets it holds.
    with open_session_database(
        database, write=True, busy_timeout=busy_timeout, any_table_set=True
    ) as db:
        before = _file_bytes(db.path)
        with sqlite_errors(db.target):
            db.connection.execute("VACUUM")
            db.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        after = _file_bytes(db.path)
    return VacuumReport(bytes_before=before, bytes_after=after)
