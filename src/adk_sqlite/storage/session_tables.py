"""The four tables of a session table set, column by column, in both backends' SQL. Pure.

Both backends keep the same columns in the same order (a row is read by position:
`adk_sqlite.storage.store_statements.EVENT_COLUMNS`); only their types differ, for the reasons
each backend's ``sql`` module gives (Julian days or ``timestamptz``, TEXT or ``json``,
0/1 or ``boolean``). Each column is written here once with its kind (`ColumnKind`: its
definition on SQLite and on PostgreSQL, and the type PostgreSQL reports for it); each
backend's schema version 1 creates its tables from these (`create_table`), and
PostgreSQL checks an opened table's columns against them (`reported_types`).
"""

from __future__ import annotations

from typing import NamedTuple

from adk_sqlite.storage.store_statements import Dialect

__all__ = [
    "ADDED_COLUMNS",
    "TABLES",
    "ColumnKind",
    "Table",
    "add_columns",
    "create_table",
    "reported_types",
]


class ColumnKind(NamedTuple):
    """A column's definition on each backend, and the type PostgreSQL's ``format_type``
    reports for it. The definitions are templates, as the DDL is (``{sessions}`` is the
    sessions table, braces doubled), and ``{column}`` stands for the column's name."""

    sqlite: str
    postgres: str
    postgres_reported: str


_ROW_KEY = ColumnKind(
    "INTEGER PRIMARY KEY", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "bigint"
)
_TEXT = ColumnKind("TEXT NOT NULL", "TEXT NOT NULL", "text")
_OPTIONAL_TEXT = ColumnKind("TEXT", "TEXT", "text")
_JSON = ColumnKind("TEXT", "JSON", "json")
_STATE = ColumnKind("TEXT NOT NULL", "JSON NOT NULL", "json")
_SESSION_STATE = ColumnKind("TEXT NOT NULL DEFAULT '{{}}'", "JSON NOT NULL DEFAULT '{{}}'", "json")
_TIME = ColumnKind("REAL NOT NULL", "TIMESTAMPTZ NOT NULL", "timestamp with time zone")
_UNIX_TIME = ColumnKind("REAL NOT NULL", "DOUBLE PRECISION NOT NULL", "double precision")
_REVISION = ColumnKind("INTEGER NOT NULL DEFAULT 0", "BIGINT NOT NULL DEFAULT 0", "bigint")
_BYTES = ColumnKind("BLOB", "BYTEA", "bytea")
_FLAG = ColumnKind("INTEGER CHECK ({column} IN (0, 1))", "BOOLEAN", "boolean")
# SQLite keeps a table's DDL as written: the line break is the one schema version 1
# has always written there.
_SESSION_REFERENCE = ColumnKind(
    'INTEGER NOT NULL\n        REFERENCES "{sessions}" (session_key) ON DELETE CASCADE',
    'BIGINT NOT NULL REFERENCES "{sessions}" (session_key) ON DELETE CASCADE',
    "bigint",
)
_APP_KEY = ColumnKind("TEXT PRIMARY KEY", "TEXT PRIMARY KEY", "text")


class Table(NamedTuple):
    """One table of the set: its columns in order, then its constraints (SQL lines)."""

    columns: dict[str, ColumnKind]
    constraints: str = ""


TABLES = {
    "sessions": Table(
        {
            "session_key": _ROW_KEY,
            "app_name": _TEXT,
            "user_id": _TEXT,
            "id": _TEXT,
            "state": _SESSION_STATE,
            "create_time": _TIME,
            "update_time": _TIME,
            "create_time_unix": _UNIX_TIME,
            "update_time_unix": _UNIX_TIME,
            "revision": _REVISION,
        },
        # ``{owner_column}`` is the user's column DDL followed by a comma, or nothing.
        "    {owner_column}\n    UNIQUE (app_name, user_id, id)",
    ),
    "events": Table(
        {
            "seq": _ROW_KEY,
            "id": _TEXT,
            "session_id": _TEXT,
            "app_name": _TEXT,
            "user_id": _TEXT,
            "invocation_id": _TEXT,
            "author": _TEXT,
            "actions": _BYTES,
            "long_running_tool_ids_json": _JSON,
            "branch": _OPTIONAL_TEXT,
            "timestamp": _TIME,
            "content": _JSON,
            "grounding_metadata": _JSON,
            "custom_metadata": _JSON,
            "partial": _FLAG,
            "turn_complete": _FLAG,
            "interrupted": _FLAG,
            "error_code": _OPTIONAL_TEXT,
            "error_message": _OPTIONAL_TEXT,
            "usage_metadata": _JSON,
            "citation_metadata": _JSON,
            "input_transcription": _JSON,
            "output_transcription": _JSON,
            "extra": _JSON,
            "timestamp_unix": _UNIX_TIME,
            "session_key": _SESSION_REFERENCE,
        },
        "    UNIQUE (session_key, id)",
    ),
    "app_states": Table({"app_name": _APP_KEY, "state": _STATE, "update_time": _TIME}),
    "user_states": Table(
        {"app_name": _TEXT, "user_id": _TEXT, "state": _STATE, "update_time": _TIME},
        "    PRIMARY KEY (app_name, user_id)",
    ),
}
"""The tables by role (`adk_sqlite.storage.store_options.TableNames.by_role`)."""


# Columns added after schema version 1, by role, each by the step that adds it
# (`add_columns`): version 1's CREATE TABLE must stay as it was released.
# The event's view (records.EventView): what a reader of a compacted session
# needs to know of it without decoding it. NULL in rows written before.
_VIEW_ROLE = ColumnKind("INTEGER", "SMALLINT", "smallint")
_OPTIONAL_UNIX_TIME = ColumnKind("REAL", "DOUBLE PRECISION", "double precision")
ADDED_COLUMNS = {
    "events": {
        "view_role": _VIEW_ROLE,
        "compaction_start": _OPTIONAL_UNIX_TIME,
        "compaction_end": _OPTIONAL_UNIX_TIME,
    },
}
"""The columns schema steps after version 1 add, by role, in the order they add them."""


def add_columns(role: str, dialect: Dialect) -> tuple[str, ...]:
    """The ``ALTER TABLE ... ADD COLUMN`` templates adding the `ADDED_COLUMNS` of ``role``."""
    quote = '"' if dialect == "postgres" else ""
    return tuple(
        f'ALTER TABLE "{{{role}}}" ADD COLUMN {quote}{column}{quote} '
        + getattr(kind, dialect).replace("{column}", column)
        for column, kind in ADDED_COLUMNS[role].items()
    )


def create_table(role: str, dialect: Dialect) -> str:
    """The ``CREATE TABLE`` template of the table of ``role``, in ``dialect``'s SQL.

    The table's name is the placeholder named after its role (``"{sessions}"``).
    """
    table = TABLES[role]
    # PostgreSQL's names are quoted: there, ``timestamp`` names a type.
    quote = '"' if dialect == "postgres" else ""
    lines = [
        f"    {quote}{column}{quote} " + getattr(kind, dialect).replace("{column}", column)
        for column, kind in table.columns.items()
    ]
    if table.constraints:
        lines.append(table.constraints)
    return f'\nCREATE TABLE "{{{role}}}" (\n' + ",\n".join(lines) + "\n)"


def reported_types(role: str) -> dict[str, str]:
    """The columns of the table of ``role`` at the current schema version, each with the
    type PostgreSQL reports."""
    columns = {**TABLES[role].columns, **ADDED_COLUMNS.get(role, {})}
    return {column: kind.postgres_reported for column, kind in columns.items()}
