"""Bringing memories over from google-adk's ``SqliteMemoryService``, so switching forgets nothing.

ADK's service (``google.adk.memory.SqliteMemoryService``, schema version 1) keeps one row
per event in ``memory_events``: app, user, session id (``__unknown_session_id__`` for
none), event id, author, timestamp, the content as JSON (``content_json``) and its own
lower-cased search text, with an FTS5 index beside it and ``adk_memory_metadata``
holding the schema version. `import_adk_memory` reads it with a read-only connection,
in id order, and adds each row to an adk-sqlite store through
`adk_sqlite.MemoryService.add_events_to_memory`, as the event it was made from: the same
session id and event id (so the memory's key is the one adding that session to adk-sqlite's
memory gives it), author, timestamp and content. The search text is made again by
adk-sqlite's normaliser, so the memory is found as one adk-sqlite indexed itself.

The file's bytes are data, not trusted: a row whose columns have the wrong types, whose
content is not a ``types.Content`` JSON object, that holds no text, or whose text is
over the service's ``max_memory_bytes`` is skipped and reported with its reason; nothing
in it is run. Running the import again stores nothing twice (a memory is keyed by app,
user, session and event id, and stored again in place); rows added to the source since
are added.

It is async, because it writes through a store::

    import asyncio

    from adk_sqlite import import_adk_memory

    report = asyncio.run(import_adk_memory("adk_memory.db", "agent.db"))
    print(report.memories_imported, report.skipped)
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any, Literal

import msgspec
from google.adk.events.event import Event
from google.genai import types
from pydantic import ValidationError

from adk_sqlite.adk.memory import DEFAULT_MAX_MEMORY_BYTES, MemoryService
from adk_sqlite.errors import InvalidArgumentError, MemoryTooLargeError, SchemaError
from adk_sqlite.memory_store import MemoryStore
from adk_sqlite.sqlite.database_file import connect_read_only, resolve_file, sqlite_errors
from adk_sqlite.sqlite.engine.connection import DatabaseTarget
from adk_sqlite.tools.maintenance import ProgressCallback
from adk_sqlite.transfer.import_destination import describe_store, open_destination, tables_in
from adk_sqlite.transfer.import_report import ImportReportBase

__all__ = [
    "MemoryImportReport",
    "SkippedMemory",
    "has_adk_sessions",
    "import_adk_memory",
    "is_adk_memory_database",
]

ADK_MEMORY_TABLE = "memory_events"
_ADK_SCHEMA_VERSION = "1"
_UNKNOWN_SESSION_ID = "__unknown_session_id__"
_COLUMNS = frozenset(
    {"id", "app_name", "user_id", "session_id", "event_id", "author", "timestamp"}
    | {"content_json"}
)
_SELECT_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"
_SELECT_COLUMNS = "SELECT name FROM pragma_table_info(?)"
_SELECT_VERSION = "SELECT value FROM adk_memory_metadata WHERE key = 'schema_version'"
_COUNT_ROWS = "SELECT count(*) FROM memory_events"
_SELECT_ROWS = """
SELECT id, app_name, user_id, session_id, event_id, author, timestamp, content_json
FROM memory_events WHERE id > ? ORDER BY id LIMIT ?"""
_BATCH = 500


class SkippedMemory(msgspec.Struct, frozen=True, kw_only=True):
    """A source row the import left out, and why.

    Attributes:
        source_id: The row's ``id`` in ``memory_events``.
        event_id: Its event id, when it is text.
        reason: What is wrong with it.
    """

    source_id: int
    event_id: str | None
    reason: str


class MemoryImportReport(ImportReportBase, kw_only=True):
    """What `import_adk_memory` wrote.

    Attributes:
        source: The ADK memory database read.
        destination: The store written.
        layout: Which ADK service wrote the source (``"sqlite_memory_service"``).
        entries: Rows the source holds.
        memories_imported: Rows stored in the destination (again, in place, for those
            an earlier import stored).
        users: The (app, user) pairs they belong to.
        skipped: Rows left out, with the reason.
    """

    layout: Literal["sqlite_memory_service"] = "sqlite_memory_service"
    entries: int = 0
    memories_imported: int = 0
    users: int = 0
    skipped: list[SkippedMemory] = msgspec.field(default_factory=list)


def has_adk_sessions(source: str | os.PathLike[str]) -> bool:
    """Whether ``source`` also holds an ADK session service's ``sessions`` table."""
    return "sessions" in tables_in(resolve_file(source))


def is_adk_memory_database(source: str | os.PathLike[str]) -> bool:
    """Whether ``source`` is a file holding ADK ``SqliteMemoryService``'s table.

    Raises:
        DatabaseUnavailableError: The file is missing or not a database.
    """
    return ADK_MEMORY_TABLE in tables_in(resolve_file(source))


async def import_adk_memory(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str] | MemoryStore,
    *,
    progress: ProgressCallback | None = None,
    busy_timeout: float = 30.0,
    max_memory_bytes: int = DEFAULT_MAX_MEMORY_BYTES,
) -> MemoryImportReport:
    """Imports every memory of a database written by ADK's ``SqliteMemoryService``.

    Args:
        source: The ADK memory database (a path or ``sqlite:///`` URL).
        destination: A store that keeps memories (`SqliteStore`,
            `PerSessionSqliteStore`, `PostgresStore`; left open), or where one is: a
            SQLite file (created if missing), a folder of per-session files, or a
            ``postgresql://`` URL (needs the ``postgres`` extra).
        progress: Called with (source rows handled, source rows in total).
        busy_timeout: Seconds to wait for a lock on either SQLite file.
        max_memory_bytes: The largest text of one memory; a longer one is skipped
            (ADK's service keeps it whole, and only indexes its first 256 KiB).

    Raises:
        DatabaseUnavailableError: A file is missing or not a database.
        SchemaError: The source is not an ADK memory database (or of another schema
            version), or the destination is not an adk-sqlite database.
        ConfigurationError: ``destination`` is neither a store nor a location, or it
            is the source itself.
    """
    target = resolve_file(source)
    total = await asyncio.to_thread(_check_source, target, busy_timeout)
    assert target.path is not None  # resolve_file gives a file
    store, owned = (
        (destination, False)
        if isinstance(destination, MemoryStore)
        else (await open_destination(destination, target.path, busy_timeout), True)
    )
    report = MemoryImportReport(
        source=target.describe(), destination=describe_store(store), entries=total
    )
    service = MemoryService(store, max_memory_bytes=max_memory_bytes)
    users: set[tuple[str, str]] = set()
    handled = 0
    try:
        for rows in _batches(target, busy_timeout):
            groups = _events_of(rows, report)
            for (app_name, user_id, session_id), events in groups.items():
                await _add(service, app_name, user_id, session_id, events, report)
                users.add((app_name, user_id))
            handled += len(rows)
            if progress is not None:
                progress(handled, total)
    finally:
        if owned:
            await service.close()
    report.users = len(users)
    return report


def _check_source(target: DatabaseTarget, busy_timeout: float) -> int:
    connection = connect_read_only(target, busy_timeout=busy_timeout)
    where = target.describe()
    try:
        with sqlite_errors(target):
            tables = {row[0] for row in connection.execute(_SELECT_TABLES)}
            if ADK_MEMORY_TABLE not in tables:
                hint = " (it is an adk-sqlite database)" if "adk_sqlite_schema" in tables else ""
                raise SchemaError(
                    f"{where}: not a database of ADK's SqliteMemoryService{hint}:"
                    f" no {ADK_MEMORY_TABLE} table"
                )
            columns = {row[0] for row in connection.execute(_SELECT_COLUMNS, (ADK_MEMORY_TABLE,))}
            missing = sorted(_COLUMNS - columns)
            if missing:
                raise SchemaError(
                    f"{where}: {ADK_MEMORY_TABLE} lacks the columns of ADK's"
                    f" SqliteMemoryService: {', '.join(missing)}"
                )
            if "adk_memory_metadata" in tables:
                row = connection.execute(_SELECT_VERSION).fetchone()
                if row is not None and row[0] != _ADK_SCHEMA_VERSION:
                    raise SchemaError(
                        f"{where}: ADK memory schema version {row[0]!r}; this adk-sqlite"
                        f" imports version {_ADK_SCHEMA_VERSION}"
                    )
            (count,) = connection.execute(_COUNT_ROWS).fetchone()
    finally:
        connection.close()
    return int(count)


def _batches(target: DatabaseTarget, busy_timeout: float) -> Iterator[list[tuple[Any, ...]]]:
    """The source's rows in id order, a batch at a time, each batch read in one go."""
    after = -(2**63)
    while True:
        rows = _read_batch(target, busy_timeout, after)
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def _read_batch(target: DatabaseTarget, busy_timeout: float, after: int) -> list[tuple[Any, ...]]:
    connection = connect_read_only(target, busy_timeout=busy_timeout)
    try:
        with sqlite_errors(target):
            return connection.execute(_SELECT_ROWS, (after, _BATCH)).fetchall()
    finally:
        connection.close()


# (app_name, user_id, session_id or None) -> [(source row id, event)]
Groups = dict[tuple[str, str, str | None], list[tuple[int, Event]]]


def _events_of(rows: list[tuple[Any, ...]], report: MemoryImportReport) -> Groups:
    """The rows as events, grouped by app, user and session; bad rows reported."""
    groups: Groups = {}
    for row in rows:
        source_id, app_name, user_id, session_id, event_id, author, timestamp, content = row
        label = event_id if isinstance(event_id, str) else None
        problem = _problem(app_name, user_id, session_id, event_id, author, timestamp, content)
        if problem is not None:
            report.skipped.append(
                SkippedMemory(source_id=source_id, event_id=label, reason=problem)
            )
            continue
        try:
            event = Event(
                id=event_id,
                invocation_id="",
                author=author or "",
                timestamp=float(timestamp),
                content=types.Content.model_validate_json(content),
            )
        except ValidationError as exc:
            reason = f"content_json is not an ADK Content: {exc.errors()[0]['msg']}"
            report.skipped.append(SkippedMemory(source_id=source_id, event_id=label, reason=reason))
            continue
        parts = (event.content.parts if event.content is not None else None) or []
        if not any(part.text and not part.thought for part in parts):
            report.skipped.append(
                SkippedMemory(source_id=source_id, event_id=label, reason="holds no text")
            )
            continue
        session = None if session_id == _UNKNOWN_SESSION_ID else session_id
        groups.setdefault((app_name, user_id, session), []).append((source_id, event))
    return groups


def _problem(
    app_name: object,
    user_id: object,
    session_id: object,
    event_id: object,
    author: object,
    timestamp: object,
    content: object,
) -> str | None:
    for name, value in (
        ("app_name", app_name),
        ("user_id", user_id),
        ("session_id", session_id),
        ("event_id", event_id),
    ):
        if not isinstance(value, str) or not value:
            return f"{name} is not a non-empty text"
    if author is not None and not isinstance(author, str):
        return "author is not text"
    if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
        return "timestamp is not a number"
    if not isinstance(content, str):
        return "content_json is not text"
    return None


async def _add(
    service: MemoryService,
    app_name: str,
    user_id: str,
    session_id: str | None,
    events: list[tuple[int, Event]],
    report: MemoryImportReport,
) -> None:
    """Adds one session's events at once; if one is refused, each alone, to skip only it."""
    try:
        await service.add_events_to_memory(
            app_name=app_name,
            user_id=user_id,
            events=[event for _, event in events],
            session_id=session_id,
        )
        report.memories_imported += len(events)
        return
    except (MemoryTooLargeError, InvalidArgumentError):
        pass  # nothing of that call was written
    for source_id, event in events:
        try:
            await service.add_events_to_memory(
                app_name=app_name, user_id=user_id, events=[event], session_id=session_id
            )
            report.memories_imported += 1
        except (MemoryTooLargeError, InvalidArgumentError) as exc:
            report.skipped.append(
                SkippedMemory(source_id=source_id, event_id=event.id, reason=str(exc))
            )
