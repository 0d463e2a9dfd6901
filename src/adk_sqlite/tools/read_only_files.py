"""Opening a database file read-only whatever stores' tables it holds.

The artifacts and memories tools read tables a file may hold beside its table sets (or
without any: a file only an artifact or memory service wrote), so they open it with
``any_table_set=True``, on a read-only connection of their own, with the driver's
errors mapped to the library's (`sqlite_errors`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from adk_sqlite.sqlite.database_file import (
    SessionDatabase,
    open_session_database,
    sqlite_errors,
)
from adk_sqlite.sqlite.read_transaction import read_transaction

__all__ = ["opened_read_only", "read_only_snapshot"]


@contextlib.contextmanager
def opened_read_only(
    database: str | os.PathLike[str], busy_timeout: float
) -> Iterator[SessionDatabase]:
    """The file, open read-only, whichever table sets it holds (none included)."""
    with (
        open_session_database(database, busy_timeout=busy_timeout, any_table_set=True) as db,
        sqlite_errors(db.target),
    ):
        yield db


@contextlib.contextmanager
def read_only_snapshot(
    database: str | os.PathLike[str], busy_timeout: float
) -> Iterator[SessionDatabase]:
    """`opened_read_only`, inside one read transaction: every read sees one state."""
    with opened_read_only(database, busy_timeout) as db, read_transaction(db.connection):
        yield db
