"""A SQLite read job in a transaction of its own, for callers that have not begun one.

A job that reads in several statements (a search, a version's metadata then its bytes)
is written to run inside the caller's transaction; `in_read_transaction` gives the same
job, beginning and committing its own, for callers that run it on a bare connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from adk_sqlite.sqlite.schema import sql as _sql

__all__ = ["in_read_transaction"]

P = ParamSpec("P")
R = TypeVar("R")


def in_read_transaction(
    job: Callable[Concatenate[sqlite3.Connection, P], R],
) -> Callable[Concatenate[sqlite3.Connection, P], R]:
    """``job`` in a read transaction of its own (deferred ``BEGIN`` ... ``COMMIT``).

    All its reads see one snapshot. The transaction commits even when the job
    raises: a read has nothing to roll back.
    """

    def in_transaction(connection: sqlite3.Connection, /, *args: P.args, **kwargs: P.kwargs) -> R:
        connection.execute(_sql.BEGIN_READ)
        try:
            return job(connection, *args, **kwargs)
        finally:
            connection.execute(_sql.COMMIT)

    return in_transaction
