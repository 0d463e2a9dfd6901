"""The folder of a one-file-per-session store: its paths, its catalog, its open files.

Everything here runs on the store's worker threads. Connections are plain
``sqlite3`` connections (``check_same_thread=False``): the store guarantees
that one session file is used by one thread at a time (a per-session lock in
the event loop), and the catalog's writer is used under `Catalog.locked`.

Lock order, everywhere: a session file's write lock (``BEGIN IMMEDIATE``), then
the catalog's (the in-process lock, then the ``catalog.db-lock`` ``flock``,
then SQLite's). No code path takes a session file's lock while holding the
catalog's, so the two cannot deadlock.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from adk_sqlite.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    SchemaError,
    SchemaVersionError,
)
from adk_sqlite.sqlite.engine.connection import DatabaseTarget, Synchronous, connect_configured
from adk_sqlite.sqlite.engine.writer import WriteLock
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.sqlite.schema.artifact_sql import ArtifactStatements, render_artifact_statements
from adk_sqlite.sqlite.schema.migrations import check_owner_column, migrate
from adk_sqlite.sqlite.schema.statements import Statements

__all__ = [
    "Catalog",
    "SessionFile",
    "SessionFolder",
    "checkpoint_file",
    "connect_session_file",
    "file_identity",
    "file_target",
    "folder_path",
    "migrate_table_set",
    "transaction",
    "unlink_database",
]

_logger = logging.getLogger("adk_sqlite.sqlite.per_session")

# As in the shared layout, the writer does not checkpoint inside a commit: a
# background thread copies the log into the file every so many commits.
COMMITS_PER_CHECKPOINT = 200
# The catalog is written far less often and keeps SQLite's own checkpoints.
_CATALOG_AUTOCHECKPOINT = "PRAGMA wal_autocheckpoint = 1000"
_SIDECARS = ("-wal", "-shm", "-journal")


def folder_path(folder: str | os.PathLike[str]) -> Path:
    """The folder of a per-session store; URLs and in-memory databases are refused."""
    if not isinstance(folder, str | os.PathLike):
        raise ConfigurationError(f"folder={folder!r}: expected a path")
    if isinstance(folder, str) and (folder in ("", ":memory:") or "://" in folder):
        raise ConfigurationError(
            f"folder={folder!r}: one file per session needs a folder path, not a URL or memory"
        )
    return Path(folder)


def file_target(path: Path, *, read_only: bool = False) -> DatabaseTarget:
    """A target that opens an existing file and never creates one."""
    mode = "ro" if read_only else "rw"
    return DatabaseTarget(
        path, f"file:{quote(str(path))}?mode={mode}", uri=True, read_only=read_only
    )


def connect_session_file(
    target: DatabaseTarget, *, busy_timeout_ms: int, synchronous: Synchronous, role: str = "writer"
) -> sqlite3.Connection:
    """Opens a session file (or the catalog) configured like the shared layout's connections."""
    return connect_configured(
        target,
        role="reader" if role == "reader" else "writer",
        busy_timeout_ms=busy_timeout_ms,
        synchronous=synchronous,
        pragmas=(_CATALOG_AUTOCHECKPOINT,) if role == "catalog" else (),
    )


@contextlib.contextmanager
def transaction(connection: sqlite3.Connection, begin: str = _sql.BEGIN_WRITE) -> Iterator[None]:
    """``BEGIN IMMEDIATE ... COMMIT``, rolled back when the body raises."""
    connection.execute(begin)
    try:
        yield
        connection.execute(_sql.COMMIT)
    except BaseException:
        if connection.in_transaction:
            connection.execute(_sql.ROLLBACK)
        raise


def migrate_table_set(
    connection: sqlite3.Connection, table_set: str, migrations: tuple[tuple[str, ...], ...]
) -> None:
    """`migrate` for the layout's own tables: each step commits with its version row."""
    with transaction(connection):
        connection.execute(_sql.CREATE_SCHEMA_TABLE)
        row = connection.execute(_sql.SELECT_SCHEMA_VERSION, (table_set,)).fetchone()
        version = 0 if row is None or row[0] is None else int(row[0])
        if version > len(migrations):
            raise SchemaVersionError(
                f"table set {table_set!r} is at schema version {version}, newer than this"
                f" adk-sqlite understands ({len(migrations)}): upgrade adk-sqlite"
            )
        for next_version in range(version + 1, len(migrations) + 1):
            for statement in migrations[next_version - 1]:
                connection.execute(statement)
            connection.execute(_sql.INSERT_SCHEMA_VERSION, (table_set, next_version))


def checkpoint_file(path: Path) -> None:
    """Copies a session file's log into it, from a connection of its own (off the write path)."""
    try:
        connection = sqlite3.connect(file_target(path).connect_to, uri=True, isolation_level=None)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        # An optimisation: the next checkpoint of this file retries it.
        _logger.info("WAL checkpoint of %s failed; retried later", path, exc_info=True)


def unlink_database(path: Path) -> None:
    """Removes a database file and its sidecars, whichever exist."""
    for suffix in ("", *_SIDECARS):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of ``path``, or None when nothing is there."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return None
    return (status.st_dev, status.st_ino)


class SessionFile:
    """One open session file, and the inode it was opened on.

    `in_place` tells whether the path still names that inode: another process
    that deletes or archives the session unlinks the name while it holds the
    file's write lock, so a writer that checks after taking the lock never
    writes into a file that left the folder.
    """

    def __init__(
        self, path: Path, connection: sqlite3.Connection, identity: tuple[int, int], generation: int
    ) -> None:
        self.path = path
        self.connection = connection
        self.identity = identity
        self.generation = generation
        # (revision, state JSON) of the session as this process last read or wrote it.
        self.known: tuple[int, str] | None = None
        self._commits = 0

    def in_place(self) -> bool:
        return file_identity(self.path) == self.identity

    def committed(self) -> bool:
        """Counts a commit; True once every `COMMITS_PER_CHECKPOINT` (time to checkpoint)."""
        self._commits += 1
        if self._commits < COMMITS_PER_CHECKPOINT:
            return False
        self._commits = 0
        return True

    def close(self) -> None:
        # SQLite notices an unlinked or replaced file and then neither
        # checkpoints nor deletes the -wal on close, so closing is always safe.
        self.connection.close()


class Catalog:
    """``catalog.db``: one writer behind a lock, and one reader per worker thread."""

    def __init__(self, folder: SessionFolder) -> None:
        self._folder = folder
        self._writer: sqlite3.Connection | None = None
        self._thread_lock = threading.Lock()
        self._flock = WriteLock(folder.catalog_path, timeout=folder.busy_timeout_ms / 1000)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    def open(self) -> None:
        folder = self._folder
        if not folder.catalog_path.exists():
            descriptor = os.open(folder.catalog_path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(descriptor)
        writer = folder.connect(folder.catalog_path, role="catalog")
        try:
            migrate(writer, folder.statements)
            migrate_table_set(writer, _psql.SESSION_FILES_TABLE, _psql.CATALOG_MIGRATIONS)
            self._flock.open()
        except BaseException:
            writer.close()
            raise
        self._writer = writer

    @contextlib.contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """The writer connection, held exclusively (in this process and across processes)."""
        writer = self._writer
        assert writer is not None, "the catalog is not open"
        with self._thread_lock:
            self._flock.acquire()
            try:
                yield writer
            finally:
                self._flock.release()

    @contextlib.contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """`locked` around one write transaction."""
        with self.locked() as writer, transaction(writer):
            yield writer

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """This thread's reader connection inside one read transaction."""
        reader: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if reader is None:
            reader = self._folder.connect(self._folder.catalog_path, role="reader")
            self._local.connection = reader
            with self._readers_lock:
                self._readers.append(reader)
        with transaction(reader, _sql.BEGIN_READ):
            yield reader

    def close(self) -> None:
        with self._readers_lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._flock.close()


class _InFolder:
    """A file or folder of the layout, read as a path under the store's folder."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __get__(self, folder: SessionFolder, owner: type[SessionFolder]) -> Path:
        return folder.root / self._name


@dataclass(slots=True)
class SessionFolder:
    """Where a store's files live, how its connections are configured, and its catalog."""

    root: Path
    statements: Statements
    busy_timeout_ms: int
    synchronous: Synchronous
    # The artifacts table, in the catalog and in session files (see `artifacts`).
    artifact_statements: ArtifactStatements = field(
        default_factory=lambda: render_artifact_statements("adk_artifacts")
    )
    # The store's session_artifacts option: a deleted session's artifacts go with it.
    delete_session_artifacts: bool = False
    catalog: Catalog = field(init=False)
    # Where checkpoints run: the store's background thread, once it is open.
    background: concurrent.futures.Executor | None = None

    _template: bytes | None = None

    # The layout's places, under the root.
    sessions_dir = _InFolder(_psql.SESSIONS_FOLDER)
    archive_dir = _InFolder(_psql.ARCHIVE_FOLDER)
    orphans_dir = _InFolder(_psql.ORPHANS_FOLDER)
    catalog_path = _InFolder(_psql.CATALOG_FILE)

    def __post_init__(self) -> None:
        self.catalog = Catalog(self)

    def template(self) -> bytes:
        """The bytes of an empty session file: every table, made by the migrations."""
        if self._template is None:
            connection = sqlite3.connect(":memory:", isolation_level=None)
            try:
                migrate(connection, self.statements)
                migrate_table_set(
                    connection, _psql.SESSION_FILE_TABLE, _psql.SESSION_FILE_MIGRATIONS
                )
                self._template = connection.serialize()
            finally:
                connection.close()
        return self._template

    def checkpoint_soon(self, file: SessionFile) -> None:
        """Counts a commit of ``file``; every so many, checkpoints it in the background."""
        if file.committed() and self.background is not None:
            with contextlib.suppress(RuntimeError):  # the store is shutting down
                self.background.submit(checkpoint_file, file.path)

    @property
    def target(self) -> DatabaseTarget:
        """What error messages name: the folder."""
        return DatabaseTarget(self.root, str(self.root), uri=False, read_only=False)

    @property
    def durable_renames(self) -> bool:
        """Whether renames and unlinks are made durable too (``synchronous`` FULL or EXTRA)."""
        return self.synchronous in ("FULL", "EXTRA")

    def connect(self, path: Path, *, role: str = "writer") -> sqlite3.Connection:
        return connect_session_file(
            file_target(path),
            busy_timeout_ms=self.busy_timeout_ms,
            synchronous=self.synchronous,
            role=role,
        )

    def open_session_file(self, path: Path) -> SessionFile | None:
        """Opens a session file (never creating one), migrated; None when it is not there."""
        for _ in range(3):
            before = file_identity(path)
            if before is None:
                return None
            try:
                connection = self.connect(path)
            except sqlite3.OperationalError:
                if file_identity(path) is None:
                    return None  # unlinked while we opened it
                raise
            try:
                self._bring_up_to_date(connection)
                row = connection.execute(_psql.SELECT_GENERATION).fetchone()
                if file_identity(path) != before:
                    connection.close()
                    continue  # replaced while we opened it: open the new one
            except BaseException:
                connection.close()
                raise
            if row is None:
                connection.close()
                raise SchemaError(f"{path}: not a session file of a per-session store")
            return SessionFile(path, connection, before, int(row[0]))
        return None

    def _bring_up_to_date(self, connection: sqlite3.Connection) -> None:
        """Migrates a session file, unless a read shows both its table sets are current.

        Files are opened far more often than a store is, so the common case
        costs one read instead of two write transactions.
        """
        tables = self.statements.tables
        try:
            versions = dict(connection.execute(_psql.SELECT_VERSIONS).fetchall())
        except sqlite3.OperationalError:
            versions = {}  # no schema table yet
        current = versions.get(tables.sessions) == _sql.SCHEMA_VERSION and versions.get(
            _psql.SESSION_FILE_TABLE
        ) == len(_psql.SESSION_FILE_MIGRATIONS)
        if current:
            check_owner_column(connection, self.statements)
            return
        migrate(connection, self.statements)
        migrate_table_set(connection, _psql.SESSION_FILE_TABLE, _psql.SESSION_FILE_MIGRATIONS)

    def open(self) -> None:
        """Creates the folder (mode 0700) and ``sessions/``, and opens the catalog."""
        if not self.root.parent.is_dir():
            raise DatabaseUnavailableError(
                f"{self.root}: cannot create the folder: {self.root.parent} does not exist"
            )
        for path in (self.root, self.sessions_dir):
            path.mkdir(mode=0o700, exist_ok=True)
        self.catalog.open()

    def sync_folder(self, *folders: Path) -> None:
        """Makes renames and unlinks in ``folders`` durable when the store asks for that."""
        if not self.durable_renames:
            return
        for folder in folders:
            descriptor = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
