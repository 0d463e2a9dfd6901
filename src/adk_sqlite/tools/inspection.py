"""What is in a session database: its sessions, and figures about the whole file.

These functions open the file read-only with a connection of their own (never
a store's), so they are safe to run while agents are writing to it. They are
synchronous, like the standard `sqlite3` module they use; from async code, call
them through `asyncio.to_thread`::

    from adk_sqlite import database_stats, list_session_summaries

    listing = list_session_summaries("sessions.db", app_name="support", limit=10)
    newest_first = [summary.id for summary in listing.sessions]
    print(database_stats("sessions.db").events_per_session)
"""

from __future__ import annotations

import itertools
import os
import statistics
from collections.abc import Iterable, Sequence

import msgspec

from adk_sqlite.sqlite.database_file import open_session_database, read_snapshot
from adk_sqlite.sqlite.schema.sql import SCHEMA_VERSION
from adk_sqlite.timestamps import Instant, instant_from_unix
from adk_sqlite.tools.artifact_rows import artifact_totals_in
from adk_sqlite.tools.memory_rows import memory_totals_in
from adk_sqlite.tools.tool_audit import ToolCallTotals, tool_call_totals, tool_calls_in

__all__ = [
    "AppStats",
    "DatabaseStats",
    "EventsPerSession",
    "SessionList",
    "SessionSummary",
    "TableSetSummary",
    "UserStats",
    "add_up_apps",
    "add_up_users",
    "database_stats",
    "events_per_session",
    "find_table_set",
    "list_session_summaries",
]

# Templates: each call fills in the file's table names (`TableSet.render`).
# Events refer to their session by the integer session_key (indexed first).
_EVENT_COUNT = '(SELECT count(*) FROM "{events}" AS e WHERE e.session_key = s.session_key)'
_FILTER = "(?1 IS NULL OR s.app_name = ?1) AND (?2 IS NULL OR s.user_id = ?2)"
SELECT_SESSION_SUMMARIES = f"""
SELECT s.app_name, s.user_id, s.id, s.create_time_unix, s.update_time_unix,
       length(CAST(s.state AS BLOB)),
       CASE WHEN json_valid(s.state) THEN (SELECT count(*) FROM json_each(s.state)) END,
       {_EVENT_COUNT}
FROM "{{sessions}}" AS s
WHERE {_FILTER}
ORDER BY s.update_time_unix DESC, s.app_name, s.user_id, s.id
LIMIT ?3"""
COUNT_SESSIONS = 'SELECT count(*) FROM "{sessions}" AS s WHERE ' + _FILTER
SELECT_EVENTS_PER_SESSION = f"""
SELECT s.app_name, s.user_id, {_EVENT_COUNT} FROM "{{sessions}}" AS s
ORDER BY s.app_name, s.user_id"""
COUNT_EVENTS = 'SELECT count(*) FROM "{events}"'
SELECT_UPDATE_RANGE = 'SELECT min(update_time_unix), max(update_time_unix) FROM "{sessions}"'


class SessionSummary(msgspec.Struct, kw_only=True):
    """One session, as `list_session_summaries` lists it.

    Attributes:
        events: How many events the session holds.
        state_keys: How many keys its own state has (``app:``/``user:`` keys
            are shared and not counted); None if the stored JSON is invalid.
        state_bytes: The size of its own state as stored JSON.
    """

    app_name: str
    user_id: str
    id: str
    events: int
    created: Instant
    last_update: Instant
    state_keys: int | None
    state_bytes: int


class SessionList(msgspec.Struct, kw_only=True):
    """Sessions newest activity first, and how many matched before the limit."""

    sessions: list[SessionSummary]
    total: int


def list_session_summaries(
    database: str | os.PathLike[str],
    *,
    app_name: str | None = None,
    user_id: str | None = None,
    limit: int | None = None,
    busy_timeout: float = 5.0,
    table_set: str | None = None,
) -> SessionList:
    """Lists sessions, most recently active first.

    Args:
        database: The database file (or a ``sqlite:///`` URL).
        app_name: Only this app's sessions.
        user_id: Only this user's sessions.
        limit: At most this many sessions (``total`` still counts them all).
        busy_timeout: Seconds to wait for a lock held by another connection.
        table_set: For a file of several stores' tables, the sessions table of
            the one to list (see ``docs/cli.md``).

    Raises:
        DatabaseUnavailableError: The file is missing or not a database.
        SchemaError: It is not an adk-sqlite database.
        DatabaseLockedError: It stayed locked beyond the busy timeout.
    """
    params = (app_name, user_id, -1 if limit is None else max(limit, 0))
    with read_snapshot(database, busy_timeout=busy_timeout, table_set=table_set) as db:
        connection, render = db.connection, db.tables.render
        rows = connection.execute(render(SELECT_SESSION_SUMMARIES), params).fetchall()
        (total,) = connection.execute(render(COUNT_SESSIONS), params[:2]).fetchone()
    return SessionList(
        sessions=[
            SessionSummary(
                app_name=row[0],
                user_id=row[1],
                id=row[2],
                created=instant_from_unix(row[3]),
                last_update=instant_from_unix(row[4]),
                state_bytes=row[5] or 0,
                state_keys=row[6],
                events=row[7],
            )
            for row in rows
        ],
        total=total,
    )


class TableSetSummary(msgspec.Struct, kw_only=True):
    """The tables of one store in a file, as the store recorded them.

    Attributes:
        sessions: The sessions table; it also names the table set.
        owner_column: The sessions table's owner column, or None.
    """

    sessions: str
    events: str
    app_states: str
    user_states: str
    owner_column: str | None
    schema_version: int


def find_table_set(
    database: str | os.PathLike[str], *, table_set: str | None = None, busy_timeout: float = 5.0
) -> TableSetSummary:
    """The table set the tools use in a file: ``table_set``, else the file's only one.

    Raises:
        DatabaseUnavailableError: The file is missing or not a database.
        SchemaError: It is not an adk-sqlite database, has no such table set,
            or several and none was chosen (the message lists them).
    """
    with open_session_database(database, busy_timeout=busy_timeout, table_set=table_set) as db:
        found = db.tables
    # by_role: the four table names, keyed as the summary's first four fields.
    return TableSetSummary(
        **found.names.by_role(),
        owner_column=found.owner_column,
        schema_version=found.schema_version,
    )


class UserStats(msgspec.Struct, kw_only=True):
    """Sessions, events and memories of one user of one app.

    A user with memories but no sessions (they were deleted; memories stay) is
    listed too, with zero sessions.
    """

    app_name: str
    user_id: str
    sessions: int
    events: int
    memories: int = 0


class AppStats(msgspec.Struct, kw_only=True):
    """Users, sessions, events and memories of one app."""

    app_name: str
    users: int
    sessions: int
    events: int
    memories: int = 0


def add_up_users(parts: Iterable[UserStats]) -> list[UserStats]:
    """The figures of each (app, user) in ``parts`` added up, sorted by app and user."""
    users: dict[tuple[str, str], UserStats] = {}
    for part in parts:
        total = users.setdefault(
            (part.app_name, part.user_id),
            UserStats(app_name=part.app_name, user_id=part.user_id, sessions=0, events=0),
        )
        total.sessions += part.sessions
        total.events += part.events
        total.memories += part.memories
    return sorted(users.values(), key=lambda u: (u.app_name, u.user_id))


def add_up_apps(users: Iterable[UserStats]) -> list[AppStats]:
    """The figures of each app, from those of its users (each counted once), sorted by name."""
    apps: dict[str, AppStats] = {}
    for user in users:
        app = apps.setdefault(
            user.app_name, AppStats(app_name=user.app_name, users=0, sessions=0, events=0)
        )
        app.users += 1
        app.sessions += user.sessions
        app.events += user.events
        app.memories += user.memories
    return sorted(apps.values(), key=lambda a: a.app_name)


class EventsPerSession(msgspec.Struct, kw_only=True):
    """How many events sessions hold: fewest, median, most."""

    min: int
    median: float
    max: int


def events_per_session(counts: Sequence[int]) -> EventsPerSession | None:
    """The fewest, median and most of the sessions' event ``counts``; None without sessions."""
    if not counts:
        return None
    return EventsPerSession(
        min=min(counts), median=float(statistics.median(counts)), max=max(counts)
    )


class DatabaseStats(msgspec.Struct, kw_only=True):
    """Figures about one database file.

    Attributes:
        path: The database file.
        schema_version: The schema version of its tables.
        library_schema_version: The newest version this adk-sqlite knows.
        file_bytes: The size of the database file.
        wal_bytes: The size of its write-ahead log (``-wal`` file), 0 if none.
        page_size: SQLite's page size in bytes.
        page_count: Pages in the database.
        free_pages: Pages on the freelist (space ``VACUUM`` would give back).
        sessions: All sessions.
        events: All events.
        events_per_session: None when there are no sessions.
        oldest_update: The least recently active session's last update.
        newest_update: The most recently active session's last update.
        apps: Per app, sorted by name.
        users: Per (app, user), sorted.
        artifact_names: Artifacts (one per app, user, session or user scope,
            and name) in every artifacts table of the file.
        artifact_versions: Their stored versions.
        artifact_bytes: The sizes of all those versions added up.
        memories: Memories (`adk_sqlite.MemoryService`) in every memories table of
            the file.
        tool_calls: Tool calls in all sessions, how many failed (a tool that
            raised included) and how many got no response, as `tools` counts them.
    """

    path: str
    schema_version: int
    library_schema_version: int
    file_bytes: int
    wal_bytes: int
    page_size: int
    page_count: int
    free_pages: int
    sessions: int
    events: int
    events_per_session: EventsPerSession | None
    oldest_update: Instant | None
    newest_update: Instant | None
    apps: list[AppStats]
    users: list[UserStats]
    artifact_names: int = 0
    artifact_versions: int = 0
    artifact_bytes: int = 0
    memories: int = 0
    tool_calls: ToolCallTotals = msgspec.field(default_factory=ToolCallTotals)


def database_stats(
    database: str | os.PathLike[str], *, busy_timeout: float = 5.0, table_set: str | None = None
) -> DatabaseStats:
    """Counts sessions, events and memories per app and user, and artifacts; measures the file.

    Args:
        database: The database file (or a ``sqlite:///`` URL).
        busy_timeout: Seconds to wait for a lock held by another connection.
        table_set: For a file of several stores' tables, the sessions table of
            the one whose sessions, events and tool calls to count (artifacts and
            memories are counted in every table of the file).

    Raises:
        DatabaseUnavailableError: The file is missing or not a database.
        SchemaError: It is not an adk-sqlite database.
        DatabaseLockedError: It stayed locked beyond the busy timeout.
    """
    # The file's size is read in the same snapshot as the counts.
    with read_snapshot(database, busy_timeout=busy_timeout, table_set=table_set) as db:
        connection, render = db.connection, db.tables.render
        per_session = connection.execute(render(SELECT_EVENTS_PER_SESSION)).fetchall()
        (events,) = connection.execute(render(COUNT_EVENTS)).fetchone()
        oldest, newest = connection.execute(render(SELECT_UPDATE_RANGE)).fetchone()
        (page_size,) = connection.execute("PRAGMA page_size").fetchone()
        (page_count,) = connection.execute("PRAGMA page_count").fetchone()
        (free_pages,) = connection.execute("PRAGMA freelist_count").fetchone()
        artifacts = artifact_totals_in(connection)
        memories = memory_totals_in(connection)
        tools = tool_call_totals(tool_calls_in(connection, db.tables))
        path = db.path
        version = db.schema_version

    # A part per session, and one per user with memories (their sessions may be deleted).
    session_parts = (
        UserStats(app_name=a, user_id=u, sessions=1, events=n) for a, u, n in per_session
    )
    memory_parts = (
        UserStats(app_name=a, user_id=u, sessions=0, events=0, memories=n)
        for (a, u), n in memories.per_user.items()
    )
    users = add_up_users(itertools.chain(session_parts, memory_parts))
    wal = path.with_name(path.name + "-wal")
    return DatabaseStats(
        path=str(path),
        schema_version=version,
        library_schema_version=SCHEMA_VERSION,
        file_bytes=path.stat().st_size,
        wal_bytes=wal.stat().st_size if wal.exists() else 0,
        page_size=page_size,
        page_count=page_count,
        free_pages=free_pages,
        sessions=len(per_session),
        events=events,
        events_per_session=events_per_session([count for _, _, count in per_session]),
        oldest_update=None if oldest is None else instant_from_unix(oldest),
        newest_update=None if newest is None else instant_from_unix(newest),
        apps=add_up_apps(users),
        users=users,
        artifact_names=artifacts.names,
        artifact_versions=artifacts.versions,
        artifact_bytes=artifacts.bytes,
        memories=memories.total,
        tool_calls=tools,
    )
