"""Read-only SQL over a session database, for the questions no command answers.

Three independent guards keep a query from changing anything:

1. the file is opened with ``mode=ro``, so SQLite itself refuses to write it;
2. ``PRAGMA query_only`` is on, so even a writable handle would refuse;
3. an authorizer allows only reading: ``SELECT``, reading columns, calling
   functions, recursive CTEs and a list of pragmas that only report. Any
   ``INSERT``/``UPDATE``/``DELETE``, DDL, ``ATTACH``, transaction control or a
   pragma that changes a setting is refused before the statement runs, with
   `adk_sqlite.errors.QueryRefusedError` naming what was refused.

The connection is the function's own, so a query never blocks the agents
writing to the file (WAL readers do not block writers)::

    from adk_sqlite import run_readonly_query

    result = run_readonly_query(
        "sessions.db",
        "SELECT author, count(*) FROM adk_events WHERE app_name = ? GROUP BY author",
        ["support"],
    )
    print(result.columns, result.rows)
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

import msgspec

from adk_sqlite.errors import ConfigurationError, DatabaseError, QueryRefusedError
from adk_sqlite.sqlite.database_file import open_session_database
from adk_sqlite.sqlite.engine.connection import translate_sqlite_error

__all__ = ["QueryResult", "refuse_empty_statement", "run_readonly_query"]

# Pragmas that only report, whatever their argument (a table name, a row count).
_REPORTING_PRAGMAS = frozenset(
    {
        "collation_list",
        "compile_options",
        "database_list",
        "foreign_key_check",
        "foreign_key_list",
        "function_list",
        "index_info",
        "index_list",
        "index_xinfo",
        "integrity_check",
        "module_list",
        "pragma_list",
        "quick_check",
        "table_info",
        "table_list",
        "table_xinfo",
    }
)
# Pragmas that report a setting when read and change it when given a value.
_SETTING_PRAGMAS = frozenset(
    {
        "application_id",
        "auto_vacuum",
        "busy_timeout",
        "cache_size",
        "encoding",
        "foreign_keys",
        "freelist_count",
        "journal_mode",
        "page_count",
        "page_size",
        "query_only",
        "schema_version",
        "synchronous",
        "user_version",
    }
)
_REFUSED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer"})
_ALWAYS_ALLOWED = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE})
# SQLite's authorizer action codes, named the way the refusal message says them.
_ACTION_NAMES = {
    sqlite3.SQLITE_ALTER_TABLE: "alter table",
    sqlite3.SQLITE_ANALYZE: "analyze",
    sqlite3.SQLITE_ATTACH: "attach a database",
    sqlite3.SQLITE_CREATE_INDEX: "create an index",
    sqlite3.SQLITE_CREATE_TABLE: "create a table",
    sqlite3.SQLITE_CREATE_TEMP_INDEX: "create an index",
    sqlite3.SQLITE_CREATE_TEMP_TABLE: "create a table",
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER: "create a trigger",
    sqlite3.SQLITE_CREATE_TEMP_VIEW: "create a view",
    sqlite3.SQLITE_CREATE_TRIGGER: "create a trigger",
    sqlite3.SQLITE_CREATE_VIEW: "create a view",
    sqlite3.SQLITE_CREATE_VTABLE: "create a virtual table",
    sqlite3.SQLITE_DELETE: "delete from",
    sqlite3.SQLITE_DETACH: "detach a database",
    sqlite3.SQLITE_DROP_INDEX: "drop an index",
    sqlite3.SQLITE_DROP_TABLE: "drop a table",
    sqlite3.SQLITE_DROP_TEMP_INDEX: "drop an index",
    sqlite3.SQLITE_DROP_TEMP_TABLE: "drop a table",
    sqlite3.SQLITE_DROP_TEMP_TRIGGER: "drop a trigger",
    sqlite3.SQLITE_DROP_TEMP_VIEW: "drop a view",
    sqlite3.SQLITE_DROP_TRIGGER: "drop a trigger",
    sqlite3.SQLITE_DROP_VIEW: "drop a view",
    sqlite3.SQLITE_DROP_VTABLE: "drop a virtual table",
    sqlite3.SQLITE_FUNCTION: "call the function",
    sqlite3.SQLITE_INSERT: "insert into",
    sqlite3.SQLITE_PRAGMA: "run the pragma",
    sqlite3.SQLITE_REINDEX: "reindex",
    sqlite3.SQLITE_SAVEPOINT: "use a savepoint",
    sqlite3.SQLITE_TRANSACTION: "control a transaction",
    sqlite3.SQLITE_UPDATE: "update",
}
# How often (in SQLite VM instructions) the deadline is checked.
_DEADLINE_CHECK_INTERVAL = 10_000


def refuse_empty_statement(sql: str) -> None:
    """Refuses SQL that holds no statement: only whitespace, ``;``, and comments.

    SQLite runs such a string as nothing at all and returns no rows and no
    columns, which reads like an empty result; it is a mistake to report. The
    scan stops at the first character outside a comment, so ``--`` and ``/*``
    inside a string literal later on are never looked at.

    Raises:
        ConfigurationError: The SQL holds no statement.
    """
    position, length = 0, len(sql)
    while position < length:
        if sql[position].isspace() or sql[position] == ";":
            position += 1
        elif sql.startswith("--", position):
            end = sql.find("\n", position)
            position = length if end < 0 else end + 1
        elif sql.startswith("/*", position):
            end = sql.find("*/", position + 2)
            position = length if end < 0 else end + 2  # unclosed: a comment to the end
        else:
            return
    raise ConfigurationError("the query is empty: it holds only comments and whitespace")


class QueryResult(msgspec.Struct, kw_only=True):
    """The result of a query.

    Attributes:
        columns: Column names, in order.
        rows: One list per row. Values are what SQLite returns: None, int,
            float, str, or bytes for BLOBs (the actions column).
        truncated: True when ``max_rows`` cut the result short.
    """

    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False


class _ReadOnlyAuthorizer:
    """The SQLite authorizer that lets only reads through, remembering the first refusal."""

    def __init__(self) -> None:
        self.refused: str | None = None

    def __call__(
        self,
        action: int,
        first: str | None,
        second: str | None,
        database: str | None,
        trigger_or_view: str | None,
    ) -> int:
        if self._allows(action, first, second):
            return sqlite3.SQLITE_OK
        if self.refused is None:
            what = _ACTION_NAMES.get(action, f"do SQLite action {action}")
            detail = " ".join(str(v) for v in (first, second) if v is not None)
            self.refused = f"{what} {detail}".strip()
        return sqlite3.SQLITE_DENY

    def raise_if_refused(self, exc: sqlite3.Error) -> None:
        """Raises `QueryRefusedError` when ``exc`` is SQLite failing a statement this refused."""
        if self.refused is not None:
            raise QueryRefusedError(
                f"refused: this query would {self.refused}; queries here only read"
                " (nothing was run)"
            ) from exc

    @staticmethod
    def _allows(action: int, first: str | None, second: str | None) -> bool:
        if action in _ALWAYS_ALLOWED:
            return True
        if action == sqlite3.SQLITE_FUNCTION:
            return (second or "").lower() not in _REFUSED_FUNCTIONS
        if action == sqlite3.SQLITE_PRAGMA:
            name = (first or "").lower()
            return name in _REPORTING_PRAGMAS or (name in _SETTING_PRAGMAS and second is None)
        # SQLite checks UPDATE on sqlite_master internally the first time a
        # query uses an eponymous virtual table (json_each, pragma_table_info);
        # a real write to it is refused by mode=ro and query_only regardless.
        return action == sqlite3.SQLITE_UPDATE and first in ("sqlite_master", "sqlite_schema")


def run_readonly_query(
    database: str | os.PathLike[str],
    sql: str,
    parameters: Sequence[Any] = (),
    *,
    max_rows: int | None = None,
    timeout: float | None = None,
    busy_timeout: float = 5.0,
) -> QueryResult:
    """Runs one read-only SQL statement and returns its rows.

    Args:
        database: The database file (or a ``sqlite:///`` URL).
        sql: One statement. ``?`` placeholders take ``parameters``.
        parameters: Values for the placeholders.
        max_rows: Return at most this many rows (``truncated`` tells).
        timeout: Abort the query after this many seconds.
        busy_timeout: Seconds to wait for a lock held by another connection.

    Raises:
        QueryRefusedError: The statement would write, attach, control a
            transaction or change a setting; nothing ran.
        DatabaseError: The SQL is invalid, or the query timed out.
        DatabaseUnavailableError: The file is missing or not a database.
        SchemaError: It is not an adk-sqlite database.
        ConfigurationError: ``sql`` holds only comments and whitespace.
    """
    refuse_empty_statement(sql)
    # The statement names its tables itself: any table set of the file will do.
    with open_session_database(database, busy_timeout=busy_timeout, any_table_set=True) as db:
        connection = db.connection
        authorizer = _ReadOnlyAuthorizer()
        connection.set_authorizer(authorizer)
        if timeout is not None:
            deadline = time.monotonic() + timeout
            connection.set_progress_handler(
                lambda: int(time.monotonic() > deadline), _DEADLINE_CHECK_INTERVAL
            )
        try:
            cursor = connection.execute(sql, tuple(parameters))
            columns = [column[0] for column in cursor.description or ()]
            if max_rows is None:
                rows, truncated = cursor.fetchall(), False
            else:
                rows = cursor.fetchmany(max_rows + 1)
                truncated = len(rows) > max_rows
                rows = rows[:max_rows]
        except sqlite3.Error as exc:
            authorizer.raise_if_refused(exc)
            code = getattr(exc, "sqlite_errorcode", None)
            if code is not None and code & 0xFF == sqlite3.SQLITE_READONLY:
                raise QueryRefusedError(f"refused: the query tried to write ({exc})") from exc
            if code == sqlite3.SQLITE_INTERRUPT and timeout is not None:
                raise DatabaseError(
                    f"{db.path}: the query was stopped after the {timeout:g} s timeout"
                ) from exc
            raise translate_sqlite_error(exc, db.target) from exc
    return QueryResult(columns=columns, rows=[list(row) for row in rows], truncated=truncated)
