"""The SQL of the memory tables that both backends share, and what they render it into. Pure.

Both backends keep one row per memory in ``{memories}`` and the per-session
watermarks in ``{memories}_sessions`` (`WATERMARKS_TABLE`, the last table each
backend's ``_CREATE`` makes), written and read by the same statements but for
placeholders: they are written here once, in SQLite's ``?`` form, and numbered for
PostgreSQL (`adk_sqlite.storage.store_statements.numbered`). Each backend adds its own index
(FTS5, a ``tsvector``), search and vector statements, and renders the lot with
`render_memory_statements`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from adk_sqlite.storage.shared_statements import SharedTemplates
from adk_sqlite.storage.store_statements import Dialect, quoted_names

__all__ = [
    "WATERMARKS_TABLE",
    "MemoryStatementsBase",
    "memories_table",
    "render_memory_statements",
]

WATERMARKS_TABLE = """
CREATE TABLE IF NOT EXISTS {sessions} (
    app_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    indexed_events INTEGER NOT NULL,
    last_event_id TEXT NOT NULL,
    PRIMARY KEY (app_name, user_id, session_id)
)"""
_UPSERT = """
INSERT INTO {memories} (app_name, user_id, session_id, event_id, author, timestamp, content,
    search_text, custom_metadata)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (app_name, user_id, session_id, event_id) DO UPDATE SET
    author = excluded.author, timestamp = excluded.timestamp, content = excluded.content,
    search_text = excluded.search_text, custom_metadata = excluded.custom_metadata"""
_SET_WATERMARK = """
INSERT INTO {sessions} (app_name, user_id, session_id, indexed_events, last_event_id)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (app_name, user_id, session_id) DO UPDATE SET
    indexed_events = excluded.indexed_events, last_event_id = excluded.last_event_id"""
_SCOPE = "app_name = ? AND user_id = ?"
_SHARED = SharedTemplates(
    {
        "upsert": _UPSERT,
        "set_watermark": _SET_WATERMARK,
        "select_watermark": (
            "SELECT indexed_events, last_event_id FROM {sessions}"
            " WHERE " + _SCOPE + " AND session_id = ?"
        ),
        "delete_of_session": "DELETE FROM {memories} WHERE " + _SCOPE + " AND session_id = ?",
        "delete_watermark": "DELETE FROM {sessions} WHERE " + _SCOPE + " AND session_id = ?",
        "delete_of_user": "DELETE FROM {memories} WHERE " + _SCOPE,
        "delete_watermarks_of_user": "DELETE FROM {sessions} WHERE " + _SCOPE,
    },
    # PostgreSQL's deletes of memories return how many went.
    counted=("delete_of_session", "delete_of_user"),
)


def memories_table(*, id_column: str, timestamp_type: str, generated: str = "") -> str:
    """The ``CREATE TABLE`` template of ``{memories}``, with the backend's own column types.

    Args:
        id_column: The row id's column definition.
        timestamp_type: The type of the (Unix) ``timestamp`` column.
        generated: Column definitions added after ``custom_metadata``, each ending in
            a comma (a template: braces doubled).
    """
    return f"""
CREATE TABLE IF NOT EXISTS {{memories}} (
    {id_column},
    app_name TEXT NOT NULL,
    user_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    author TEXT,
    timestamp {timestamp_type} NOT NULL,
    content TEXT NOT NULL,
    search_text TEXT NOT NULL,
    custom_metadata TEXT NOT NULL,{generated}
    UNIQUE (app_name, user_id, session_id, event_id)
)"""


@dataclass(frozen=True, slots=True)
class MemoryStatementsBase:
    """The memory statements both backends have, their table names filled in.

    ``table`` is the memories table's name, ``vectors_table`` the vectors table's.
    """

    table: str
    vectors_table: str
    create: tuple[str, ...]
    upsert: str
    set_watermark: str
    select_watermark: str
    search: str
    delete_one: str
    delete_of_session: str
    delete_watermark: str
    delete_of_user: str
    delete_watermarks_of_user: str
    upsert_vector: str
    delete_vector: str
    vectors_of_user: str
    select_by_ids: str


StatementsT = TypeVar("StatementsT", bound=MemoryStatementsBase)


def render_memory_statements(
    statements_class: type[StatementsT],
    names: Mapping[str, str],
    *,
    dialect: Dialect,
    constants: Mapping[str, object],
    table_fields: Mapping[str, str] | None = None,
) -> StatementsT:
    """Renders one backend's memory statements for its (validated) table names.

    Args:
        statements_class: The backend's statements, `MemoryStatementsBase` and its own.
        names: The template's table and index names by role; ``"memories"`` is the
            memories table, ``"vectors"`` the vectors table.
        dialect: Which placeholders the shared statements take.
        constants: The backend module's ``globals()``: its own templates, each named
            after its field (`adk_sqlite.storage.store_statements.field_templates`).
        table_fields: The statements class's other fields that hold a table's name.

    Raises:
        ConfigurationError: A name is not a valid identifier (too long, say).
    """
    fields = quoted_names(names, option="memory_table")
    fields["memories_literal"] = f"'{names['memories']}'"
    return _SHARED.render(
        statements_class,
        fields,
        dialect=dialect,
        constants=constants,
        table=names["memories"],
        vectors_table=names["vectors"],
        **(table_fields or {}),
    )
