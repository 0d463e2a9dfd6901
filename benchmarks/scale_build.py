"""Builds the scale workloads' databases fast, with SQL, and caches them.

A database of a million sessions or ten million events cannot be built through
the service API in a benchmark's time (ten million ``append_event`` calls take
hours). So each builder lets the service itself create the schema and write one
template session of `TEMPLATE_TURNS` realistic agent turns (`make_turn_events`:
a question, a function call with a thought signature, the tool's response, an
answer with a state delta every other turn), keeps the rows the service wrote
in a temporary table, and copies them with one ``INSERT ... SELECT`` per table
under new session ids, event ids and timestamps, in one transaction. Every row
a measurement reads is therefore a row the service's own codec produced, and
reads decode real events; the copying runs inside SQLite, with no Python per row.

- adk-sqlite (`SqliteStore`): the event rows are copied column for column, the
  event id, session, user, timestamps and ``session_key`` replaced.
- ADK's `SqliteSessionService`: its ``event_data`` JSON holds the event's id and
  timestamp too, so each copy gets them replaced inside the JSON text as well.

The finished file is renamed into place only when complete, under a name keyed
by the layout, the size and the schema versions, so a re-run finds it and skips
the build; an interrupted build leaves nothing behind that looks finished.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from adk_sqlite.sqlite.schema.sql import SCHEMA_VERSION
from benchmarks.subjects import APP, make_turn_events

OURS = "adk-sqlite"
ADK_SQLITE = "adk-sqlite-service"
BUILDABLE = (OURS, ADK_SQLITE)

TEMPLATE_TURNS = 2  # 8 events: every kind of turn event, with and without a state delta
TEMPLATE_USER = "template-user"
TEMPLATE_SESSION = "template-session"
BASE_TIME = 1_750_000_000  # a fixed Unix time, so a rebuilt database is the same database
SESSION_SPACING = 1000  # seconds between the creation of consecutive built sessions
BUILDER_VERSION = 1  # bump when a builder changes what it writes


@dataclass(frozen=True)
class SessionSpec:
    """One session to build: its owner, its id and how many events it holds."""

    user_id: str
    session_id: str
    events: int = 0


def event_id(session_id: str, index: int) -> str:
    """The id of the ``index``-th event of a built session."""
    return f"{session_id}-e{index:07d}"


# SQL forms of the same values, for ``s`` (the spec) and ``c.i`` (the event's index). An
# event's time is written as text with millisecond digits and parsed back, so the column
# and ADK's JSON hold the same number.
_EVENT_ID_SQL = "printf('%s-e%07d', s.session_id, c.i)"
_EVENT_TIME_TEXT_SQL = (
    f"printf('%d.%03d', {BASE_TIME} + s.number * {SESSION_SPACING} + c.i / 1000, c.i % 1000)"
)
_EVENT_TIME_SQL = f"CAST({_EVENT_TIME_TEXT_SQL} AS REAL)"
_CREATE_TIME_SQL = f"CAST({BASE_TIME} + s.number * {SESSION_SPACING} - 1 AS REAL)"
_UPDATE_TIME_SQL = (
    f"CASE WHEN s.events = 0 THEN {_CREATE_TIME_SQL} ELSE CAST(printf('%d.%03d',"
    f" {BASE_TIME} + s.number * {SESSION_SPACING} + (s.events - 1) / 1000,"
    " (s.events - 1) % 1000) AS REAL) END"
)
_JULIAN_DAY = "(({}) / 86400.0 + 2440587.5)"


def cache_path(cache: Path, backend: str, layout: str, size: int | str) -> Path:
    """Where the database of ``layout`` at ``size`` for ``backend`` is kept between runs."""
    versions = f"schema{SCHEMA_VERSION}-adk{version('google-adk')}-b{BUILDER_VERSION}"
    return cache / f"{backend}-{layout}-{size}-{versions}.db"


def cached_build(path: Path, backend: str, sessions: Sequence[SessionSpec]) -> float | None:
    """Builds ``path`` unless it exists; returns the seconds the build took (None if cached)."""
    return cached_file(path, lambda partial: build(partial, backend, sessions))


def cached_file(path: Path, builder: Callable[[Path], None]) -> float | None:
    """Runs ``builder`` on a temporary name and renames its file to ``path``, unless ``path``
    exists; returns the seconds the build took (None if cached)."""
    if path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".building")
    for leftover in (partial, *_companions(partial)):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    builder(partial)
    elapsed = time.perf_counter() - started
    partial.rename(path)
    return elapsed


def _companions(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal", "-lock")]


def build(path: Path, backend: str, sessions: Sequence[SessionSpec]) -> None:
    """Writes ``sessions`` (with their events) into a new database of ``backend`` at ``path``."""
    if backend == OURS:
        asyncio.run(_write_template_ours(path))
        _copy(path, sessions, _ours_statements)
    elif backend == ADK_SQLITE:
        asyncio.run(_write_template_adk(path))
        _copy(path, sessions, _adk_statements)
    else:
        raise ValueError(f"no builder for {backend!r}; choose from {', '.join(BUILDABLE)}")


def _template_events() -> list[Any]:
    return [
        event
        for turn in range(TEMPLATE_TURNS)
        for event in make_turn_events(turn, timestamp=BASE_TIME + turn, scope="template")
    ]


async def _write_template_ours(path: Path) -> None:
    from adk_sqlite import SessionService, SqliteStore

    async with SessionService(SqliteStore(path)) as service:
        session = await service.create_session(
            app_name=APP, user_id=TEMPLATE_USER, session_id=TEMPLATE_SESSION, state={"plan": "pro"}
        )
        for event in _template_events():
            await service.append_event(session, event)


async def _write_template_adk(path: Path) -> None:
    from google.adk.sessions.sqlite_session_service import SqliteSessionService

    service = SqliteSessionService(str(path))
    try:
        session = await service.create_session(
            app_name=APP, user_id=TEMPLATE_USER, session_id=TEMPLATE_SESSION, state={"plan": "pro"}
        )
        for event in _template_events():
            await service.append_event(session, event)
    finally:
        await service.close()


def _copy(path: Path, sessions: Sequence[SessionSpec], statements: Any) -> None:
    """Moves the template aside, then fills the tables from it in one transaction."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # The file is renamed into place only when complete: there is nothing to protect
        # against a crash mid-build, so no journal and no syncs.
        connection.execute("PRAGMA journal_mode = DELETE")
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -262144")  # 256 MiB
        connection.execute("BEGIN")
        connection.execute(
            "CREATE TEMP TABLE specs (number INTEGER PRIMARY KEY, user_id TEXT,"
            " session_id TEXT, events INTEGER)"
        )
        connection.executemany(
            "INSERT INTO specs VALUES (?, ?, ?, ?)",
            ((n, spec.user_id, spec.session_id, spec.events) for n, spec in enumerate(sessions)),
        )
        connection.execute("CREATE TEMP TABLE counter (i INTEGER PRIMARY KEY)")
        connection.execute(
            "INSERT INTO counter WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n"
            " WHERE i + 1 < ?) SELECT i FROM n",
            (max((spec.events for spec in sessions), default=0) or 1,),
        )
        for statement in statements(connection):
            connection.execute(statement)
        connection.execute("COMMIT")
    finally:
        connection.close()


def _ours_statements(connection: sqlite3.Connection) -> list[str]:
    columns = [row[1] for row in connection.execute("PRAGMA table_info(adk_events)")]
    template_key = connection.execute(
        "SELECT session_key FROM adk_sessions WHERE id = ?", (TEMPLATE_SESSION,)
    ).fetchone()[0]
    replaced = {
        "seq": None,
        "id": _EVENT_ID_SQL,
        "session_id": "s.session_id",
        "user_id": "s.user_id",
        "timestamp": _JULIAN_DAY.format(_EVENT_TIME_SQL),
        "timestamp_unix": _EVENT_TIME_SQL,
        "session_key": "s.number + 1",
    }
    copied = [column for column in columns if column != "seq"]
    values = [replaced.get(column) or f"t.{column}" for column in copied]
    return [
        "CREATE TEMP TABLE template AS SELECT row_number() OVER (ORDER BY seq) - 1 AS k, *"
        f" FROM adk_events WHERE session_key = {int(template_key)}",
        "CREATE TEMP TABLE template_session AS SELECT state FROM adk_sessions"
        f" WHERE session_key = {int(template_key)}",
        "DELETE FROM adk_events",
        "DELETE FROM adk_sessions",
        "DELETE FROM adk_user_states",
        "INSERT INTO adk_sessions (session_key, app_name, user_id, id, state, create_time,"
        " update_time, create_time_unix, update_time_unix, revision)"
        f" SELECT s.number + 1, '{APP}', s.user_id, s.session_id,"
        " (SELECT state FROM template_session),"
        f" {_JULIAN_DAY.format(_CREATE_TIME_SQL)}, {_JULIAN_DAY.format(_UPDATE_TIME_SQL)},"
        f" {_CREATE_TIME_SQL}, {_UPDATE_TIME_SQL}, 0 FROM specs s ORDER BY s.number",
        f"INSERT INTO adk_events ({', '.join(copied)}) SELECT {', '.join(values)}"
        " FROM specs s JOIN counter c ON c.i < s.events"
        " JOIN template t ON t.k = c.i % (SELECT count(*) FROM template)"
        " ORDER BY s.number, c.i",
    ]


def _adk_statements(connection: sqlite3.Connection) -> list[str]:
    # ADK writes the timestamp into event_data as Python prints the float; each template
    # row's form of it is kept, to be replaced by the copy's.
    rows = connection.execute(
        "SELECT rowid, id, timestamp, event_data FROM events ORDER BY rowid"
    ).fetchall()
    for _, old_id, old_time, data in rows:
        if json.dumps(old_id) not in data or f'"timestamp":{old_time!r}' not in data:
            raise RuntimeError("ADK's event_data no longer holds the id and timestamp as expected")
    connection.execute("CREATE TEMP TABLE template_time (rowid INTEGER PRIMARY KEY, text TEXT)")
    connection.executemany(
        "INSERT INTO template_time VALUES (?, ?)",
        [(rowid, f'"timestamp":{old_time!r}') for rowid, _, old_time, _ in rows],
    )
    data = (
        "replace(replace(t.event_data, json_quote(t.id), json_quote(" + _EVENT_ID_SQL + ")),"
        " t.time_text, '\"timestamp\":' || " + _EVENT_TIME_TEXT_SQL + ")"
    )
    return [
        "CREATE TEMP TABLE template AS SELECT row_number() OVER (ORDER BY e.rowid) - 1 AS k,"
        " e.id, e.invocation_id, e.event_data, tt.text AS time_text"
        " FROM events e JOIN template_time tt ON tt.rowid = e.rowid",
        "CREATE TEMP TABLE template_session AS SELECT state FROM sessions"
        f" WHERE id = '{TEMPLATE_SESSION}'",
        "DELETE FROM events",
        "DELETE FROM sessions",
        "INSERT INTO sessions (app_name, user_id, id, state, create_time, update_time)"
        f" SELECT '{APP}', s.user_id, s.session_id, (SELECT state FROM template_session),"
        f" {_CREATE_TIME_SQL}, {_UPDATE_TIME_SQL} FROM specs s ORDER BY s.number",
        "INSERT INTO events (id, app_name, user_id, session_id, invocation_id, timestamp,"
        f" event_data) SELECT {_EVENT_ID_SQL}, '{APP}', s.user_id, s.session_id,"
        f" t.invocation_id, {_EVENT_TIME_SQL}, {data}"
        " FROM specs s JOIN counter c ON c.i < s.events"
        " JOIN template t ON t.k = c.i % (SELECT count(*) FROM template)"
        " ORDER BY s.number, c.i",
    ]


# The layouts the workloads read.


SOLO_USERS = (10, 100, 1000)


def solo_users(total: int) -> list[int]:
    """How many sessions the listed users own among ``total``: those of `SOLO_USERS` that
    are at most a tenth of the table."""
    return [count for count in SOLO_USERS if count <= total // 10]


def listing_sessions(total: int) -> list[SessionSpec]:
    """``total`` sessions without events. ``solo-<n>`` owns n of them, for each n of
    `solo_users`, spread evenly through the table (a user's sessions interleave with
    everyone else's, as when users come back); the others belong to users of ~10 each."""
    solos = solo_users(total)
    owners = [f"user-{number // 10}" for number in range(total)]
    for place, count in enumerate(solos):
        stride = total // count
        if stride <= len(solos):
            raise ValueError(f"{count} sessions of solo-{count} do not fit among {total}")
        for taken in range(count):
            number = place + taken * stride
            if owners[number].startswith("solo-"):
                raise ValueError(f"solo users collide at session {number}")
            owners[number] = f"solo-{count}"
    return [SessionSpec(owner, f"s{number:07d}") for number, owner in enumerate(owners)]


def event_sessions(sizes: Sequence[int]) -> list[SessionSpec]:
    """One session per size, ``events-<n>`` of n events, each of its own user."""
    return [SessionSpec(f"reader-{n}", f"events-{n}", n) for n in sizes]


EVENTS_PER_SESSION = 1000


def event_database(total_events: int) -> list[SessionSpec]:
    """``total_events`` in sessions of `EVENTS_PER_SESSION` events, across 100 users."""
    sessions, rest = divmod(total_events, EVENTS_PER_SESSION)
    specs = [
        SessionSpec(f"user-{number % 100}", f"h{number:07d}", EVENTS_PER_SESSION)
        for number in range(sessions)
    ]
    if rest:
        specs.append(SessionSpec("user-rest", "h-rest", rest))
    return specs


# Compacted histories: written through the service, as a Runner with compaction writes
# them (the compaction events carry per-event ranges, which a row copy could not vary, and
# each append stores the event's view, which the option's reads use). Two shapes: ADK's
# sliding window, and its token threshold.

COMPACTION_INTERVAL = 10  # invocations summarised by each compaction
COMPACTION_OVERLAP = 1  # earlier invocations each compaction summarises again


def compaction_config() -> Any:
    """The App's ``events_compaction_config`` the compacted sessions were written under."""
    from google.adk.apps.app import EventsCompactionConfig

    return EventsCompactionConfig(
        compaction_interval=COMPACTION_INTERVAL, overlap_size=COMPACTION_OVERLAP
    )


def compacted_session_id(size: int) -> str:
    return f"compacted-{size}"


def build_compacted(path: Path, sizes: Sequence[int]) -> None:
    """One session per size, ``compacted-<n>`` of at least n events: agent turns of 4 plain
    events (no state changes), and after every `COMPACTION_INTERVAL` invocations a
    compaction event summarising them and the `COMPACTION_OVERLAP` before, as ADK's
    sliding-window compactor writes it."""
    asyncio.run(_write_compacted(path, sizes))


async def _write_compacted(path: Path, sizes: Sequence[int]) -> None:
    from google.adk.events.event_actions import EventActions

    from adk_sqlite import SessionService, SqliteStore

    async with SessionService(SqliteStore(path)) as service:
        for size in sizes:
            session_id = compacted_session_id(size)
            session = await service.create_session(
                app_name=APP, user_id=f"reader-{size}", session_id=session_id
            )
            starts: list[float] = []  # each invocation's first timestamp
            appended = turn = 0
            while appended < size:
                when = BASE_TIME + turn * 0.001
                for event in make_turn_events(turn, timestamp=when, scope=session_id):
                    event.actions = EventActions()
                    await service.append_event(session, event)
                    appended += 1
                starts.append(when)
                if turn % COMPACTION_INTERVAL == COMPACTION_INTERVAL - 1:
                    first = max(0, turn + 1 - COMPACTION_INTERVAL - COMPACTION_OVERLAP)
                    await _append_compaction(
                        service, session, turn, f"{first}-{turn}", starts[first], when + 0.0003
                    )
                    appended += 1
                turn += 1


# The token-threshold shape of `benchmarks.compaction --mode token`: ADK compacts when a
# prompt goes over the threshold, here after every `TOKEN_COMPACTION_EVERY` invocations.

TOKEN_COMPACTION_EVERY = 10  # invocations between two token-threshold compactions
TOKEN_THRESHOLD = 1000
TOKEN_RETENTION = 4  # events left out of each summary: the newest invocation, whole


def token_compaction_config() -> Any:
    """The App's ``events_compaction_config`` the token-threshold sessions were written
    under."""
    from google.adk.apps.app import EventsCompactionConfig

    return EventsCompactionConfig(
        token_threshold=TOKEN_THRESHOLD, event_retention_size=TOKEN_RETENTION
    )


def token_compacted_session_id(size: int) -> str:
    return f"token-compacted-{size}"


def token_compaction_id(session_id: str, turn: int) -> str:
    """The id of the compaction appended after invocation ``turn``."""
    return f"{session_id}-c{turn:05d}"


def build_token_compacted(path: Path, sizes: Sequence[int]) -> None:
    """One session per size, ``token-compacted-<n>`` of at least n events: the agent turns
    of `make_turn_events` as they are (a state delta on every other answer), and after
    every `TOKEN_COMPACTION_EVERY` invocations a compaction from the session's first event
    to the end of the invocation before the newest, so that each summary contains every
    earlier one, as ADK's token-threshold compactor writes them."""
    asyncio.run(_write_token_compacted(path, sizes))


async def _write_token_compacted(path: Path, sizes: Sequence[int]) -> None:
    from adk_sqlite import SessionService, SqliteStore

    async with SessionService(SqliteStore(path)) as service:
        for size in sizes:
            session_id = token_compacted_session_id(size)
            session = await service.create_session(
                app_name=APP, user_id=f"reader-{size}", session_id=session_id
            )
            appended = turn = 0
            ends: list[float] = []  # each invocation's last timestamp
            while appended < size:
                when = BASE_TIME + turn * 0.001
                events = make_turn_events(turn, timestamp=when, scope=session_id)
                for event in events:
                    await service.append_event(session, event)
                    appended += 1
                ends.append(events[-1].timestamp)
                if turn % TOKEN_COMPACTION_EVERY == TOKEN_COMPACTION_EVERY - 1:
                    # From the first event to the end of the invocation before the newest,
                    # which is kept whole.
                    await _append_compaction(
                        service, session, turn, f"0-{turn - 1}", BASE_TIME, ends[-2]
                    )
                    appended += 1
                turn += 1


async def _append_compaction(
    service: Any, session: Any, turn: int, invocations: str, start: float, end: float
) -> None:
    """Appends, after invocation ``turn``, a compaction summarising ``invocations``
    (a label) over [``start``, ``end``], as ADK's compactors write one."""
    from google.adk.events.event import Event
    from google.adk.events.event_actions import EventActions, EventCompaction
    from google.genai import types

    summary = types.Content(
        role="model", parts=[types.Part(text=f"Summary of invocations {invocations}.")]
    )
    compaction = EventCompaction(
        start_timestamp=start, end_timestamp=end, compacted_content=summary
    )
    await service.append_event(
        session,
        Event(
            id=token_compaction_id(session.id, turn),
            author="user",
            invocation_id=f"{session.id}-compaction{turn}",
            timestamp=BASE_TIME + turn * 0.001 + 0.0005,
            actions=EventActions(compaction=compaction),
        ),
    )
