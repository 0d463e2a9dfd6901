"""Bringing sessions over from google-adk's own stores, so switching loses no history.

Two source layouts are understood, both read with a read-only connection:

* a file written by ADK's ``SqliteSessionService`` (tables ``sessions``,
  ``events`` with an ``event_data`` JSON column, ``app_states``,
  ``user_states``; times are epoch ``REAL``);
* a SQLite file written by ADK's ``DatabaseSessionService`` with its current
  (v1, JSON) schema: the same four tables plus ``adk_internal_metadata``, times
  as naive UTC ``DATETIME`` text. Its legacy v0 (pickle) schema is refused
  with a pointer to ADK's own migration command.

Sessions and events are written through a `SqliteStore` with their original
ids and exact timestamps (an event's epoch float is taken from its JSON, which
is exact in both layouts; session create times come from the table), each event
with its view (`adk_sqlite.adk.compaction_view.event_view`) as `SessionService`
stores it, so that ``skip_compacted_events`` reads an imported session by the
views rather than the earlier, slower way. A
session's state arrives whole when the session is created; events already in
the destination (matched by id) are skipped, and an event added to the source
since an earlier import is appended with its own session-state change, so
running the import again is harmless and picks up what is new.

``app:`` and ``user:`` state rows are merged key by key (``dict.update``) into
the destination when the source row is at least as recent as the destination's;
a destination row updated later than the source's (because agents have already
been using adk-sqlite) is kept as it is and counted in ``states_kept``.

`import_adk_database` is async, because it writes through a `SqliteStore`::

    import asyncio

    from adk_sqlite import import_adk_database

    report = asyncio.run(import_adk_database("adk_sessions.db", "sessions.db"))
    print(report.sessions_created, report.events_imported)
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from typing import Any

from google.adk.events.event import Event

from adk_sqlite.adk.compaction_view import event_view
from adk_sqlite.codec.events import encode_event, julian_day_from_unix
from adk_sqlite.codec.state import decode_state, encode_state, split_state_delta
from adk_sqlite.errors import ConfigurationError
from adk_sqlite.records import EventQuery, StaleCheck, StateDelta
from adk_sqlite.sqlite import SqliteStore
from adk_sqlite.sqlite.database_file import (
    APP_STATES_TABLE,
    USER_STATES_TABLE,
    connect_for_writing,
    sqlite_errors,
    write_transaction,
)
from adk_sqlite.sqlite.engine.connection import DatabaseTarget, parse_database
from adk_sqlite.tools.maintenance import ProgressCallback
from adk_sqlite.transfer.adk_source import (
    AdkLayout,
    AdkSource,
    detect_adk_layout,
    plain_state,
    unix_seconds,
)
from adk_sqlite.transfer.import_destination import check_destination
from adk_sqlite.transfer.import_report import ImportReportBase

__all__ = ["AdkLayout", "ImportReport", "detect_adk_layout", "import_adk_database"]

SELECT_APP_STATE = f"SELECT state, update_time FROM {APP_STATES_TABLE} WHERE app_name = ?"
UPSERT_APP_STATE = f"""
INSERT INTO {APP_STATES_TABLE} (app_name, state, update_time) VALUES (?, ?, ?)
ON CONFLICT (app_name) DO UPDATE SET state = excluded.state, update_time = excluded.update_time"""
SELECT_USER_STATE = (
    f"SELECT state, update_time FROM {USER_STATES_TABLE} WHERE app_name = ? AND user_id = ?"
)
UPSERT_USER_STATE = f"""
INSERT INTO {USER_STATES_TABLE} (app_name, user_id, state, update_time) VALUES (?, ?, ?, ?)
ON CONFLICT (app_name, user_id)
DO UPDATE SET state = excluded.state, update_time = excluded.update_time"""

_NO_EVENTS = EventQuery(limit=0)


class ImportReport(ImportReportBase, kw_only=True):
    """What an import wrote.

    Attributes:
        layout: Which ADK service wrote the source.
        sessions_created: Sessions new to the destination.
        sessions_updated: Sessions that existed and received new events.
        sessions_unchanged: Sessions that were already complete.
        events_imported: Events written.
        events_already_present: Source events the destination already held.
        app_states_merged: ``app:`` state rows that changed.
        user_states_merged: ``user:`` state rows that changed.
        states_kept: State rows left alone because the destination's were newer.
    """

    layout: AdkLayout
    sessions_created: int = 0
    sessions_updated: int = 0
    sessions_unchanged: int = 0
    events_imported: int = 0
    events_already_present: int = 0
    app_states_merged: int = 0
    user_states_merged: int = 0
    states_kept: int = 0


async def import_adk_database(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    progress: ProgressCallback | None = None,
    busy_timeout: float = 30.0,
) -> ImportReport:
    """Imports every session, event and state row of an ADK session database.

    Args:
        source: A file written by ADK's ``SqliteSessionService`` or by
            ``DatabaseSessionService`` on SQLite (a path or ``sqlite:///`` URL).
        destination: The adk-sqlite database; created if it does not exist.
        progress: Called with (source events handled, source events in total).
        busy_timeout: Seconds to wait for a lock on either file.

    Raises:
        ConfigurationError: ``source`` and ``destination`` are the same file.
        DatabaseUnavailableError: A file is missing or not a database.
        SchemaError: The source is not an ADK session database (or uses ADK's
            legacy v0 schema), or the destination is not adk-sqlite's.
        DatabaseLockedError: The destination stayed locked beyond the busy timeout.
    """
    destination_target = parse_database(destination)
    if destination_target.path is None:
        raise ConfigurationError("the import destination must be a file")
    reader = await asyncio.to_thread(AdkSource, source, busy_timeout=busy_timeout)
    try:
        assert reader.target.path is not None
        await asyncio.to_thread(check_destination, destination_target, reader.target.path)
        report = ImportReport(
            source=reader.target.describe(),
            destination=destination_target.describe(),
            layout=reader.layout,
        )
        async with SqliteStore(destination, busy_timeout=busy_timeout) as store:
            sessions, total = await asyncio.to_thread(reader.sessions)
            handled = 0
            for app_name, user_id, session_id, state_json, create_time in sessions:
                events = await asyncio.to_thread(reader.events, app_name, user_id, session_id)
                await _import_session(
                    store,
                    (app_name, user_id, session_id),
                    plain_state(state_json, f"session {session_id!r} state"),
                    unix_seconds(create_time),
                    events,
                    report,
                )
                handled += len(events)
                if progress is not None:
                    progress(handled, max(total, handled))
        app_rows, user_rows = await asyncio.to_thread(reader.scoped_states)
    finally:
        await asyncio.to_thread(reader.close)
    await asyncio.to_thread(
        _merge_scoped_states, destination_target, app_rows, user_rows, report, busy_timeout
    )
    return report


async def _import_session(
    store: SqliteStore,
    session_key: tuple[str, str, str],
    state: dict[str, Any],
    create_time: float,
    events: list[Event],
    report: ImportReport,
) -> None:
    app_name, user_id, session_id = session_key
    key = {"app_name": app_name, "user_id": user_id, "session_id": session_id}
    existing = await store.read_session(**key, events=_NO_EVENTS)
    if existing is None:
        created = await store.create_session(
            **key, state=StateDelta(session=state), create_time=create_time
        )
        revision, present = created.session.revision, set()
        report.sessions_created += 1
    else:
        revision = existing.session.revision
        stored = await store.get_events(app_name=app_name, user_id=user_id, session_id=session_id)
        present = {record.id for record in stored}
    missing = [event for event in events if event.id not in present]
    report.events_already_present += len(events) - len(missing)
    if existing is not None:
        if missing:
            report.sessions_updated += 1
        else:
            report.sessions_unchanged += 1
    for event in missing:
        # A new session was created with its final state; an existing one
        # replays the session-state change of each event it lacks.
        delta = (
            StateDelta()
            if existing is None
            else StateDelta(session=split_state_delta(event.actions.state_delta).session)
        )
        # With its view, as `SessionService` appends it, so that ``skip_compacted_events``
        # reads an imported session by the views rather than the earlier way.
        result = await store.append_event(
            event=encode_event(event, app_name=app_name, user_id=user_id, session_id=session_id),
            delta=delta,
            expected=StaleCheck(revision=revision),
            view=event_view(event),
        )
        revision = result.revision
        report.events_imported += 1


def _merge_scoped_states(
    target: DatabaseTarget,
    app_rows: list[tuple[Any, ...]],
    user_rows: list[tuple[Any, ...]],
    report: ImportReport,
    busy_timeout: float,
) -> None:
    """Merges source ``app:``/``user:`` rows into the destination in one transaction."""
    connection = connect_for_writing(target, busy_timeout=busy_timeout)
    try:
        with sqlite_errors(target), write_transaction(connection):
            for app_name, state, update_time in app_rows:
                changed = _merge_row(
                    connection,
                    (SELECT_APP_STATE, UPSERT_APP_STATE),
                    (app_name,),
                    plain_state(state, f"app {app_name!r} state"),
                    update_time,
                    report,
                )
                report.app_states_merged += changed
            for app_name, user_id, state, update_time in user_rows:
                changed = _merge_row(
                    connection,
                    (SELECT_USER_STATE, UPSERT_USER_STATE),
                    (app_name, user_id),
                    plain_state(state, f"user {user_id!r} state"),
                    update_time,
                    report,
                )
                report.user_states_merged += changed
    finally:
        connection.close()


def _merge_row(
    connection: sqlite3.Connection,
    statements: tuple[str, str],
    key: tuple[str, ...],
    source_state: dict[str, Any],
    source_update_time: Any,
    report: ImportReport,
) -> bool:
    select_sql, upsert_sql = statements
    source_julian_day = julian_day_from_unix(unix_seconds(source_update_time))
    row = connection.execute(select_sql, key).fetchone()
    if row is None and not source_state:
        return False  # like the store, keep no row for a scope that never held a key
    current: dict[str, Any] = {}
    if row is not None:
        if row[1] > source_julian_day:
            report.states_kept += 1
            return False
        current = decode_state(row[0], what=f"state {key!r}")
    merged = {**current, **source_state}
    if row is not None and merged == current and row[1] == source_julian_day:
        return False
    connection.execute(upsert_sql, (*key, encode_state(merged), source_julian_day))
    return True
