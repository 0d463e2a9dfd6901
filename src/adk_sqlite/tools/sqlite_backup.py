"""The copy under `backup_database`: SQLite's online backup into a new, verified file.

`backup_database` copies an adk-sqlite database and counts what the copy
holds; any other SQLite file (ADK's own ``DatabaseSessionService`` or
``SqliteSessionService`` database, say, before `adk-sqlite import` reads it)
is copied the same way, as a plain SQLite database, with the same guarantees:
one consistent snapshot, a new owner-only file, ``PRAGMA integrity_check``
before it gets its name.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from collections.abc import Callable
from pathlib import Path

from adk_sqlite.errors import ConfigurationError, DatabaseError, DatabaseUnavailableError
from adk_sqlite.sqlite.database_file import connect_read_only, resolve_file, sqlite_errors
from adk_sqlite.sqlite.engine.connection import parse_database
from adk_sqlite.sqlite.schema.sql import SCHEMA_TABLE

__all__ = [
    "PlainCopy",
    "check_integrity",
    "copy_pages",
    "copy_plain_sqlite",
    "holds_store_tables",
    "new_partial_file",
    "remove_with_sidecars",
]

SELECT_TABLE_NAMED = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
SELECT_TABLE_NAMES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    " ORDER BY name"
)


def holds_store_tables(database: str | os.PathLike[str], *, busy_timeout: float) -> bool:
    """Whether the file is adk-sqlite's: it has the schema table every store writes first.

    Such a file is backed up with adk-sqlite's own checks (and refused when
    its schema is newer than this adk-sqlite); any other is plain SQLite.

    Raises:
        DatabaseUnavailableError: The file is missing or not a SQLite database.
    """
    target = resolve_file(database)
    connection = connect_read_only(target, busy_timeout=busy_timeout)
    try:
        with sqlite_errors(target):
            found = connection.execute(SELECT_TABLE_NAMED, (SCHEMA_TABLE,)).fetchone()
            return found is not None
    finally:
        connection.close()


def new_partial_file(dest: Path) -> Path:
    """An empty owner-only (0600) file beside ``dest`` to copy into, renamed when verified.

    Raises:
        ConfigurationError: ``dest`` exists (a backup is always a new file).
        DatabaseUnavailableError: ``dest``'s folder does not exist.
    """
    if dest.exists():
        raise ConfigurationError(f"{dest}: already exists; a backup is always a new file")
    if not dest.parent.is_dir():
        raise DatabaseUnavailableError(f"{dest}: folder {dest.parent} does not exist")
    partial = dest.with_name(f".{dest.name}.partial-{secrets.token_hex(4)}")
    descriptor = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(descriptor)
    return partial


def copy_pages(
    source: sqlite3.Connection,
    partial: Path,
    progress: Callable[[int, int], None] | None,
    pages_per_step: int,
) -> int:
    """Copies every page of ``source`` into ``partial`` in one read transaction; the page count."""
    copied = 0

    def report(_status: int, remaining: int, total: int) -> None:
        nonlocal copied
        copied = total
        if progress is not None:
            progress(total - remaining, total)

    copy = sqlite3.connect(partial, isolation_level=None)
    try:
        with sqlite_errors(parse_database(partial)):
            # One read transaction around every step: writers that commit
            # meanwhile are not seen, so the backup never restarts and the copy
            # is one snapshot.
            source.execute("BEGIN")
            try:
                source.execute("SELECT 1 FROM sqlite_master").fetchone()
                source.backup(copy, pages=pages_per_step, progress=report)
            finally:
                source.execute("COMMIT")
    finally:
        copy.close()
    return copied


def check_integrity(copy: sqlite3.Connection) -> list[str]:
    """``PRAGMA integrity_check`` on a copy: ``["ok"]``, or `DatabaseError`."""
    integrity = [row[0] for row in copy.execute("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        raise DatabaseError(
            f"the backup failed its integrity check and was removed: {integrity[:5]}"
        )
    return integrity


def remove_with_sidecars(path: Path) -> None:
    """Removes a file and its ``-wal``, ``-shm`` and ``-journal`` files, where they exist."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).unlink()


class PlainCopy:
    """What `copy_plain_sqlite` wrote: the source, pages, the check and the copy's tables."""

    __slots__ = ("integrity", "pages", "source", "tables")

    def __init__(self, source: str, pages: int, integrity: list[str], tables: list[str]) -> None:
        self.source, self.pages, self.integrity, self.tables = source, pages, integrity, tables


def copy_plain_sqlite(
    database: str | os.PathLike[str],
    dest: Path,
    *,
    progress: Callable[[int, int], None] | None,
    busy_timeout: float,
    pages_per_step: int,
) -> PlainCopy:
    """Backs up any SQLite file to ``dest``: online, one snapshot, verified, then named.

    Raises:
        ConfigurationError: ``dest`` exists.
        DatabaseUnavailableError: The source is missing or not a SQLite
            database, or ``dest``'s folder does not exist.
        DatabaseError: The copy failed its integrity check (it was removed).
    """
    target = resolve_file(database)
    connection = connect_read_only(target, busy_timeout=busy_timeout)
    try:
        partial = new_partial_file(dest)
        try:
            pages = copy_pages(connection, partial, progress, pages_per_step)
            copy = sqlite3.connect(partial, isolation_level=None)
            try:
                with sqlite_errors(parse_database(partial)):
                    integrity = check_integrity(copy)
                    tables = [row[0] for row in copy.execute(SELECT_TABLE_NAMES)]
            finally:
                copy.close()
            os.replace(partial, dest)
        except BaseException:
            remove_with_sidecars(partial)
            raise
    finally:
        connection.close()
    assert target.path is not None
    return PlainCopy(str(target.path), pages, integrity, tables)
