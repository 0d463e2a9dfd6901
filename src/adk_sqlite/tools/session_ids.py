"""Session ids given by their first characters, as git takes a short commit hash.

Every command that takes a session id passes it through `resolve_session_id`
first: an id that exists is kept; a prefix that begins exactly one session's id
becomes that id; a prefix shared by several ids raises `AmbiguousSessionError`
listing them. A value that begins no id is kept as it is, so the command reports
the missing session in its own words (or, as a filter, matches nothing)::

    from adk_sqlite import resolve_session_id

    session_id = resolve_session_id("sessions.db", "5f0c")

The prefix is data, never a pattern: ids are compared as a range
(``id >= prefix AND id < prefix || U+10FFFF``), so ``%`` and ``_`` are plain
characters. In a one-file-per-session folder the catalog's live sessions and
the archived files are searched.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from adk_sqlite.errors import AmbiguousSessionError, SchemaError
from adk_sqlite.sqlite.database_file import open_session_database, sqlite_errors
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.sqlite.table_sets import table_sets_in
from adk_sqlite.tools.session_folder import archived_session_keys, is_session_folder

__all__ = ["CANDIDATES_LISTED", "resolve_session_id"]

# An ambiguous prefix's error lists at most this many of the ids it begins.
CANDIDATES_LISTED = 10

# The highest code point: every id that starts with the prefix sorts below
# prefix || it (SQLite compares TEXT as UTF-8 bytes by default, BINARY collation).
_RANGE = "id >= ?1 AND id < ?1 || char(1114111)"
_OWNER = "(?2 IS NULL OR app_name = ?2) AND (?3 IS NULL OR user_id = ?3)"
# A template: filled in with each table set's sessions table.
SELECT_IDS_FROM_PREFIX = f'SELECT DISTINCT id FROM "{{sessions}}" WHERE {_RANGE} AND {_OWNER}'
SELECT_CATALOG_IDS_FROM_PREFIX = (
    f"SELECT DISTINCT id FROM {_psql.SESSION_FILES_TABLE} WHERE {_RANGE} AND {_OWNER}"
)


def resolve_session_id(
    database: str | os.PathLike[str],
    session_id: str,
    *,
    app_name: str | None = None,
    user_id: str | None = None,
    table_set: str | None = None,
    busy_timeout: float = 5.0,
) -> str:
    """The full id of the one session whose id is ``session_id`` or begins with it.

    Args:
        database: A database file (or ``sqlite:///`` URL), or a folder of one
            file per session.
        session_id: A full session id, or its first characters.
        app_name: Only this app's sessions are candidates.
        user_id: Only this user's sessions are candidates.
        table_set: In a file of several stores' tables, look only in this
            one's sessions (default: in every table set of the file).
        busy_timeout: Seconds to wait for a lock held by another connection.

    Returns:
        ``session_id`` itself when a session has exactly that id or none begins
        with it; else the one id that begins with it.

    Raises:
        AmbiguousSessionError: Several session ids begin with ``session_id``
            (and none equals it); the message lists them.
        DatabaseUnavailableError: The file is missing or not a database.
    """
    owner = (app_name, user_id)
    if is_session_folder(database):
        found = _folder_ids(Path(database), session_id, owner, busy_timeout)
    else:
        found = _file_ids(database, session_id, owner, table_set, busy_timeout)
    if session_id in found or not found:
        return session_id
    if len(found) == 1:
        return found[0]
    shown = sorted(found)[:CANDIDATES_LISTED]
    more = len(found) - len(shown)
    listed = ", ".join(shown) + (f" and {more} more" if more else "")
    raise AmbiguousSessionError(
        f"{database}: session id prefix {session_id!r} is ambiguous; it begins {listed}"
        " (give more characters)"
    )


def _file_ids(
    database: str | os.PathLike[str],
    prefix: str,
    owner: tuple[str | None, str | None],
    table_set: str | None,
    busy_timeout: float,
) -> list[str]:
    try:
        with (
            open_session_database(
                database, busy_timeout=busy_timeout, table_set=table_set, any_table_set=True
            ) as db,
            sqlite_errors(db.target),
        ):
            sets = [db.tables] if table_set is not None else table_sets_in(db.connection, db.target)
            found: set[str] = set()
            for tables in sets:
                sql = tables.render(SELECT_IDS_FROM_PREFIX)
                found.update(_ids(db.connection, sql, prefix, owner))
    except SchemaError:
        # Not a sessions database (a memories-only file, say): nothing to expand;
        # the command reports on the file in its own words.
        return []
    return sorted(found)


def _folder_ids(
    folder: Path, prefix: str, owner: tuple[str | None, str | None], busy_timeout: float
) -> list[str]:
    catalog = folder / _psql.CATALOG_FILE
    with open_session_database(catalog, busy_timeout=busy_timeout) as db, sqlite_errors(db.target):
        found = set(_ids(db.connection, SELECT_CATALOG_IDS_FROM_PREFIX, prefix, owner))
    app_name, user_id = owner
    found.update(
        key[2]
        for _, key in archived_session_keys(folder, busy_timeout)
        if key[2].startswith(prefix) and app_name in (None, key[0]) and user_id in (None, key[1])
    )
    return sorted(found)


def _ids(
    connection: sqlite3.Connection,
    sql: str,
    prefix: str,
    owner: tuple[str | None, str | None],
) -> Iterable[str]:
    rows = connection.execute(sql, (prefix, *owner)).fetchall()
    return (row[0] for row in rows)
