"""The SQL of the one-file-per-session layout, beside the shared layout's `_sql`.

A session file holds the shared layout's four tables, created by the same
migrations (`_sql.MIGRATIONS`), plus two small tables of its own (table set
``adk_session_file``):

* ``adk_session_file``: one row, the file's *generation*, a random number the
  catalog stores too, so a catalog update meant for an earlier session of the
  same key (deleted and created again) never lands on this one; and, in an
  archived copy, when it was archived (``archived_at``, a Julian day);
* ``adk_pending_scope_deltas``: the ``app:`` and ``user:`` deltas of the
  newest appends that carried any, keyed by the revision the append gave the
  session. The append commits them in the session file (its commit point) and
  then merges them into the catalog; a writer killed between the two leaves
  them here, and the next reader, writer or ``check --repair`` merges them.

The catalog (``catalog.db``) is an adk-sqlite database created by the same
migrations: its app and user state tables are the authoritative ``app:`` and
``user:`` state, its sessions and events tables stay empty, and
``adk_session_files`` (table set of the same name) lists every live session
with its file and a copy of its listing data. ``adk_pending_erasures`` lists the
files a ``forget_user`` still has to remove: written in the transaction that forgets
the user, emptied once the files are gone (see `per_session.forget`).
"""

from __future__ import annotations

from adk_sqlite.sqlite.schema import sql as _sql

CATALOG_FILE = "catalog.db"
SESSIONS_FOLDER = "sessions"
ARCHIVE_FOLDER = "archive"
ORPHANS_FOLDER = "orphans"
# A session file being built; a leftover one is garbage (its create never committed).
BUILDING_PREFIX = ".creating-"
# An archive copy being written: ".<name>.partial-<random>" in archive/.
PARTIAL_MARK = ".partial-"

SESSION_FILES_TABLE = "adk_session_files"
SESSION_FILE_TABLE = "adk_session_file"
PENDING_DELTAS_TABLE = "adk_pending_scope_deltas"
ERASURES_TABLE = "adk_pending_erasures"
RESERVED_TABLES = (SESSION_FILES_TABLE, SESSION_FILE_TABLE, PENDING_DELTAS_TABLE, ERASURES_TABLE)

# Append-only, like _sql.MIGRATIONS; recorded in adk_sqlite_schema under the table set name.
CATALOG_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        f"""
CREATE TABLE {SESSION_FILES_TABLE} (
    app_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    id TEXT NOT NULL,
    file_name TEXT NOT NULL UNIQUE,
    generation INTEGER NOT NULL,
    owner_id,
    state TEXT NOT NULL DEFAULT '{{}}',
    create_time REAL NOT NULL,
    update_time REAL NOT NULL,
    create_time_unix REAL NOT NULL,
    update_time_unix REAL NOT NULL,
    revision INTEGER NOT NULL,
    scope_revision INTEGER NOT NULL,
    PRIMARY KEY (app_name, user_id, id)
)""",
        f"CREATE INDEX {SESSION_FILES_TABLE}_app_user_update"
        f" ON {SESSION_FILES_TABLE} (app_name, user_id, update_time_unix)",
        f"CREATE INDEX {SESSION_FILES_TABLE}_app_update"
        f" ON {SESSION_FILES_TABLE} (app_name, update_time_unix)",
    ),
    # The files a forget_user committed to remove: a path relative to the folder, and
    # the generation the file had (NULL when it could not be read).
    (f"CREATE TABLE {ERASURES_TABLE} (file TEXT PRIMARY KEY, generation INTEGER)",),
    # The orders pages of sessions are read in (see adk_sqlite.storage.page_statements).
    (
        f"CREATE INDEX {SESSION_FILES_TABLE}_app_create"
        f" ON {SESSION_FILES_TABLE} (app_name, create_time_unix, user_id, id)",
        f"CREATE INDEX {SESSION_FILES_TABLE}_app_user_create"
        f" ON {SESSION_FILES_TABLE} (app_name, user_id, create_time_unix, id)",
    ),
)
SESSION_FILE_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        f"CREATE TABLE {SESSION_FILE_TABLE} (generation INTEGER NOT NULL, archived_at REAL)",
        f"""
CREATE TABLE {PENDING_DELTAS_TABLE} (
    revision INTEGER PRIMARY KEY,
    app_state_delta TEXT,
    user_state_delta TEXT,
    update_time REAL NOT NULL
)""",
    ),
)
SELECT_VERSIONS = f"SELECT table_set, max(version) FROM {_sql.SCHEMA_TABLE} GROUP BY table_set"

# --- catalog ------------------------------------------------------------------------

_KEY = "app_name = ? AND user_id = ? AND id = ?"
SELECT_ENTRY = (
    f"SELECT file_name, generation, revision, scope_revision FROM {SESSION_FILES_TABLE}"
    f" WHERE {_KEY}"
)
SELECT_ENTRY_BY_FILE = (
    f"SELECT app_name, user_id, id, generation FROM {SESSION_FILES_TABLE} WHERE file_name = ?"
)
INSERT_ENTRY = f"""
INSERT INTO {SESSION_FILES_TABLE} (app_name, user_id, id, file_name, generation, owner_id, state,
    create_time, update_time, create_time_unix, update_time_unix, revision, scope_revision)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
DELETE_ENTRY = f"DELETE FROM {SESSION_FILES_TABLE} WHERE {_KEY} AND generation = ?"
# Listing data travels from the session file to the catalog after the append
# has committed; an update older than the catalog's (another process's append
# got there first) or meant for another generation changes nothing.
UPDATE_LISTING = f"""
UPDATE {SESSION_FILES_TABLE}
SET state = ?, update_time = ?, update_time_unix = ?, revision = ?
WHERE {_KEY} AND generation = ? AND revision < ?"""
# Repairs copy a file's listing data over whatever the catalog has.
SET_LISTING = f"""
UPDATE {SESSION_FILES_TABLE}
SET state = ?, update_time = ?, update_time_unix = ?, revision = ?
WHERE {_KEY} AND generation = ?"""
UPDATE_SCOPE_REVISION = (
    f"UPDATE {SESSION_FILES_TABLE} SET scope_revision = ? WHERE {_KEY} AND generation = ?"
)
# The columns of _sql.SESSION_COLUMNS, then the owner, in the shared layout's order.
LIST_ENTRIES_OF_APP = (
    "SELECT id, user_id, state, create_time_unix, update_time_unix, revision, owner_id"
    f" FROM {SESSION_FILES_TABLE} WHERE app_name = ?"
)
LIST_ENTRIES_OF_USER = LIST_ENTRIES_OF_APP + " AND user_id = ?"
OWNER_FILTER = " AND owner_id = ?"
LISTING_ORDER = " ORDER BY update_time_unix, user_id, id"
SELECT_ALL_ENTRIES = (
    f"SELECT app_name, user_id, id, file_name, generation, owner_id, state, create_time_unix,"
    f" update_time_unix, revision, scope_revision FROM {SESSION_FILES_TABLE}"
    " ORDER BY file_name"
)

# --- session files ------------------------------------------------------------------

SELECT_GENERATION = f"SELECT generation FROM {SESSION_FILE_TABLE}"
SELECT_FILE_MARKS = f"SELECT generation, archived_at FROM {SESSION_FILE_TABLE}"
MARK_ARCHIVED = f"UPDATE {SESSION_FILE_TABLE} SET archived_at = ?"
MARK_LIVE = f"UPDATE {SESSION_FILE_TABLE} SET archived_at = NULL"
# A compact copy that is an ordinary rollback-journal file (the path is bound).
VACUUM_INTO = "VACUUM INTO ?"
INSERT_GENERATION = f"INSERT INTO {SESSION_FILE_TABLE} (generation) VALUES (?)"
INSERT_PENDING_DELTAS = (
    f"INSERT INTO {PENDING_DELTAS_TABLE} (revision, app_state_delta, user_state_delta,"
    " update_time) VALUES (?, ?, ?, ?)"
)
# The newest row stays after it was merged: a reader that compares it with the
# catalog's scope_revision can tell whether the catalog has caught up.
DELETE_OLDER_PENDING_DELTAS = f"DELETE FROM {PENDING_DELTAS_TABLE} WHERE revision < ?"
# An archived file's deltas are all merged: none stays to be merged again if
# the file is ever put back and adopted.
DELETE_PENDING_DELTAS = f"DELETE FROM {PENDING_DELTAS_TABLE}"
SELECT_PENDING_DELTAS_AFTER = (
    f"SELECT revision, app_state_delta, user_state_delta, update_time FROM {PENDING_DELTAS_TABLE}"
    " WHERE revision > ? ORDER BY revision"
)
SELECT_NEWEST_PENDING_REVISION = f"SELECT max(revision) FROM {PENDING_DELTAS_TABLE}"
SELECT_FILE_SESSIONS = (
    "SELECT app_name, user_id, id, state, create_time_unix, update_time_unix, revision"
    ' FROM "{sessions}"'
)
LIST_ENTRIES = {
    (False, False): LIST_ENTRIES_OF_APP + LISTING_ORDER,
    (False, True): LIST_ENTRIES_OF_APP + OWNER_FILTER + LISTING_ORDER,
    (True, False): LIST_ENTRIES_OF_USER + LISTING_ORDER,
    (True, True): LIST_ENTRIES_OF_USER + OWNER_FILTER + LISTING_ORDER,
}
"""The listing query by (one user?, confined to an owner?)."""
