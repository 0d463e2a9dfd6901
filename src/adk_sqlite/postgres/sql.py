"""Every SQL statement PostgresStore runs, as named templates.

Table names are substituted once, when a store is built, after
`adk_sqlite.identifiers` has validated them; values are always bound
parameters (``$1``...). ``{owner_filter}`` becomes either nothing or
``AND "<owner column>" = $n`` (the last parameter), so each statement exists in
an owner-confined form and an unconfined one.

Types, and why they are not always the obvious ones:

* State and the event's JSON columns are ``json``, not ``jsonb``. ``jsonb``
  stores numbers as ``numeric`` and text without escapes, which loses data ADK
  hands us: ``-0.0`` comes back as ``0.0``, ``1e16`` and ``1.7976931348623157e308``
  come back as integers, and a string holding ``\\u0000`` is refused outright.
  ``json`` keeps the text exactly as written (bit-exact floats, key order) and
  still validates it and supports ``->``/``->>``; cast to ``jsonb`` in a query
  or an expression index when you want its operators.
* Times are kept twice, like on SQLite: ``timestamptz`` (``create_time``,
  ``update_time``, ``timestamp``) for SQL, microsecond resolution, and the exact
  epoch float the caller gave (``*_unix``, ``double precision``), which is what
  the API returns and what ordering uses.
* ``actions`` is ``bytea`` (the pickled ``EventActions``), the flags ``boolean``,
  ``seq`` an identity column giving append order.
* As on SQLite, events refer to their session by an integer ``session_key``
  (an identity column of the sessions table): the entries every append adds to
  the events' indexes are a few bytes instead of three strings.
"""

from __future__ import annotations

from adk_sqlite.storage.session_tables import TABLES, add_columns, create_table, reported_types

# The event columns are the same in both backends (EventRecord's fields, in order).
from adk_sqlite.storage.store_statements import EVENT_COLUMNS as EVENT_COLUMNS
from adk_sqlite.storage.view_statements import (
    compaction_view_reads,
    plain_event,
    skipping_reads,
    view_unsure,
)

SCHEMA_TABLE = "adk_sqlite_schema"
# pg_advisory_xact_lock key serialising migrations of every adk-sqlite table set in a
# database: concurrent CREATE TABLE IF NOT EXISTS can otherwise fail on the catalog.
MIGRATION_LOCK_KEY = 0x61646B5F73716C74  # "adk_sqlt"

LOCK_MIGRATIONS = "SELECT pg_advisory_xact_lock($1)"
CREATE_SCHEMA_TABLE = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (
    table_set TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (table_set, version)
)"""
SELECT_SCHEMA_VERSION = f"SELECT max(version) FROM {SCHEMA_TABLE} WHERE table_set = $1"
INSERT_SCHEMA_VERSION = f"INSERT INTO {SCHEMA_TABLE} (table_set, version) VALUES ($1, $2)"
SELECT_TABLE_EXISTS = "SELECT to_regclass(quote_ident($1)) IS NOT NULL"
SELECT_TABLE_COLUMNS = """
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = to_regclass(quote_ident($1)) AND attnum > 0 AND NOT attisdropped"""
SELECT_SERVER_ENCODING = "SELECT current_setting('server_encoding')"

# A plain event (records.EventQuery): no actions, branch, pending long-running
# ids or isolation scope. The flagged index's WHERE and the queries below use this
# exact text, which is how the planner knows the partial index serves them.
PLAIN_EVENT = plain_event(as_text="{}::text", find="strpos")

# An event whose role a reader of a compacted session cannot trust to the views
# (records.EventRole): WHOLE_SESSION (3), or no view at all (written before schema
# version 4, or exported from a file older than SQLite's version 5) on a flagged event.
VIEW_UNSURE = view_unsure(PLAIN_EVENT)

# Append-only: MIGRATIONS[i] takes a table set from version i to version i + 1.
# Each step runs in one transaction together with its version row; never edit
# a released step, add a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # Schema version 1: the four tables (their columns: adk_sqlite.storage.session_tables).
    (
        create_table("sessions", "postgres"),
        'CREATE INDEX "{sessions}_app_user_update" ON "{sessions}"'
        " (app_name, user_id, update_time_unix)",
        'CREATE INDEX "{sessions}_app_update" ON "{sessions}" (app_name, update_time_unix)',
        'CREATE INDEX "{sessions}_update_time" ON "{sessions}" (update_time)',
        create_table("events", "postgres"),
        'CREATE INDEX "{events}_session_order" ON "{events}" (session_key, timestamp_unix, seq)',
        create_table("app_states", "postgres"),
        create_table("user_states", "postgres"),
    ),
    # Schema version 2: the orders pages of sessions are read in (see
    # adk_sqlite.storage.page_statements), text by code point as the pages order it.
    # Creation times never change: these cost an append nothing.
    (
        'CREATE INDEX "{sessions}_app_create" ON "{sessions}"'
        ' (app_name, create_time_unix, user_id COLLATE "C", id COLLATE "C")',
        'CREATE INDEX "{sessions}_app_user_create" ON "{sessions}"'
        ' (app_name, user_id, create_time_unix, id COLLATE "C")',
    ),
    # Schema version 3: the flagged events of a session (records.EventQuery), so
    # that a reader skipping compacted history finds its compactions without
    # reading the rest. Plain events (most of them) are not in it: an append of
    # one writes no entry.
    (
        'CREATE INDEX "{events}_flagged" ON "{events}" (session_key, timestamp_unix, seq)'
        " WHERE NOT (" + PLAIN_EVENT + ")",
    ),
    # Schema version 4: each event's view (records.EventView), as SQLite's version 5
    # (see adk_sqlite.sqlite.schema.sql): partial indexes that plain and skippable
    # events are not in.
    (
        *add_columns("events", "postgres"),
        'CREATE INDEX "{events}_view_unsure" ON "{events}" (session_key, timestamp_unix, seq)'
        " WHERE " + VIEW_UNSURE,
        'CREATE INDEX "{events}_view_needed" ON "{events}" (session_key, timestamp_unix, seq)'
        " WHERE view_role = 2",
        'CREATE INDEX "{events}_compactions" ON "{events}"'
        " (session_key, timestamp_unix, seq, compaction_start, compaction_end)"
        " WHERE view_role = 1",
        'CREATE INDEX "{events}_compaction_starts" ON "{events}" (session_key, compaction_start)'
        " WHERE view_role = 1",
        'CREATE INDEX "{events}_compaction_ends" ON "{events}" (session_key, compaction_end)'
        " WHERE view_role = 1",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

# The columns each table must have at the current version, with the type
# ``format_type`` reports; checked whenever a store opens existing tables.
EXPECTED_COLUMNS = {role: reported_types(role) for role in TABLES}

SESSION_KEY = "app_name = $1 AND user_id = $2 AND id = $3"
SESSION_COLUMNS = "id, user_id, state, create_time_unix, update_time_unix, revision"

SELECT_SESSION = (
    "SELECT {session_columns},"
    ' (SELECT state FROM "{app_states}" WHERE app_name = $1) AS app_state,'
    ' (SELECT state FROM "{user_states}" WHERE app_name = $1 AND user_id = $2) AS user_state'
    ' FROM "{sessions}" WHERE ' + SESSION_KEY + " {owner_filter}"
)
LOCK_SESSION = (
    'SELECT session_key, state, revision FROM "{sessions}" WHERE '
    + SESSION_KEY
    + " {owner_filter} FOR NO KEY UPDATE"
)
# The common append (the writer holds a revision marker, no session-scope
# delta) checks staleness and bumps the session in one statement: UPDATE waits
# for a concurrent writer's row lock and re-checks the revision after it. No
# row back means "not found or stale", told apart by SELECT_SESSION_KEY.
BUMP_SESSION_REVISION = (
    'UPDATE "{sessions}" SET update_time = to_timestamp($4), update_time_unix = $4,'
    " revision = revision + 1 WHERE " + SESSION_KEY + " AND revision = $5 {owner_filter}"
    " RETURNING session_key, revision"
)
SELECT_SESSION_KEY = 'SELECT session_key FROM "{sessions}" WHERE ' + SESSION_KEY + " {owner_filter}"
INSERT_SESSION = """
INSERT INTO "{sessions}" (app_name, user_id, id, state, create_time, update_time,
                          create_time_unix, update_time_unix, revision {owner_insert_column})
VALUES ($1, $2, $3, $4, to_timestamp($5), to_timestamp($5), $5, $5, $6 {owner_insert_value})
ON CONFLICT (app_name, user_id, id) DO NOTHING
RETURNING revision"""
UPDATE_SESSION_AFTER_APPEND = (
    'UPDATE "{sessions}" SET state = coalesce($2::json, state), update_time = to_timestamp($3),'
    " update_time_unix = $3, revision = revision + 1 WHERE session_key = $1 RETURNING revision"
)
DELETE_SESSION = 'DELETE FROM "{sessions}" WHERE ' + SESSION_KEY + " {owner_filter} RETURNING true"
# Ties are ordered by code point ("C"), as SQLite orders them, whatever the
# database's default collation.
_LIST_ORDER = ' ORDER BY update_time_unix, user_id COLLATE "C", id COLLATE "C"'
LIST_SESSIONS_OF_APP = (
    'SELECT {session_columns} FROM "{sessions}" WHERE app_name = $1 {owner_filter}' + _LIST_ORDER
)
LIST_SESSIONS_OF_USER = (
    'SELECT {session_columns} FROM "{sessions}" WHERE app_name = $1 AND user_id = $2'
    " {owner_filter}" + _LIST_ORDER
)

SELECT_APP_STATE = 'SELECT state FROM "{app_states}" WHERE app_name = $1'
LOCK_APP_STATE = SELECT_APP_STATE + " FOR NO KEY UPDATE"
INSERT_EMPTY_APP_STATE = """
INSERT INTO "{app_states}" (app_name, state, update_time) VALUES ($1, '{{}}', to_timestamp($2))
ON CONFLICT (app_name) DO NOTHING RETURNING state"""
UPDATE_APP_STATE = (
    'UPDATE "{app_states}" SET state = $2, update_time = to_timestamp($3) WHERE app_name = $1'
)
SELECT_USER_STATE = 'SELECT state FROM "{user_states}" WHERE app_name = $1 AND user_id = $2'
LOCK_USER_STATE = SELECT_USER_STATE + " FOR NO KEY UPDATE"
INSERT_EMPTY_USER_STATE = """
INSERT INTO "{user_states}" (app_name, user_id, state, update_time)
VALUES ($1, $2, '{{}}', to_timestamp($3))
ON CONFLICT (app_name, user_id) DO NOTHING RETURNING state"""
UPDATE_USER_STATE = (
    'UPDATE "{user_states}" SET state = $3, update_time = to_timestamp($4)'
    " WHERE app_name = $1 AND user_id = $2"
)
SELECT_USER_STATES_OF_APP = 'SELECT user_id, state FROM "{user_states}" WHERE app_name = $1'

# A duplicate id inserts nothing and returns no row: the caller then raises
# DuplicateEventError and the whole append rolls back.
INSERT_EVENT = (
    'INSERT INTO "{events}" (' + EVENT_COLUMNS + ', "timestamp", session_key,'
    " view_role, compaction_start, compaction_end) VALUES"
    " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,"
    " $20, $21, $22, $23, to_timestamp($7), $24, $25, $26, $27)"
    " ON CONFLICT (session_key, id) DO NOTHING RETURNING seq"
)
# The common append, when nothing but the session's revision and update time changes
# beside the event (the writer holds a revision marker, the event carries no state
# delta): one statement, so one round trip, in a transaction of its own. The UPDATE
# waits for a concurrent writer's row lock and re-checks the revision after it, as
# BUMP_SESSION_REVISION does; the event goes in only with the row it bumped. No row
# back means "not found or stale" (nothing was written), told apart by
# SELECT_SESSION_KEY; a duplicate event id fails the whole statement on the events'
# unique (session_key, id), so the bump goes too. Parameters: the event's columns
# ($1-$23, EVENT_COLUMNS' order), the revision the writer expects ($24), the views
# ($25-$27). INSERT ... SELECT takes its parameters' types from the casts, not
# from the columns.
_EVENT_PARAMETER_TYPES = reported_types("events")
APPEND_AT_ONCE = (
    'WITH bumped AS (UPDATE "{sessions}" SET update_time = to_timestamp($7),'
    " update_time_unix = $7, revision = revision + 1"
    " WHERE app_name = $2 AND user_id = $3 AND id = $4 AND revision = $24 {owner_filter}"
    " RETURNING session_key, revision),"
    ' inserted AS (INSERT INTO "{events}" (' + EVENT_COLUMNS + ', "timestamp", session_key,'
    " view_role, compaction_start, compaction_end) SELECT "
    + ", ".join(
        f"${number}::{_EVENT_PARAMETER_TYPES[column.strip()]}"
        for number, column in enumerate(EVENT_COLUMNS.split(","), start=1)
    )
    + ", to_timestamp($7), bumped.session_key, "
    + ", ".join(
        f"${number}::{_EVENT_PARAMETER_TYPES[column]}"
        for number, column in enumerate(("view_role", "compaction_start", "compaction_end"), 25)
    )
    + " FROM bumped RETURNING seq)"
    " SELECT bumped.revision FROM bumped, inserted"
)
# Events are found through the session's integer key, which their indexes hold:
# the entries every append writes are a few bytes instead of three strings.
_EVENTS_OF_SESSION = (
    'SELECT {event_columns} FROM "{events}" WHERE session_key ='
    ' (SELECT session_key FROM "{sessions}" WHERE app_name = $1 AND user_id = $2 AND id = $3)'
)
SELECT_EVENTS = _EVENTS_OF_SESSION + " ORDER BY timestamp_unix, seq"
SELECT_EVENTS_AFTER = _EVENTS_OF_SESSION + " AND timestamp_unix >= $4 ORDER BY timestamp_unix, seq"
SELECT_FLAGGED_EVENTS = (
    _EVENTS_OF_SESSION + " AND NOT (" + PLAIN_EVENT + ") ORDER BY timestamp_unix, seq"
)
_SESSION_KEY_OF = (
    '(SELECT session_key FROM "{sessions}" WHERE app_name = $1 AND user_id = $2 AND id = $3)'
)
# A session's compactions as their views recorded them (records.CompactionIndex),
# each from its own partial index.
# $4 of SELECT_NEWEST_COMPACTIONS: how many, newest first (NULL: all).
SELECT_VIEW_UNSURE, SELECT_COMPACTION_BOUNDS, SELECT_NEWEST_COMPACTIONS = compaction_view_reads(
    session_key_of=_SESSION_KEY_OF, view_unsure=VIEW_UNSURE, limit="$4"
)
# Reads skipping compacted history (view_statements.skipping_reads); the kept
# compactions are those whose seq is in the array $6.
_KEPT_COMPACTIONS = (
    'SELECT seq FROM "{events}" WHERE seq = ANY($6::bigint[]) AND session_key = '
    + _SESSION_KEY_OF
    + " AND timestamp_unix >= $4 AND timestamp_unix < $5 AND view_role = 1"
)
SELECT_EVENTS_SKIPPING_PLAIN, SELECT_EVENTS_SKIPPING_SPAN = skipping_reads(
    columns="{event_columns}",
    session_key_of=_SESSION_KEY_OF,
    span=("$4", "$5"),
    plain_event=PLAIN_EVENT,
    kept_compactions=_KEPT_COMPACTIONS,
)
# Newest first with a LIMIT, reversed in Python: "the n most recent" must not
# be LIMIT n on an ascending query, which returns the n oldest.
SELECT_RECENT_EVENTS = _EVENTS_OF_SESSION + " ORDER BY timestamp_unix DESC, seq DESC LIMIT $4"
SELECT_RECENT_EVENTS_AFTER = (
    _EVENTS_OF_SESSION + " AND timestamp_unix >= $4 ORDER BY timestamp_unix DESC, seq DESC LIMIT $5"
)
# The newest event in append order and in read (timestamp) order: a Session
# object without a revision marker is current when its last event is either.
SELECT_LAST_EVENT_IDS = (
    'SELECT (SELECT id FROM "{events}" WHERE session_key = $1 ORDER BY seq DESC LIMIT 1),'
    ' (SELECT id FROM "{events}" WHERE session_key = $1'
    " ORDER BY timestamp_unix DESC, seq DESC LIMIT 1)"
)
