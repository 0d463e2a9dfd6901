"""Retention that knows compaction: delete the raw events ADK will never read again.

ADK's event compaction summarises old invocations but keeps their raw events,
and reads them all on every turn. `prune_compacted_events` deletes the ones the
rule of ``skip_compacted_events`` (`adk_sqlite.adk.compaction_view`) proves ADK
will not read again: *plain* events (no actions, branch, long-running tool ids
or isolation scope) inside compaction ranges, before the rule's cut. On top of
the rule it keeps every event that holds a function call or response, so that a
response arriving later (ADK pairs it with its call across compactions) still
finds its call. Flagged events (compactions, state deltas, artifact deltas,
transfers, rewinds...) are never deleted, so state, rewinds of the kept events
and call matching are unaffected; the session's state, revision and update
time do not change.

Each session is decided and pruned in one ``BEGIN IMMEDIATE`` transaction, so
an append to it waits for that session only. A session whose history makes the
rule fall back (a rewind, a branch or isolation scope, an odd compaction, a
check that fails) is refused: nothing of it is deleted, and the report says
why. The compaction settings must be the App's (``app.events_compaction_config``):
the sliding window's ``overlap_size`` decides how far back the next compaction
re-reads.

Limits: pruning is not reversible. A later rewind to an invocation whose raw
events were pruned cannot bring them back (ADK would read the summaries
instead, or find no such invocation). SQLite files and one-file-per-session
folders only; a PostgreSQL URL is refused::

    from google.adk.apps.app import EventsCompactionConfig
    from adk_sqlite import prune_compacted_events

    config = EventsCompactionConfig(compaction_interval=3, overlap_size=1)
    report = prune_compacted_events("sessions.db", events_compaction_config=config)
    print(report.events_deleted, report.sessions_refused)
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import msgspec
from google.adk.apps.app import EventsCompactionConfig

from adk_sqlite.adk.compaction_view import NO_COMPACTION, is_faithful, span_or_fallback
from adk_sqlite.codec.content import decode_content
from adk_sqlite.codec.fast import decode_events
from adk_sqlite.errors import ConfigurationError
from adk_sqlite.records import EventQuery
from adk_sqlite.sqlite.database_file import (
    open_session_database,
    sqlite_errors,
    write_transaction,
)
from adk_sqlite.sqlite.read_transaction import read_transaction
from adk_sqlite.sqlite.schema.sql import PLAIN_EVENT
from adk_sqlite.sqlite.schema.statements import Statements
from adk_sqlite.sqlite.shared_file.jobs import select_events
from adk_sqlite.sqlite.table_sets import TableSet
from adk_sqlite.tools.forgetting import is_postgres_url
from adk_sqlite.tools.maintenance import ProgressCallback
from adk_sqlite.tools.retention import VacuumReport
from adk_sqlite.tools.session_folder import catalog_entries, is_session_folder

__all__ = [
    "CompactedPruneReport",
    "RefusedSession",
    "compaction_config",
    "prune_compacted_events",
]

# Templates: each file fills in its table names (`TableSet.render`).
SELECT_SESSIONS = (
    'SELECT session_key, app_name, user_id, id FROM "{sessions}"'
    " WHERE (?1 IS NULL OR app_name = ?1) ORDER BY session_key"
)
# The deletable candidates: plain events of the span (the flagged index holds
# the others, so these are the rows outside it).
SELECT_PLAIN_IN_SPAN = (
    'SELECT seq, id, content FROM "{events}" WHERE session_key = ?1'
    " AND timestamp_unix >= ?2 AND timestamp_unix < ?3 AND " + PLAIN_EVENT
)
DELETE_EVENT = 'DELETE FROM "{events}" WHERE seq = ?'

_FLAGGED = EventQuery(include_plain=False)


class RefusedSession(msgspec.Struct, kw_only=True):
    """A session left whole, because ADK may still read all of its history."""

    app_name: str
    user_id: str
    session_id: str
    reason: str


class CompactedPruneReport(msgspec.Struct, kw_only=True):
    """What `prune_compacted_events` deleted, or would delete on a dry run.

    Attributes:
        sessions_examined: Sessions looked at (of ``app_name``, if given).
        sessions_pruned: Sessions that lost events.
        sessions_without_compaction: Sessions with no compaction event yet.
        events_deleted: Raw events deleted.
        sessions_refused: The sessions left whole though compacted, and why.
        vacuum: Set when ``VACUUM`` ran afterwards (the command line's ``--vacuum``).
    """

    app_name: str | None
    dry_run: bool
    sessions_examined: int = 0
    sessions_pruned: int = 0
    sessions_without_compaction: int = 0
    events_deleted: int = 0
    sessions_refused: list[RefusedSession] = msgspec.field(default_factory=list)
    vacuum: VacuumReport | None = None


def compaction_config(
    compaction_interval: int | None,
    overlap_size: int | None,
    token_threshold: int | None,
    event_retention_size: int | None,
) -> EventsCompactionConfig:
    """An ``EventsCompactionConfig`` from its four numbers, as an App would set them.

    Raises:
        ValueError: A pair is given half, or neither pair is.
    """
    if (compaction_interval is None) != (overlap_size is None):
        raise ValueError("compaction_interval and overlap_size go together")
    if (token_threshold is None) != (event_retention_size is None):
        raise ValueError("token_threshold and event_retention_size go together")
    if compaction_interval is None and token_threshold is None:
        raise ValueError(
            "give the App's compaction settings: compaction_interval and overlap_size,"
            " or token_threshold and event_retention_size, or both pairs"
        )
    return EventsCompactionConfig(
        compaction_interval=compaction_interval,
        overlap_size=overlap_size,
        token_threshold=token_threshold,
        event_retention_size=event_retention_size,
    )


def prune_compacted_events(
    database: str | os.PathLike[str],
    *,
    events_compaction_config: EventsCompactionConfig,
    app_name: str | None = None,
    dry_run: bool = False,
    busy_timeout: float = 30.0,
    progress: ProgressCallback | None = None,
    table_set: str | None = None,
) -> CompactedPruneReport:
    """Deletes the raw events a compaction covers that ADK will never read again.

    Args:
        database: A database file (or ``sqlite:///`` URL), or a folder of
            session files.
        events_compaction_config: The App's ``events_compaction_config`` (its
            summarizer is not used).
        app_name: Only this app's sessions.
        dry_run: Count what would be deleted; change nothing.
        busy_timeout: Seconds to wait for the write lock.
        progress: Called with (sessions done, sessions to examine).
        table_set: For a file of several stores' tables, the sessions table of
            the one to prune (not for a folder).

    Raises:
        ConfigurationError: A PostgreSQL URL, or ``table_set`` with a folder.
        DatabaseLockedError: Another writer held the lock beyond ``busy_timeout``.
        ReadOnlyDatabaseError: The file cannot be written (not on a dry run).
    """
    if is_postgres_url(database):
        raise ConfigurationError(
            "pruning compacted events works on SQLite files and folders of session files;"
            " on PostgreSQL, use SessionService(skip_compacted_events=True) to read less instead"
        )
    report = CompactedPruneReport(app_name=app_name, dry_run=dry_run)
    pruning = _Pruning(events_compaction_config, dry_run, report)
    if is_session_folder(database):
        if table_set is not None:
            raise ConfigurationError("table_set does not apply to a folder of session files")
        entries = [
            entry
            for entry in catalog_entries(database, busy_timeout=busy_timeout)
            if app_name is None or entry.app_name == app_name
        ]
        for done, entry in enumerate(entries, start=1):
            with _opened(entry.file, dry_run, busy_timeout, None) as (connection, tables):
                pruning.all_of(connection, tables, None)
            if progress is not None:
                progress(done, len(entries))
        return report
    with _opened(database, dry_run, busy_timeout, table_set) as (connection, tables):
        pruning.all_of(connection, tables, app_name, progress)
    return report


@contextlib.contextmanager
def _opened(
    database: str | os.PathLike[str] | Path,
    dry_run: bool,
    busy_timeout: float,
    table_set: str | None,
) -> Iterator[tuple[sqlite3.Connection, TableSet]]:
    with (
        open_session_database(
            database, write=not dry_run, busy_timeout=busy_timeout, table_set=table_set
        ) as db,
        sqlite_errors(db.target),
    ):
        yield db.connection, db.tables


class _Pruning:
    """One prune's settings and its report, applied file after file."""

    def __init__(
        self, config: EventsCompactionConfig, dry_run: bool, report: CompactedPruneReport
    ) -> None:
        self.config = config
        self.dry_run = dry_run
        self.report = report

    def all_of(
        self,
        connection: sqlite3.Connection,
        tables: TableSet,
        app_name: str | None,
        progress: ProgressCallback | None = None,
    ) -> None:
        """Prunes every session of the file (of ``app_name``), one transaction each."""
        sessions = connection.execute(tables.render(SELECT_SESSIONS), (app_name,)).fetchall()
        statements = tables.statements()
        for done, (session_key, *key) in enumerate(sessions, start=1):
            # A dry run reads too: every read of the session sees one state.
            transaction = (
                read_transaction(connection) if self.dry_run else write_transaction(connection)
            )
            with transaction:
                self._session(connection, tables, statements, session_key, tuple(key))
            if progress is not None:
                progress(done, len(sessions))

    def _session(
        self,
        connection: sqlite3.Connection,
        tables: TableSet,
        statements: Statements,
        session_key: int,
        key: tuple[str, str, str],
    ) -> None:
        report = self.report
        report.sessions_examined += 1
        flagged = decode_events(select_events(connection, statements, key, _FLAGGED), fast=True)
        span = span_or_fallback(flagged, self.config)
        if span == NO_COMPACTION:
            report.sessions_without_compaction += 1
            return
        if isinstance(span, str):
            self._refuse(key, span)
            return
        view = select_events(connection, statements, key, EventQuery(skip_plain_between=span))
        if not is_faithful(decode_events(view, fast=True), span, self.config):
            self._refuse(
                key,
                "the events ADK would still read fail a check (a call left out of a response"
                " it answers, an old pending long-running call, an overlap that is not whole,"
                " or interleaved invocations)",
            )
            return
        candidates = connection.execute(
            tables.render(SELECT_PLAIN_IN_SPAN), (session_key, *span)
        ).fetchall()
        doomed = [
            (seq,) for seq, event_id, content in candidates if not _has_calls(content, event_id)
        ]
        if not doomed:
            return
        if not self.dry_run:
            connection.executemany(tables.render(DELETE_EVENT), doomed)
        report.sessions_pruned += 1
        report.events_deleted += len(doomed)

    def _refuse(self, key: tuple[str, str, str], reason: str) -> None:
        app_name, user_id, session_id = key
        self.report.sessions_refused.append(
            RefusedSession(app_name=app_name, user_id=user_id, session_id=session_id, reason=reason)
        )


def _has_calls(content: str | None, event_id: str) -> bool:
    """Whether an event's content holds a function call or response (those stay)."""
    message = decode_content(content, event_id=event_id)
    if message is None:
        return False
    return any(
        part.function_call is not None or part.function_response is not None
        for part in message.parts
    )
