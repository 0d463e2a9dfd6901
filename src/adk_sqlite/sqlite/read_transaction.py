"""SQLite reads in a transaction of their own, for callers that have not begun one.

A job that reads in several statements (a search, a version's metadata then its bytes)
is written to run inside the caller's transaction; `in_read_transaction` gives the same
job, beginning and committing its own, for callers that run it on a bare connection;
`read_transaction` is the same transaction around a block.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from typing import Concatenate, ParamSpec, TypeVar

from adk_sqlite.sqlite.schema import sql as _sql

__all__ = ["in_read_transaction", "read_transaction"]

P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def read_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """One snapshot for all the body's reads: ``BEGIN`` (deferred) ... ``COMMIT``.

    It commits even when the body raises: a read has nothing to roll back.
    """
    connection.execute(_sql.BEGIN_READ)
    try:
        yield
    finally:
        connection.execute(_sql.COMMIT)


def in_read_transaction(
    job: Callable[Concatenate[sqlite3.Connection, P], R],
) -> Callable[Concatenate[sqlite3.Connection, P], R]:
    """``job`` in a read transaction of its own (deferred ``BEGIN`` ... ``COMMIT``).

    All its reads see one snapshot. The transaction commits even when the job
    raises: a read has nothing to roll back.
    """

    def in_transaction(connection: sqlite3.Connection, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with read_transaction(connection):
            return job(connection, *args, **kwargs)

    return in_transaction
