"""SQLite connections: where they point, how they are configured, how work reaches them.

Every aiosqlite connection owns one worker thread. A round trip from the event
loop to that thread and back costs ~15-130 µs on the machines we measure on,
far more than the SQL of an append, so each store operation is one Python
function (a job) run on the connection: on its worker thread (one hop), or,
with ``inline_io``, directly on the event loop's thread (no hop; see
`SqliteStore`); writes go through `_writer.GroupCommitter`.

Connections are `worker_connection.WorkerConnection` objects: that module is the one
adapter over aiosqlite's internals, with its start-up check and public fallback.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import quote, unquote, urlsplit

from adk_sqlite import errors
from adk_sqlite.storage.store_options import seconds

if TYPE_CHECKING:
    # The worker threads (and asyncio) load when a store opens a connection: the
    # command line's reading tools use this module's plain sqlite3 helpers only.
    from adk_sqlite.sqlite.engine.worker_connection import WorkerConnection

__all__ = [
    "DatabaseTarget",
    "Role",
    "Synchronous",
    "TimeLimit",
    "connect_configured",
    "connection_options",
    "is_interrupted_error",
    "open_connection",
    "parse_database",
    "run_on_connection",
    "sqlite_errors",
    "time_limited",
]

T = TypeVar("T")
Synchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]
Job = Callable[[sqlite3.Connection], Any]
_SYNCHRONOUS_LEVELS: tuple[Synchronous, ...] = ("OFF", "NORMAL", "FULL", "EXTRA")

_MEMORY_SPELLINGS = ("", ":memory:")
_URL_SCHEMES = ("sqlite", "sqlite+aiosqlite")


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    """Where a store's database lives.

    Attributes:
        path: The file, or None for a private in-memory database.
        connect_to: What `sqlite3.connect` receives.
        uri: Whether ``connect_to`` is a ``file:`` URI (URL query parameters kept).
        read_only: The URL asked for ``mode=ro``.
    """

    path: Path | None
    connect_to: str
    uri: bool
    read_only: bool

    @property
    def in_memory(self) -> bool:
        return self.path is None

    def describe(self) -> str:
        return ":memory:" if self.path is None else str(self.path)


def parse_database(database: str | os.PathLike[str]) -> DatabaseTarget:
    """Understands a path, ``":memory:"``, or a ``sqlite[+aiosqlite]:///`` URL.

    URLs follow SQLAlchemy: ``sqlite:///rel.db`` is relative to the working
    directory, ``sqlite:////abs.db`` absolute, ``sqlite:///`` and
    ``sqlite:///:memory:`` in memory; a query string (``?mode=ro``) is kept by
    opening the file as a ``file:`` URI.

    Raises:
        ConfigurationError: An unknown URL scheme or a host part.
    """
    if isinstance(database, os.PathLike):
        return DatabaseTarget(Path(database), os.fspath(database), uri=False, read_only=False)
    if not isinstance(database, str):
        raise errors.ConfigurationError(f"database={database!r}: expected a path or a sqlite URL")
    if database in _MEMORY_SPELLINGS:
        return DatabaseTarget(None, ":memory:", uri=False, read_only=False)
    scheme, separator, _ = database.partition("://")
    if not separator or "/" in scheme or "\\" in scheme or len(scheme) < 2:
        return DatabaseTarget(Path(database), database, uri=False, read_only=False)
    if scheme not in _URL_SCHEMES:
        raise errors.ConfigurationError(
            f"database={database!r}: unsupported URL scheme {scheme!r};"
            " use a file path or sqlite:///path/to/file.db"
        )
    parts = urlsplit(database)
    if parts.netloc:
        raise errors.ConfigurationError(
            f"database={database!r}: a sqlite URL has no host; write sqlite:///relative.db"
            " or sqlite:////absolute.db"
        )
    path = unquote(parts.path)[1:]  # drop the "/" that separates the empty host
    if path in _MEMORY_SPELLINGS:
        return DatabaseTarget(None, ":memory:", uri=False, read_only=False)
    if parts.query:
        query = parts.query
        read_only = "mode=ro" in query.split("&")
        # The path goes into a file: URI, where '?', '#' and '%' have meanings.
        uri = f"file:{quote(path)}?{query}"
        return DatabaseTarget(Path(path), uri, uri=True, read_only=read_only)
    return DatabaseTarget(Path(path), path, uri=False, read_only=False)


@contextlib.contextmanager
def sqlite_errors(target: DatabaseTarget) -> Iterator[None]:
    """Maps ``sqlite3`` errors to the public error tree; the one place that does."""
    try:
        yield
    except sqlite3.Error as exc:
        raise translate_sqlite_error(exc, target) from exc
    except UnicodeDecodeError as exc:
        # sqlite3 decodes SQLite's messages as UTF-8; a damaged schema quoted in
        # "malformed database schema" can make that decoding itself fail.
        raise errors.DatabaseUnavailableError(
            f"{target.describe()}: the database is damaged (its schema holds bytes that are"
            f" not UTF-8): {exc}"
        ) from exc


def translate_sqlite_error(exc: sqlite3.Error, target: DatabaseTarget) -> errors.DatabaseError:
    """Returns the public error for a driver error, keyed on its SQLite result code."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    where = target.describe()
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return errors.DatabaseLockedError(f"{where}: database is locked by another writer: {exc}")
    if primary == sqlite3.SQLITE_READONLY:
        return errors.ReadOnlyDatabaseError(f"{where}: database is read-only (readonly): {exc}")
    if primary in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
        return errors.DatabaseUnavailableError(f"{where}: cannot use this database: {exc}")
    if primary == sqlite3.SQLITE_CONSTRAINT:
        return errors.ConstraintError(f"{where}: a constraint refused the write: {exc}")
    if primary == sqlite3.SQLITE_FULL:
        return errors.DatabaseError(f"{where}: the disk is full; nothing was written: {exc}")
    return errors.DatabaseError(f"{where}: {exc}")


def _prepare_file(target: DatabaseTarget) -> None:
    """Creates the database file owner-only (0600): it holds conversations.

    SQLite gives the -wal and -shm files the database file's permissions.
    """
    if target.path is None or target.read_only or target.path.exists():
        return
    if target.path.parent and not target.path.parent.is_dir():
        raise errors.DatabaseUnavailableError(
            f"{target.path}: cannot create the database: folder {target.path.parent} does not exist"
        )
    try:
        descriptor = os.open(target.path, os.O_CREAT | os.O_WRONLY, 0o600)
    except OSError as exc:
        raise errors.DatabaseUnavailableError(
            f"{target.path}: cannot create the database: {exc}"
        ) from exc
    os.close(descriptor)


Role = Literal["writer", "reader", "checkpointer"]


def connection_options(*, busy_timeout: object, synchronous: object) -> tuple[int, Synchronous]:
    """Checks the options both layouts take; returns (busy timeout in ms, synchronous).

    Raises:
        ConfigurationError: An unknown ``synchronous`` level, or a negative or
            non-numeric ``busy_timeout``.
    """
    for level in _SYNCHRONOUS_LEVELS:
        if synchronous == level:
            busy_timeout_ms = int(seconds("busy_timeout", busy_timeout, zero_allowed=True) * 1000)
            return busy_timeout_ms, level
    raise errors.ConfigurationError(
        f"synchronous={synchronous!r}: expected one of {', '.join(_SYNCHRONOUS_LEVELS)}"
    )


# Bytes the WAL file is truncated to when it restarts (see configure_connection).
_WAL_SIZE_LIMIT = 64 << 20


def configure_connection(
    connection: sqlite3.Connection,
    target: DatabaseTarget,
    *,
    role: Role,
    busy_timeout_ms: int,
    synchronous: Synchronous,
) -> None:
    # Pragmas are per connection and set exactly once, here.
    connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    connection.execute("PRAGMA foreign_keys = ON")
    if target.in_memory:
        return
    if role == "writer" and not target.read_only:
        mode = _switch_to_wal(connection, busy_timeout_ms)
        if mode is None or str(mode[0]).lower() != "wal":
            raise errors.DatabaseUnavailableError(
                f"{target.describe()}: could not switch to WAL journal mode (got {mode!r})"
            )
        # The checkpointer connection copies the log in the background instead.
        connection.execute("PRAGMA wal_autocheckpoint = 0")
        # When the log restarts after a checkpoint, a log that large artifacts grew
        # is truncated back to this size instead of keeping its largest size on disk.
        connection.execute(f"PRAGMA journal_size_limit = {_WAL_SIZE_LIMIT}")
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    if role == "reader":
        connection.execute("PRAGMA query_only = ON")


def _switch_to_wal(connection: sqlite3.Connection, busy_timeout_ms: int) -> Any:
    """``PRAGMA journal_mode = WAL``, retried while another connection holds the file.

    SQLite does not call the busy handler for this pragma in every case: two stores
    opening one new file at the same moment can get SQLITE_BUSY at once. This runs on
    a worker thread, so waiting here blocks no event loop.
    """
    deadline = time.monotonic() + busy_timeout_ms / 1000
    pause = 0.001
    while True:
        try:
            return connection.execute("PRAGMA journal_mode = WAL").fetchone()
        except sqlite3.OperationalError as exc:
            if not is_busy_error(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def connect_configured(
    target: DatabaseTarget,
    *,
    role: Role,
    busy_timeout_ms: int,
    synchronous: Synchronous,
    pragmas: Sequence[str] = (),
) -> sqlite3.Connection:
    """Opens one ``sqlite3`` connection and configures it (`configure_connection`).

    Args:
        target: The database.
        role: What the connection is for.
        busy_timeout_ms: SQLite's busy timeout.
        synchronous: SQLite's ``synchronous`` level.
        pragmas: Statements run after the configuration, e.g. a layout's own
            ``PRAGMA``.

    A connection whose configuration fails is closed before the error propagates.
    """
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so the sqlite3
    # module never opens or commits a transaction behind our back. A connection
    # may be used from the event loop's thread as well as its worker
    # (GroupCommitter's inline commits); its owner guarantees one user at a time.
    connection = sqlite3.connect(
        target.connect_to, uri=target.uri, isolation_level=None, check_same_thread=False
    )
    try:
        configure_connection(
            connection,
            target,
            role=role,
            busy_timeout_ms=busy_timeout_ms,
            synchronous=synchronous,
        )
        for pragma in pragmas:
            connection.execute(pragma)
    except BaseException:
        connection.close()
        raise
    return connection


async def open_connection(
    target: DatabaseTarget, *, role: Role, busy_timeout_ms: int, synchronous: Synchronous
) -> WorkerConnection:
    """Opens and configures one connection (one worker thread)."""

    def connect() -> sqlite3.Connection:
        # Runs on the connection's own thread, so file creation costs no extra hop.
        if role == "writer":
            _prepare_file(target)
        return connect_configured(
            target, role=role, busy_timeout_ms=busy_timeout_ms, synchronous=synchronous
        )

    from adk_sqlite.sqlite.engine.worker_connection import open_worker_connection

    with sqlite_errors(target):
        return await open_worker_connection(connect)


def is_busy_error(exc: sqlite3.Error) -> bool:
    """Whether SQLite refused because another connection holds a lock it needs."""
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY


@contextlib.contextmanager
def patient(connection: sqlite3.Connection, busy_timeout_ms: int | None) -> Iterator[None]:
    """Runs the block with SQLite's busy timeout, on a connection that normally has none.

    Connections used on the event loop's thread keep a busy timeout of 0, so the
    loop never sleeps in SQLite's busy handler; their worker thread retries what
    found a lock taken with the configured timeout (``None``: leave it as is).
    """
    if busy_timeout_ms is None:
        yield
        return
    connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    try:
        yield
    finally:
        connection.execute("PRAGMA busy_timeout = 0")


# SQLite virtual-machine steps between two looks at the clock (see `time_limited`).
_STEPS_BETWEEN_CHECKS = 1000


class TimeLimit:
    """Whether a `time_limited` block ran out of time (its statement was interrupted)."""

    __slots__ = ("exceeded",)

    def __init__(self) -> None:
        self.exceeded = False


@contextlib.contextmanager
def time_limited(connection: sqlite3.Connection, seconds: float) -> Iterator[TimeLimit]:
    """Interrupts the statement running when ``seconds`` have passed, once.

    For work on the event loop's thread, which must not hold the loop for long: a
    statement still running at the deadline fails with SQLite's ``SQLITE_INTERRUPT``
    (``exceeded`` is then True) and the caller runs the job again elsewhere. After
    that one interruption the handler lets everything finish, so the job's own
    clean-up (its ``COMMIT``) is never interrupted.
    """
    limit = TimeLimit()
    deadline = time.perf_counter() + seconds
    clock = time.perf_counter

    def past_deadline() -> int:
        if limit.exceeded or clock() < deadline:
            return 0
        limit.exceeded = True
        return 1

    connection.set_progress_handler(past_deadline, _STEPS_BETWEEN_CHECKS)
    try:
        yield limit
    finally:
        connection.set_progress_handler(None, 0)


def is_interrupted_error(exc: sqlite3.Error) -> bool:
    """Whether SQLite stopped a statement because it was interrupted (`time_limited`)."""
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_INTERRUPT


async def run_on_connection(connection: WorkerConnection, job: Callable[..., T]) -> T:
    """Runs ``job(sqlite3_connection)`` on the connection's worker thread: one hop."""
    return await connection.run(job)
