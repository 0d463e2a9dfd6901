"""The backends a benchmark run compares, behind one small interface.

Every subject exposes the same handful of async operations, so a workload is
written once. Session services (ours and the peers) are driven through ADK's
`BaseSessionService` API with real `Event` objects; the floors write the same
event bytes with bare SQL, to show what the hardware and the thread bridge cost.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions.base_session_service import BaseSessionService, GetSessionConfig
from google.adk.sessions.session import Session
from google.genai import types

APP = "bench"
TEXT = "The quick brown fox jumps over the lazy dog. " * 5  # ~225 characters


def make_event(index: int, *, timestamp: float, scope: str = "w1") -> Event:
    """The W1 event: author "agent", ~200 characters of text, a delta every 5th.

    Ids are unique across sessions (``scope`` names the session), as ADK's
    generated ids are: some peers key events by id alone.
    """
    actions = EventActions(state_delta={"counter": index}) if index % 5 == 0 else EventActions()
    return Event(
        id=f"{scope}-e{index:06d}",
        invocation_id=f"inv{index // 10}",
        author="agent",
        timestamp=timestamp,
        content=types.Content(role="model", parts=[types.Part(text=f"{index} {TEXT}")]),
        actions=actions,
    )


QUESTION = "What will the weather be in Paris this weekend, and should I pack an umbrella?"
ANSWER = "Saturday looks dry at 21 C with a light wind; Sunday brings showers after noon. " * 3


def make_turn_events(turn: int, *, timestamp: float, scope: str = "w2r") -> list[Event]:
    """One realistic agent turn, as a Gemini model and one tool produce it: 4 events.

    The user's question; the model's function call (with a thought signature,
    usage metadata, model version); the tool's response; the model's answer
    (usage metadata, finish reason, and a state delta every other turn).
    """
    invocation = f"{scope}-inv{turn}"
    usage = types.GenerateContentResponseUsageMetadata(
        prompt_token_count=1200 + turn,
        candidates_token_count=42,
        total_token_count=1242 + turn,
        prompt_tokens_details=[types.ModalityTokenCount(modality="TEXT", token_count=1200 + turn)],
    )
    call_id = f"{scope}-call{turn}"
    answer_actions = EventActions(state_delta={"turns": turn}) if turn % 2 else EventActions()
    return [
        Event(
            id=f"{scope}-e{turn:05d}-0",
            invocation_id=invocation,
            author="user",
            timestamp=timestamp,
            content=types.Content(role="user", parts=[types.Part(text=f"{turn}: {QUESTION}")]),
        ),
        Event(
            id=f"{scope}-e{turn:05d}-1",
            invocation_id=invocation,
            author="assistant",
            timestamp=timestamp + 0.0001,
            model_version="gemini-2.5-flash",
            usage_metadata=usage,
            content=types.Content(
                role="model",
                parts=[
                    types.Part(
                        function_call=types.FunctionCall(
                            id=call_id, name="get_forecast", args={"city": "Paris", "days": 2}
                        ),
                        thought_signature=bytes(range(48)),
                    )
                ],
            ),
        ),
        Event(
            id=f"{scope}-e{turn:05d}-2",
            invocation_id=invocation,
            author="assistant",
            timestamp=timestamp + 0.0002,
            content=types.Content(
                role="user",
                parts=[
                    types.Part(
                        function_response=types.FunctionResponse(
                            id=call_id,
                            name="get_forecast",
                            response={
                                "city": "Paris",
                                "days": [
                                    {"day": "Sat", "high": 21.0, "rain": 0.1},
                                    {"day": "Sun", "high": 17.5, "rain": 0.8},
                                ],
                            },
                        )
                    )
                ],
            ),
        ),
        Event(
            id=f"{scope}-e{turn:05d}-3",
            invocation_id=invocation,
            author="assistant",
            timestamp=timestamp + 0.0003,
            model_version="gemini-2.5-flash",
            finish_reason=types.FinishReason.STOP,
            usage_metadata=usage,
            content=types.Content(role="model", parts=[types.Part(text=ANSWER)]),
            actions=answer_actions,
        ),
    ]


class Subject(Protocol):
    """What a workload needs from a backend."""

    async def create(self, user: str, session_id: str, state: dict[str, Any]) -> Any: ...
    async def append(self, handle: Any, event: Event) -> None: ...
    async def read(self, user: str, session_id: str, recent: int | None) -> Any:
        """Reads a session (all events, or the newest ``recent``): what W2 times."""

    def ids_of(self, session: Any) -> list[str]:
        """The event ids, in order, of what `read` returned (the correctness check)."""

    async def list_sessions(self, user: str | None) -> Any:
        """Lists the sessions of one user, or of the app: what W3 times."""

    def count_of(self, listing: Any) -> int:
        """How many sessions `list_sessions` returned."""


class ServiceSubject:
    """A BaseSessionService (ours or a peer's).

    A service that rejects a legitimate append as stale (the writer holds the
    session object it was handed, nobody else wrote) gets the session re-read
    and the append retried once, as a user would have to; each such rejection
    is counted in ``false_stale`` (over every subject of the process) and
    reported as a failed check.
    """

    false_stale = 0

    def __init__(self, service: BaseSessionService) -> None:
        self.service = service

    async def create(self, user: str, session_id: str, state: dict[str, Any]) -> Session:
        return await self.service.create_session(
            app_name=APP, user_id=user, session_id=session_id, state=state
        )

    async def append(self, handle: Session, event: Event) -> None:
        from google.adk.errors import StaleSessionError

        try:
            await self.service.append_event(handle, event)
        except StaleSessionError:
            ServiceSubject.false_stale += 1
            fresh = await self.service.get_session(
                app_name=handle.app_name, user_id=handle.user_id, session_id=handle.id
            )
            assert fresh is not None
            handle.__dict__.update(fresh.__dict__)
            handle._storage_update_marker = fresh._storage_update_marker
            await self.service.append_event(handle, event)

    async def read(self, user: str, session_id: str, recent: int | None) -> Session:
        config = None if recent is None else GetSessionConfig(num_recent_events=recent)
        session = await self.service.get_session(
            app_name=APP, user_id=user, session_id=session_id, config=config
        )
        assert session is not None
        return session

    def ids_of(self, session: Session) -> list[str]:
        return [event.id for event in session.events]

    async def list_sessions(self, user: str | None) -> Any:
        return await self.service.list_sessions(app_name=APP, user_id=user)

    def count_of(self, listing: Any) -> int:
        return len(listing.sessions)


_FLOOR_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS sessions (app TEXT, user TEXT, id TEXT, state TEXT,"
    " update_time REAL, PRIMARY KEY (app, user, id))",
    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, app TEXT, user TEXT,"
    " session TEXT, id TEXT, timestamp REAL, data TEXT)",
    "CREATE INDEX IF NOT EXISTS events_order ON events (app, user, session, timestamp, seq)",
)
_INSERT_EVENT = (
    "INSERT INTO events (app, user, session, id, timestamp, data) VALUES (?, ?, ?, ?, ?, ?)"
)
_INSERT_SESSION = "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)"
_SELECT_IDS = (
    "SELECT id FROM events WHERE app = ? AND user = ? AND session = ? ORDER BY timestamp, seq"
)
_SELECT_RECENT = (
    "SELECT id FROM events WHERE app = ? AND user = ? AND session = ?"
    " ORDER BY timestamp DESC, seq DESC LIMIT ?"
)
_SELECT_ALL_ROWS = (
    "SELECT id, data FROM events WHERE app = ? AND user = ? AND session = ? ORDER BY timestamp, seq"
)


def _open_floor(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA busy_timeout = 30000")
    for statement in _FLOOR_SCHEMA:
        connection.execute(statement)
    return connection


def _floor_append(connection: sqlite3.Connection, handle: tuple[str, str], event: Event) -> None:
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(
        _INSERT_EVENT,
        (APP, handle[0], handle[1], event.id, event.timestamp, event.model_dump_json()),
    )
    connection.execute("COMMIT")


def _floor_ids(
    connection: sqlite3.Connection, user: str, session_id: str, recent: int | None
) -> list[str]:
    if recent is None:
        rows = connection.execute(_SELECT_ALL_ROWS, (APP, user, session_id)).fetchall()
        return [row[0] for row in rows]
    rows = connection.execute(_SELECT_RECENT, (APP, user, session_id, recent)).fetchall()
    return [row[0] for row in reversed(rows)]


def _floor_create(
    connection: sqlite3.Connection, user: str, session_id: str, state: dict[str, Any]
) -> tuple[str, str]:
    import json

    connection.execute(_INSERT_SESSION, (APP, user, session_id, json.dumps(state), 0.0))
    return (user, session_id)


def _floor_ids_of(ids: list[str]) -> list[str]:
    return ids  # a floor reads the ids alone: its rows hold no session to build


def _floor_list(connection: sqlite3.Connection, user: str | None) -> list[Any]:
    if user is None:
        rows = connection.execute(
            "SELECT id, state FROM sessions WHERE app = ? ORDER BY update_time", (APP,)
        ).fetchall()
    else:
        rows = connection.execute(
            "SELECT id, state FROM sessions WHERE app = ? AND user = ? ORDER BY update_time",
            (APP, user),
        ).fetchall()
    return rows


class Sqlite3Floor:
    """Plain sqlite3 on the event loop's own thread: the physical floor."""

    def __init__(self, path: Path) -> None:
        self.connection = _open_floor(path)

    async def create(self, user: str, session_id: str, state: dict[str, Any]) -> Any:
        return _floor_create(self.connection, user, session_id, state)

    async def append(self, handle: Any, event: Event) -> None:
        _floor_append(self.connection, handle, event)

    async def read(self, user: str, session_id: str, recent: int | None) -> list[str]:
        return _floor_ids(self.connection, user, session_id, recent)

    ids_of = staticmethod(_floor_ids_of)

    async def list_sessions(self, user: str | None) -> list[Any]:
        return _floor_list(self.connection, user)

    count_of = staticmethod(len)


class AiosqliteFloor:
    """The same SQL over one persistent aiosqlite connection: two hops per append."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    @classmethod
    async def open(cls, path: Path) -> AiosqliteFloor:
        import aiosqlite

        connection = await aiosqlite.connect(path)
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = NORMAL")
        for statement in _FLOOR_SCHEMA:
            await connection.execute(statement)
        await connection.commit()
        return cls(connection)

    async def create(self, user: str, session_id: str, state: dict[str, Any]) -> Any:
        import json

        await self.connection.execute(
            _INSERT_SESSION, (APP, user, session_id, json.dumps(state), 0.0)
        )
        await self.connection.commit()
        return (user, session_id)

    async def append(self, handle: Any, event: Event) -> None:
        await self.connection.execute(
            _INSERT_EVENT,
            (APP, handle[0], handle[1], event.id, event.timestamp, event.model_dump_json()),
        )
        await self.connection.commit()

    async def read(self, user: str, session_id: str, recent: int | None) -> list[str]:
        if recent is None:
            rows = await self.connection.execute_fetchall(_SELECT_ALL_ROWS, (APP, user, session_id))
            return [row[0] for row in rows]
        rows = await self.connection.execute_fetchall(
            _SELECT_RECENT, (APP, user, session_id, recent)
        )
        return [row[0] for row in reversed(list(rows))]

    ids_of = staticmethod(_floor_ids_of)

    async def list_sessions(self, user: str | None) -> list[Any]:
        sql = "SELECT id, state FROM sessions WHERE app = ?" + (" AND user = ?" if user else "")
        params = (APP, user) if user else (APP,)
        return list(await self.connection.execute_fetchall(sql + " ORDER BY update_time", params))

    count_of = staticmethod(len)


class OneHopFloor:
    """The same SQL on a worker thread, one hop per whole operation."""

    def __init__(self, path: Path) -> None:
        import concurrent.futures

        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self.connection = self.executor.submit(_open_floor, path).result()

    async def _run(self, function: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, function, *args)

    async def create(self, user: str, session_id: str, state: dict[str, Any]) -> Any:
        return await self._run(_floor_create, self.connection, user, session_id, state)

    async def append(self, handle: Any, event: Event) -> None:
        await self._run(_floor_append, self.connection, handle, event)

    async def read(self, user: str, session_id: str, recent: int | None) -> list[str]:
        result: list[str] = await self._run(_floor_ids, self.connection, user, session_id, recent)
        return result

    ids_of = staticmethod(_floor_ids_of)

    async def list_sessions(self, user: str | None) -> list[Any]:
        result: list[Any] = await self._run(_floor_list, self.connection, user)
        return result

    count_of = staticmethod(len)


BACKENDS = (
    "adk-sqlite",
    "adk-sqlite-threads",
    "adk-sqlite-per-session",
    "adk-inmemory",
    "adk-sqlite-service",
    "adk-database-service",
    "sqlspec",
    "floor-sqlite3",
    "floor-aiosqlite-2hops",
    "floor-thread-1hop",
)
"""Every subject a run can compare; ``adk-sqlite`` is this project (``-threads``:
with ``inline_io=False``, every database call on a worker thread)."""


def per_session_folder(path: Path) -> Path:
    """Where the one-file-per-session layout keeps the database ``path`` names: ``w1.sessions/``."""
    return path.with_suffix(".sessions")


@asynccontextmanager
async def open_subject(name: str, path: Path) -> AsyncIterator[Subject]:
    """Opens backend ``name`` on the database file ``path`` (fresh unless reused)."""
    if name == "adk-sqlite":
        from adk_sqlite import SessionService, SqliteStore

        async with SessionService(SqliteStore(path)) as service:
            yield ServiceSubject(service)
    elif name == "adk-sqlite-threads":
        from adk_sqlite import SessionService, SqliteStore

        async with SessionService(SqliteStore(path, inline_io=False)) as service:
            yield ServiceSubject(service)
    elif name == "adk-sqlite-per-session":
        from adk_sqlite import SessionService, SqliteStore

        store = SqliteStore.per_session_files(per_session_folder(path))
        async with SessionService(store) as service:
            yield ServiceSubject(service)
    elif name == "adk-inmemory":
        from google.adk.sessions import InMemorySessionService

        yield ServiceSubject(InMemorySessionService())
    elif name == "adk-sqlite-service":
        from google.adk.sessions.sqlite_session_service import SqliteSessionService

        service = SqliteSessionService(str(path))
        try:
            yield ServiceSubject(service)
        finally:
            await service.close()
    elif name == "adk-database-service":
        from google.adk.sessions import DatabaseSessionService

        service = DatabaseSessionService(f"sqlite+aiosqlite:///{path}")
        try:
            yield ServiceSubject(service)
        finally:
            await service.close()
    elif name == "sqlspec":
        from sqlspec.adapters.aiosqlite import AiosqliteConfig
        from sqlspec.adapters.aiosqlite.adk import AiosqliteADKStore
        from sqlspec.extensions.adk import SQLSpecSessionService

        config = AiosqliteConfig(connection_config={"database": str(path)})
        store = AiosqliteADKStore(config)
        await store.create_tables()
        try:
            yield ServiceSubject(SQLSpecSessionService(store))
        finally:
            await config.close_pool()
    elif name == "floor-sqlite3":
        floor = Sqlite3Floor(path)
        try:
            yield floor
        finally:
            floor.connection.close()
    elif name == "floor-aiosqlite-2hops":
        aio_floor = await AiosqliteFloor.open(path)
        try:
            yield aio_floor
        finally:
            await aio_floor.connection.close()
    elif name == "floor-thread-1hop":
        hop_floor = OneHopFloor(path)
        try:
            yield hop_floor
        finally:
            hop_floor.executor.submit(hop_floor.connection.close).result()
            hop_floor.executor.shutdown()
    else:
        raise ValueError(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}")
