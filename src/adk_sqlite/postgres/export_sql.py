"""The SQL `adk_sqlite.transfer.export` runs on the PostgreSQL side, as named templates.

Rows arrive by COPY into temporary staging tables (created per export, shaped
after the target tables with ``CREATE TABLE AS ... WITH NO DATA`` so their types,
the owner column's included, are the target's own), and move on with
``INSERT ... SELECT ... ON CONFLICT DO NOTHING``: running an export twice, or
again after it was killed, never stores a row twice.
"""

from __future__ import annotations

from adk_sqlite.codec.event_digest import DIGEST_COLUMNS, ColumnKind
from adk_sqlite.postgres.sql import EVENT_COLUMNS
from adk_sqlite.storage.session_tables import ADDED_COLUMNS

STAGED_SESSIONS = "adk_sqlite_export_sessions"
STAGED_EVENTS = "adk_sqlite_export_events"
STAGED_ARTIFACTS = "adk_sqlite_export_artifacts"

DROP_STAGING = (
    f"DROP TABLE IF EXISTS pg_temp.{STAGED_SESSIONS}, pg_temp.{STAGED_EVENTS},"
    f" pg_temp.{STAGED_ARTIFACTS}"
)

# ``{owner_as_value}`` is ``, "<owner column>" AS owner_value`` or nothing.
CREATE_SESSION_STAGING = f"""
CREATE TEMP TABLE {STAGED_SESSIONS} ON COMMIT DELETE ROWS AS
SELECT app_name, user_id, id, state::text AS state, create_time_unix, update_time_unix, revision
       {{owner_as_value}}
FROM "{{sessions}}" WITH NO DATA"""
SESSION_STAGING_COLUMNS = (
    "app_name",
    "user_id",
    "id",
    "state",
    "create_time_unix",
    "update_time_unix",
    "revision",
)

_JSON_COLUMNS = tuple(name for name, kind in DIGEST_COLUMNS if kind == "json")


def _staged_as_text(name: str) -> str:
    return f"{name}::text AS {name}" if name in _JSON_COLUMNS else name


def _staged_as_json(name: str) -> str:
    return f"{name}::json" if name in _JSON_COLUMNS else name


_EVENT_NAMES = tuple(name.strip() for name in EVENT_COLUMNS.split(","))
# The event's view (records.EventView, schema version 4), copied as the source holds it
# (NULL stays NULL: such a session is read the earlier way), so that exported sessions
# are read by their views on PostgreSQL too. The target is migrated before staging.
_VIEW_NAMES = tuple(ADDED_COLUMNS["events"])
_VIEW_LIST = ", ".join(_VIEW_NAMES)
EVENT_STAGING_COLUMNS = ("src_seq", *_EVENT_NAMES, *_VIEW_NAMES)

# JSON columns are staged as text: the cast into the target's json columns
# validates each value once.
CREATE_EVENT_STAGING = (
    f"CREATE TEMP TABLE {STAGED_EVENTS} ON COMMIT DELETE ROWS AS SELECT seq AS src_seq, "
    + ", ".join(_staged_as_text(name) for name in _EVENT_NAMES)
    + f", {_VIEW_LIST}"
    + ' FROM "{events}" WITH NO DATA'
)

# ``{owner_insert_column}`` / ``{owner_staged_value}``: the owner column and
# ``, owner_value``, or nothing.
INSERT_STAGED_SESSIONS = f"""
INSERT INTO "{{sessions}}" (app_name, user_id, id, state, create_time, update_time,
                            create_time_unix, update_time_unix, revision {{owner_insert_column}})
SELECT app_name, user_id, id, state::json, to_timestamp(create_time_unix),
       to_timestamp(update_time_unix), create_time_unix, update_time_unix, revision
       {{owner_staged_value}}
FROM {STAGED_SESSIONS}
ON CONFLICT (app_name, user_id, id) DO NOTHING"""
# One row at a time, only to find which session a failed bulk insert choked on.
INSERT_ONE_SESSION = """
INSERT INTO "{sessions}" (app_name, user_id, id, state, create_time, update_time,
                          create_time_unix, update_time_unix, revision {owner_insert_column})
VALUES ($1, $2, $3, $4::json, to_timestamp($5), to_timestamp($6), $5, $6, $7 {owner_one_value})
ON CONFLICT (app_name, user_id, id) DO NOTHING"""
UPDATE_STAGED_SESSIONS = f"""
UPDATE "{{sessions}}" AS t
SET state = s.state::json, create_time = to_timestamp(s.create_time_unix),
    update_time = to_timestamp(s.update_time_unix), create_time_unix = s.create_time_unix,
    update_time_unix = s.update_time_unix, revision = s.revision {{owner_update}}
FROM {STAGED_SESSIONS} AS s
WHERE t.app_name = s.app_name AND t.user_id = s.user_id AND t.id = s.id"""

# ORDER BY src_seq: identity values are handed out in the order rows are
# inserted, so the target's append order is the source's. The join finds each
# event's session_key (its session was inserted before any of its events).
INSERT_STAGED_EVENTS = (
    'INSERT INTO "{events}" ('
    + EVENT_COLUMNS
    + f', "timestamp", session_key, {_VIEW_LIST}) SELECT '
    + ", ".join(f"e.{_staged_as_json(name)}" for name in _EVENT_NAMES)
    + ", to_timestamp(e.timestamp_unix), s.session_key, "
    + ", ".join(f"e.{name}" for name in _VIEW_NAMES)
    + f" FROM {STAGED_EVENTS} AS e"
    + ' JOIN "{sessions}" AS s'
    " ON s.app_name = e.app_name AND s.user_id = e.user_id AND s.id = e.session_id"
    " ORDER BY e.src_seq ON CONFLICT (session_key, id) DO NOTHING"
)
# One row at a time, only to find which event a failed bulk insert choked on.
INSERT_ONE_EVENT = (
    'INSERT INTO "{events}" (' + EVENT_COLUMNS + f', "timestamp", session_key, {_VIEW_LIST}) VALUES'
    " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,"
    " $20, $21, $22, $23, to_timestamp($7),"
    ' (SELECT session_key FROM "{sessions}" WHERE app_name = $2 AND user_id = $3 AND id = $4),'
    " $24, $25, $26) ON CONFLICT (session_key, id) DO NOTHING"
)

# ``$1`` is the app name the export is limited to, or NULL for every app.
_IN_SCOPE = "($1::text IS NULL OR app_name = $1)"

SELECT_SESSIONS = (
    "SELECT app_name, user_id, id, state, create_time_unix, update_time_unix, revision"
    ' {owner_as_value} FROM "{sessions}" WHERE ' + _IN_SCOPE
)
SELECT_APP_STATES = 'SELECT app_name, state FROM "{app_states}" WHERE ' + _IN_SCOPE
SELECT_USER_STATES = 'SELECT app_name, user_id, state FROM "{user_states}" WHERE ' + _IN_SCOPE
UPSERT_APP_STATE = """
INSERT INTO "{app_states}" (app_name, state, update_time) VALUES ($1, $2::json, to_timestamp($3))
ON CONFLICT (app_name) DO UPDATE SET state = excluded.state, update_time = excluded.update_time"""
UPSERT_USER_STATE = """
INSERT INTO "{user_states}" (app_name, user_id, state, update_time)
VALUES ($1, $2, $3::json, to_timestamp($4))
ON CONFLICT (app_name, user_id)
DO UPDATE SET state = excluded.state, update_time = excluded.update_time"""


def _digest_field(name: str, kind: ColumnKind, alias: str = "e") -> str:
    """One column's encoding as `adk_sqlite.codec.event_digest` defines it, in SQL."""
    column = f'{alias}."{name}"'
    if kind == "float":
        return f"'\\x01'::bytea || float8send({column})"
    if kind == "flag":
        return (
            f"CASE WHEN {column} IS NULL THEN '\\x00'::bytea"
            f" WHEN {column} THEN '\\x0101'::bytea ELSE '\\x0100'::bytea END"
        )
    if kind == "bytes":
        data = column
    elif kind == "json":
        data = f"convert_to({column}::text, 'UTF8')"
    else:
        data = f"convert_to({column}, 'UTF8')"
    return f"coalesce('\\x01'::bytea || int4send(length({data})) || {data}, '\\x00'::bytea)"


# Over the EventRecord columns only, not the view columns (see
# adk_sqlite.transfer.export_source.staged_events for why).
_ROW_DIGEST = "sha256(" + " || ".join(_digest_field(n, k) for n, k in DIGEST_COLUMNS) + ")"

# Per session: its event count and the digest of its row digests in append order.
SELECT_EVENT_DIGESTS = (
    "SELECT s.app_name, s.user_id, s.id, count(*),"
    f" sha256(string_agg({_ROW_DIGEST}, ''::bytea ORDER BY e.seq))"
    ' FROM "{events}" AS e JOIN "{sessions}" AS s USING (session_key)'
    " WHERE ($1::text IS NULL OR s.app_name = $1) GROUP BY s.session_key"
)
# Per session: its event count alone (no hashing), to compare before copying.
SELECT_EVENT_COUNTS = (
    'SELECT s.app_name, s.user_id, s.id, count(*) FROM "{events}" AS e'
    ' JOIN "{sessions}" AS s USING (session_key)'
    " WHERE ($1::text IS NULL OR s.app_name = $1) GROUP BY s.session_key"
)

# --- artifacts ----------------------------------------------------------------------
# ``{artifacts}`` is the target's artifacts table (`adk_sqlite.postgres.artifact_sql`),
# created on the export's first transaction when the source holds artifacts.

_ARTIFACT_KEY_COLUMNS = ("app_name", "user_id", "session_id", "filename", "version")
ARTIFACT_STAGING_COLUMNS = (
    *_ARTIFACT_KEY_COLUMNS,
    "part",
    "data",
    "size",
    "mime_type",
    "custom_metadata",
    "create_time",
)
# Its columns, in order: a table of that name with others is refused.
ARTIFACT_TABLE_COLUMNS = ("id", *ARTIFACT_STAGING_COLUMNS)
_ARTIFACT_NAMES = ", ".join(ARTIFACT_STAGING_COLUMNS)
_ARTIFACT_KEY = ", ".join(_ARTIFACT_KEY_COLUMNS)

SELECT_COLUMN_NAMES = """
SELECT attname FROM pg_attribute
WHERE attrelid = to_regclass(quote_ident($1)) AND attnum > 0 AND NOT attisdropped
ORDER BY attnum"""
CREATE_ARTIFACT_STAGING = (
    f"CREATE TEMP TABLE {STAGED_ARTIFACTS} ON COMMIT DELETE ROWS AS"
    f' SELECT {_ARTIFACT_NAMES} FROM "{{artifacts}}" WITH NO DATA'
)
# A version the target holds already (same key and number) is left as it is; the
# verification then compares it with the source's.
INSERT_STAGED_ARTIFACTS = (
    f'INSERT INTO "{{artifacts}}" ({_ARTIFACT_NAMES}) SELECT {_ARTIFACT_NAMES}'
    f" FROM {STAGED_ARTIFACTS} ON CONFLICT ({_ARTIFACT_KEY}) DO NOTHING"
)
_ARTIFACT_SCOPE = "($1::text IS NULL OR a.app_name = $1)"
SELECT_ARTIFACT_VERSIONS = (
    f'SELECT {_ARTIFACT_KEY}, size, create_time FROM "{{artifacts}}" AS a WHERE {_ARTIFACT_SCOPE}'
)

# The metadata checksum of a version (`adk_sqlite.transfer.export_artifacts`): the
# event digest's encoding of these columns, in this order, then SHA-256.
ARTIFACT_DIGEST_COLUMNS: tuple[tuple[str, ColumnKind], ...] = (
    ("part", "text"),
    ("mime_type", "text"),
    ("custom_metadata", "text"),
    ("create_time", "float"),
)
_ARTIFACT_METADATA_DIGEST = (
    "sha256(" + " || ".join(_digest_field(n, k, "a") for n, k in ARTIFACT_DIGEST_COLUMNS) + ")"
)
# Per version: its size, SHA-256 of its bytes (NULL without) and of its metadata. A
# version a store saved in pieces (`adk_sqlite.postgres.artifact_sql`) has them there.
_ARTIFACT_BYTES = (
    "coalesce(a.data, (SELECT string_agg(p.data, ''::bytea ORDER BY p.seq)"
    ' FROM "{artifacts}_pieces" AS p WHERE p.artifact_id = a.id))'
)
SELECT_ARTIFACT_DIGESTS = (
    f"SELECT {_ARTIFACT_KEY}, size, sha256({_ARTIFACT_BYTES}), {_ARTIFACT_METADATA_DIGEST}"
    f' FROM "{{artifacts}}" AS a WHERE {_ARTIFACT_SCOPE}'
)
