"""Reading google-adk's own session databases, for `adk_sqlite.transfer.adk_import`.

Two layouts, both opened read-only:

* ADK's ``SqliteSessionService``: ``sessions``, ``events`` (an ``event_data``
  JSON column), ``app_states`` and ``user_states``; times are epoch ``REAL``.
* ADK's ``DatabaseSessionService`` on SQLite with its v1 (JSON) schema: the
  same four tables plus ``adk_internal_metadata``; times are naive UTC
  ``DATETIME`` text to the microsecond. An event's exact epoch float is in its
  JSON in both layouts. The legacy v0 (pickle) schema is refused.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import UTC, datetime
from typing import Any, Literal

from google.adk.events.event import Event

from adk_sqlite.codec.state import json_safe
from adk_sqlite.errors import SchemaError
from adk_sqlite.sqlite.database_file import connect_read_only, resolve_file, sqlite_errors
from adk_sqlite.sqlite.engine.connection import DatabaseTarget

__all__ = ["AdkLayout", "AdkSource", "detect_adk_layout", "plain_state", "unix_seconds"]

AdkLayout = Literal["sqlite_session_service", "database_session_service"]

_SELECT_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"
_SELECT_COLUMNS = "SELECT name FROM pragma_table_info(?)"
SELECT_ADK_SCHEMA_VERSION = "SELECT value FROM adk_internal_metadata WHERE key = 'schema_version'"
SELECT_SOURCE_SESSIONS = (
    "SELECT app_name, user_id, id, state, create_time FROM sessions ORDER BY app_name, user_id, id"
)
COUNT_SOURCE_EVENTS = "SELECT count(*) FROM events"
# The order each ADK service reads a session's events in: ties in append
# order (rowid) for SqliteSessionService, by id for DatabaseSessionService.
SELECT_SQLITE_SERVICE_EVENTS = """
SELECT id, invocation_id, timestamp, event_data FROM events
WHERE app_name = ? AND user_id = ? AND session_id = ? ORDER BY timestamp, rowid"""
SELECT_DATABASE_SERVICE_EVENTS = """
SELECT id, invocation_id, timestamp, event_data FROM events
WHERE app_name = ? AND user_id = ? AND session_id = ? ORDER BY timestamp, id"""
SELECT_SOURCE_APP_STATES = "SELECT app_name, state, update_time FROM app_states"
SELECT_SOURCE_USER_STATES = "SELECT app_name, user_id, state, update_time FROM user_states"


def detect_adk_layout(source: str | os.PathLike[str]) -> AdkLayout:
    """Says which ADK session service wrote ``source``.

    Raises:
        DatabaseUnavailableError: The file is missing or not a database.
        SchemaError: It is not an ADK session database, or uses
            ``DatabaseSessionService``'s legacy v0 (pickle) schema.
    """
    target = resolve_file(source)
    connection = connect_read_only(target, busy_timeout=5.0)
    try:
        return _layout(connection, target)
    finally:
        connection.close()


def _layout(connection: sqlite3.Connection, target: DatabaseTarget) -> AdkLayout:
    where = target.describe()
    with sqlite_errors(target):
        tables = {row[0] for row in connection.execute(_SELECT_TABLES)}
        missing = {"sessions", "events", "app_states", "user_states"} - tables
        if missing:
            hint = (
                " (it is already an adk-sqlite database)" if "adk_sqlite_schema" in tables else ""
            )
            raise SchemaError(
                f"{where}: not a database of ADK's SqliteSessionService or"
                f" DatabaseSessionService{hint}: no {', '.join(sorted(missing))} table"
            )
        columns = {row[0] for row in connection.execute(_SELECT_COLUMNS, ("events",))}
        version = None
        if "adk_internal_metadata" in tables:
            row = connection.execute(SELECT_ADK_SCHEMA_VERSION).fetchone()
            version = None if row is None else row[0]
    if "event_data" not in columns or version == "0":
        raise SchemaError(
            f"{where}: uses DatabaseSessionService's legacy v0 (pickle) schema; migrate it"
            " with `python -m google.adk.sessions.migration.migrate_from_sqlalchemy_pickle`"
            " first, then import the result"
        )
    if version is None:
        return "sqlite_session_service"
    if version != "1":
        raise SchemaError(f"{where}: ADK schema version {version!r} is not supported")
    return "database_session_service"


def unix_seconds(value: Any) -> float:
    """A time column as epoch seconds: REAL as is, DATETIME text as naive UTC."""
    if isinstance(value, int | float):
        return float(value)
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def plain_state(text: Any, what: str) -> dict[str, Any]:
    # Python's json, as ADK wrote it with json.dumps (which may emit NaN);
    # json_safe then applies adk-sqlite's rule for values JSON cannot hold.
    try:
        value = json.loads(text) if text else {}
    except ValueError as exc:
        raise SchemaError(f"{what} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise SchemaError(f"{what} is not a JSON object")
    safe: dict[str, Any] = json_safe(value)
    return safe


def _event(row: tuple[Any, ...], layout: AdkLayout) -> Event:
    event_id, invocation_id, timestamp, data = row
    if layout == "sqlite_session_service":
        return Event.model_validate_json(data)
    payload = json.loads(data) if data else {}
    return Event.model_validate(
        {
            **payload,
            "id": event_id,
            "invocation_id": invocation_id,
            "timestamp": payload.get("timestamp", unix_seconds(timestamp)),
        }
    )


class AdkSource:
    """An ADK session database opened read-only; call its methods off the event loop."""

    def __init__(self, source: str | os.PathLike[str], *, busy_timeout: float = 5.0) -> None:
        self.target = resolve_file(source)
        self._connection = connect_read_only(self.target, busy_timeout=busy_timeout)
        try:
            self.layout = _layout(self._connection, self.target)
        except BaseException:
            self._connection.close()
            raise
        self._select_events = (
            SELECT_SQLITE_SERVICE_EVENTS
            if self.layout == "sqlite_session_service"
            else SELECT_DATABASE_SERVICE_EVENTS
        )

    def close(self) -> None:
        self._connection.close()

    def sessions(self) -> tuple[list[tuple[Any, ...]], int]:
        """Every session row, and the number of events in the source."""
        with sqlite_errors(self.target):
            rows = self._connection.execute(SELECT_SOURCE_SESSIONS).fetchall()
            (total,) = self._connection.execute(COUNT_SOURCE_EVENTS).fetchone()
        return rows, total

    def events(self, app_name: str, user_id: str, session_id: str) -> list[Event]:
        """One session's events, in the order its ADK service returns them."""
        with sqlite_errors(self.target):
            rows = self._connection.execute(
                self._select_events, (app_name, user_id, session_id)
            ).fetchall()
        return [_event(row, self.layout) for row in rows]

    def scoped_states(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The ``app_states`` and ``user_states`` rows."""
        with sqlite_errors(self.target):
            return (
                self._connection.execute(SELECT_SOURCE_APP_STATES).fetchall(),
                self._connection.execute(SELECT_SOURCE_USER_STATES).fetchall(),
            )
