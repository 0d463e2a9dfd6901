"""Every SQL statement SqliteStore runs, as named templates.

Table names are substituted once, when a store is built, after
`adk_sqlite.identifiers` has validated them; values are always bound
parameters. ``{owner_filter}`` becomes either nothing or
``AND "<owner column>" = ?`` (the last parameter), so each statement exists in
an owner-confined form and an unconfined one.

Time columns: ``create_time``, ``update_time`` and ``timestamp`` are Julian days
(REAL, the scale of SQLite's ``julianday()``, so ``julianday('now') -
update_time > 30`` finds month-old sessions). A Julian-day double resolves only
~20 µs, and ADK compares times bit for bit, so each table also keeps the exact
Unix-epoch float the caller gave (``*_unix``), which is what the API returns
and what ordering uses.
"""

from __future__ import annotations

from adk_sqlite.storage.session_tables import add_columns, create_table

# The event columns are the same in both backends (EventRecord's fields, in order).
from adk_sqlite.storage.store_statements import EVENT_COLUMNS as EVENT_COLUMNS
from adk_sqlite.storage.view_statements import (
    compaction_view_reads,
    plain_event,
    skipping_reads,
    view_unsure,
)

SCHEMA_TABLE = "adk_sqlite_schema"

CREATE_SCHEMA_TABLE = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (
    table_set TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at REAL NOT NULL DEFAULT (julianday('now')),
    PRIMARY KEY (table_set, version)
)"""

SELECT_SCHEMA_VERSION = f"SELECT max(version) FROM {SCHEMA_TABLE} WHERE table_set = ?"
INSERT_SCHEMA_VERSION = f"INSERT INTO {SCHEMA_TABLE} (table_set, version) VALUES (?, ?)"
SELECT_TABLE_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
SELECT_TABLE_COLUMNS = "SELECT name FROM pragma_table_info(?)"

# Schema version 2: which tables a table set (named, as in SCHEMA_TABLE, by its
# sessions table) is made of, so that the operator tools find a store's tables
# whatever it called them. The owner column is not recorded: it cannot be added
# or dropped later, so the sessions table itself tells (its one extra column).
TABLE_SETS_TABLE = "adk_sqlite_table_sets"
_CREATE_TABLE_SETS = f"""
CREATE TABLE IF NOT EXISTS {TABLE_SETS_TABLE} (
    table_set TEXT PRIMARY KEY,
    events_table TEXT NOT NULL,
    app_states_table TEXT NOT NULL,
    user_states_table TEXT NOT NULL
)"""
# The names are validated identifiers (letters, digits, underscores), so they
# stand in string literals as safely as they stand in the DDL above.
_RECORD_TABLE_SET = (
    f"INSERT OR REPLACE INTO {TABLE_SETS_TABLE}"
    " (table_set, events_table, app_states_table, user_states_table)"
    " VALUES ('{sessions}', '{events}', '{app_states}', '{user_states}')"
)
SELECT_TABLE_SETS = (
    f"SELECT table_set, events_table, app_states_table, user_states_table FROM {TABLE_SETS_TABLE}"
)

# A plain event (records.EventQuery): no actions, branch, pending long-running
# ids or isolation scope. The flagged index's WHERE and the queries below use this
# exact text, which is how SQLite knows the partial index serves them.
PLAIN_EVENT = plain_event(as_text="{}", find="instr")

# An event whose role a reader of a compacted session cannot trust to the views
# (records.EventRole): WHOLE_SESSION (3), or no view at all (written before schema
# version 5) on a flagged event. Plain events without a view are plain: skippable.
VIEW_UNSURE = view_unsure(PLAIN_EVENT)

# Append-only: MIGRATIONS[i] takes a table set from version i to version i + 1.
# Each step runs in one transaction together with its version row; never edit
# a released step, add a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # Schema version 1: the four tables (their columns: adk_sqlite.storage.session_tables).
    (
        # No index on the update times: every append changes them, so each such
        # index would cost every append two more B-tree writes (measured: a
        # fifth of an append's SQLite time). Listings find their rows through
        # UNIQUE (app_name, user_id, id) and sort them instead.
        create_table("sessions", "sqlite"),
        create_table("events", "sqlite"),
        'CREATE INDEX "{events}_session_order" ON "{events}" (session_key, timestamp_unix, seq)',
        create_table("app_states", "sqlite"),
        create_table("user_states", "sqlite"),
    ),
    (_CREATE_TABLE_SETS, _RECORD_TABLE_SET),
    # Schema version 3: the orders pages of sessions are read in (see
    # adk_sqlite.storage.page_statements). Creation times never change, so unlike an
    # update-time index these cost an append nothing; a create writes two more
    # entries.
    (
        'CREATE INDEX "{sessions}_app_create" ON "{sessions}"'
        " (app_name, create_time_unix, user_id, id)",
        'CREATE INDEX "{sessions}_app_user_create" ON "{sessions}"'
        " (app_name, user_id, create_time_unix, id)",
    ),
    # Schema version 4: the flagged events of a session (records.EventQuery), so
    # that a reader skipping compacted history finds its compactions without
    # reading the rest. Plain events (most of them) are not in it: an append of
    # one writes no entry.
    (
        'CREATE INDEX "{events}_flagged" ON "{events}" (session_key, timestamp_unix, seq)'
        " WHERE " + "NOT (" + PLAIN_EVENT + ")",
    ),
    # Schema version 5: each event's view (records.EventView, written by the append),
    # so that a reader skipping compacted history finds the compaction ranges and
    # the events it must read without decoding any, in reads that do not grow with
    # the history: partial indexes that plain and skippable events (nearly all of
    # them) are not in, so their appends write no entry. Each index ends with
    # view_role, the column of its WHERE, so that the reads below are covering
    # (SQLite does not count a partial index's WHERE column as covered), and never
    # reach the view columns at the end of a row, past its content. Rows written before have
    # no view: a session holding a flagged one is read as before (VIEW_UNSURE).
    (
        *add_columns("events", "sqlite"),
        'CREATE INDEX "{events}_view_unsure" ON "{events}" (session_key, timestamp_unix, seq)'
        " WHERE " + VIEW_UNSURE,
        'CREATE INDEX "{events}_view_needed" ON "{events}"'
        " (session_key, timestamp_unix, seq, view_role)"
        " WHERE view_role = 2",
        'CREATE INDEX "{events}_compactions" ON "{events}"'
        " (session_key, timestamp_unix, seq, compaction_start, compaction_end, view_role)"
        " WHERE view_role = 1",
        'CREATE INDEX "{events}_compaction_starts" ON "{events}"'
        " (session_key, compaction_start, view_role)"
        " WHERE view_role = 1",
        'CREATE INDEX "{events}_compaction_ends" ON "{events}"'
        " (session_key, compaction_end, view_role)"
        " WHERE view_role = 1",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

SESSION_KEY = "app_name = ? AND user_id = ? AND id = ?"
SESSION_COLUMNS = "id, user_id, state, create_time_unix, update_time_unix, revision"

SELECT_SESSION = (
    'SELECT {session_columns} FROM "{sessions}" WHERE ' + SESSION_KEY + " {owner_filter}"
)
SELECT_SESSION_FOR_UPDATE = (
    'SELECT session_key, state, revision FROM "{sessions}" WHERE ' + SESSION_KEY + " {owner_filter}"
)
# The common append (the writer holds a revision marker, no session-scope
# delta) checks staleness and bumps the session in one statement; no row back
# means "not found or stale", told apart by SELECT_SESSION_FOR_UPDATE.
BUMP_SESSION_REVISION = (
    'UPDATE "{sessions}" SET update_time = ?, update_time_unix = ?, revision = revision + 1'
    " WHERE " + SESSION_KEY + " AND revision = ? {owner_filter} RETURNING session_key, revision"
)
INSERT_SESSION = """
INSERT INTO "{sessions}" (app_name, user_id, id, state, create_time, update_time,
                          create_time_unix, update_time_unix, revision {owner_insert_column})
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ? {owner_insert_value})"""
UPDATE_SESSION_AFTER_APPEND = """
UPDATE "{sessions}" SET state = coalesce(?, state), update_time = ?, update_time_unix = ?,
                        revision = revision + 1
WHERE session_key = ?"""
DELETE_SESSION = 'DELETE FROM "{sessions}" WHERE ' + SESSION_KEY + " {owner_filter}"
LIST_SESSIONS_OF_APP = (
    'SELECT {session_columns} FROM "{sessions}" WHERE app_name = ? {owner_filter}'
    " ORDER BY update_time_unix, user_id, id"
)
LIST_SESSIONS_OF_USER = (
    'SELECT {session_columns} FROM "{sessions}" WHERE app_name = ? AND user_id = ?'
    " {owner_filter} ORDER BY update_time_unix, user_id, id"
)

SELECT_APP_STATE = 'SELECT state FROM "{app_states}" WHERE app_name = ?'
UPSERT_APP_STATE = """
INSERT INTO "{app_states}" (app_name, state, update_time) VALUES (?, ?, ?)
ON CONFLICT (app_name) DO UPDATE SET state = excluded.state, update_time = excluded.update_time"""
SELECT_USER_STATE = 'SELECT state FROM "{user_states}" WHERE app_name = ? AND user_id = ?'
SELECT_USER_STATES_OF_APP = 'SELECT user_id, state FROM "{user_states}" WHERE app_name = ?'
UPSERT_USER_STATE = """
INSERT INTO "{user_states}" (app_name, user_id, state, update_time) VALUES (?, ?, ?, ?)
ON CONFLICT (app_name, user_id)
DO UPDATE SET state = excluded.state, update_time = excluded.update_time"""

# The event's columns, then its Julian day, session key and view (records.EventView).
INSERT_EVENT = (
    'INSERT INTO "{events}" (' + EVENT_COLUMNS + ", timestamp, session_key,"
    " view_role, compaction_start, compaction_end)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# Events are found through the session's integer key: the indexes stay small,
# so an append writes fewer pages than with (app_name, user_id, session_id) keys.
_SESSION_KEY_OF = (
    '(SELECT session_key FROM "{sessions}" WHERE app_name = ?1 AND user_id = ?2 AND id = ?3)'
)
# Reads hand the sqlite3 module 7 cells per event instead of 23: each cell
# costs it ~0.1 µs per row, even a NULL, and the columns folded into the last
# cell (a JSON array, or NULL when all of them are) are NULL in most events.
# None of them is REAL, so JSON carries them exactly; app_name, user_id and
# session_id are the session's own, known to the reader.
RARELY_SET_EVENT_COLUMNS = (
    "long_running_tool_ids_json, branch, grounding_metadata, custom_metadata, usage_metadata,"
    " citation_metadata, input_transcription, output_transcription, partial, turn_complete,"
    " interrupted, error_code, error_message, extra"
)
READ_EVENT_COLUMNS = (
    "id, invocation_id, author, timestamp_unix, actions, content,"
    f" CASE WHEN coalesce({RARELY_SET_EVENT_COLUMNS}) IS NULL THEN NULL"
    f" ELSE json_array({RARELY_SET_EVENT_COLUMNS}) END"
)
_EVENTS_OF_SESSION = (
    'SELECT {read_event_columns} FROM "{events}" WHERE session_key = ' + _SESSION_KEY_OF
)
SELECT_EVENTS = _EVENTS_OF_SESSION + " ORDER BY timestamp_unix, seq"
SELECT_EVENTS_AFTER = _EVENTS_OF_SESSION + " AND timestamp_unix >= ?4 ORDER BY timestamp_unix, seq"
# Newest first with a LIMIT, reversed in Python: "the n most recent" must not
# be LIMIT n on an ascending query, which returns the n oldest.
SELECT_RECENT_EVENTS = _EVENTS_OF_SESSION + " ORDER BY timestamp_unix DESC, seq DESC LIMIT ?4"
SELECT_RECENT_EVENTS_AFTER = (
    _EVENTS_OF_SESSION + " AND timestamp_unix >= ?4 ORDER BY timestamp_unix DESC, seq DESC LIMIT ?5"
)
SELECT_FLAGGED_EVENTS = (
    _EVENTS_OF_SESSION + " AND NOT (" + PLAIN_EVENT + ") ORDER BY timestamp_unix, seq"
)
# A session's compactions as their views recorded them (records.CompactionIndex),
# each read from its own partial index: none decodes or even reads an event row.
# ?4 of SELECT_NEWEST_COMPACTIONS: how many, newest first (-1: all).
SELECT_VIEW_UNSURE, SELECT_COMPACTION_BOUNDS, SELECT_NEWEST_COMPACTIONS = compaction_view_reads(
    session_key_of=_SESSION_KEY_OF, view_unsure=VIEW_UNSURE, limit="?4"
)
# Reads skipping compacted history (view_statements.skipping_reads). The kept
# compactions by their rowid, from the JSON array ?6: the unary + keeps the planner from
# scanning the span's compactions (in token-threshold mode, all of them).
_KEPT_COMPACTIONS = (
    'SELECT seq FROM "{events}" WHERE seq IN (SELECT value FROM json_each(?6))'
    " AND +session_key = "
    + _SESSION_KEY_OF
    + " AND +timestamp_unix >= ?4 AND +timestamp_unix < ?5 AND +view_role = 1"
)
SELECT_EVENTS_SKIPPING_PLAIN, SELECT_EVENTS_SKIPPING_SPAN = skipping_reads(
    columns="{read_event_columns}",
    session_key_of=_SESSION_KEY_OF,
    span=("?4", "?5"),
    plain_event=PLAIN_EVENT,
    kept_compactions=_KEPT_COMPACTIONS,
)
SELECT_EVENT_EXISTS = 'SELECT 1 FROM "{events}" WHERE session_key = ? AND id = ?'
# Whether an event of the session holds a BLOB where text belongs (a damaged or
# hand-edited file): json_array() refuses such a row with a generic error, and this
# tells that refusal apart from any other without reading SQLite's message.
SELECT_EVENT_WITH_BLOB_TEXT = (
    'SELECT EXISTS (SELECT 1 FROM "{events}" WHERE session_key = '
    + _SESSION_KEY_OF
    + " AND 'blob' IN ("
    + ", ".join(f"typeof({column.strip()})" for column in RARELY_SET_EVENT_COLUMNS.split(","))
    + "))"
)
# The newest event in append order and in read (timestamp) order: a Session
# object without a revision marker is current when its last event is either.
SELECT_LAST_EVENT_IDS = (
    'SELECT (SELECT id FROM "{events}" WHERE session_key = ?1 ORDER BY seq DESC LIMIT 1),'
    ' (SELECT id FROM "{events}" WHERE session_key = ?1'
    " ORDER BY timestamp_unix DESC, seq DESC LIMIT 1)"
)

BEGIN_READ = "BEGIN"
BEGIN_WRITE = "BEGIN IMMEDIATE"
COMMIT = "COMMIT"
ROLLBACK = "ROLLBACK"
SAVEPOINT = "SAVEPOINT append_job"
RELEASE_SAVEPOINT = "RELEASE append_job"
ROLLBACK_TO_SAVEPOINT = "ROLLBACK TO append_job"
