"""The SQL of the memory tables that both backends share, and what they render it into. Pure.

Both backends keep one row per memory in ``{memories}`` and the per-session
watermarks in ``{memories}_sessions``, written and read by the same statements but
for placeholders: they are written here once, in SQLite's ``?`` form, and numbered
for PostgreSQL (`adk_sqlite.store_statements.numbered`). Each backend adds its own
index (FTS5, a ``tsvector``), search and vector statements, and renders the lot
with `render_templates`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from adk_sqlite.store_statements import numbered

__all__ = [
    "MemoryStatementsBase",
    "memories_table",
    "render_templates",
    "shared_memory_templates",
]

Dialect = Literal["sqlite", "postgres"]

_SESSIONS_TABLE = """
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
_SHARED = {
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
}


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


def shared_memory_templates(dialect: Dialect) -> dict[str, str]:
    """The templates of the statements alike on both backends, by statements field.

    ``"create_sessions"`` is the watermarks table's ``CREATE TABLE``, one of ``create``.
    """
    templates = {"create_sessions": _SESSIONS_TABLE, **_SHARED}
    if dialect == "postgres":
        return {field: numbered(template) for field, template in templates.items()}
    return templates


def render_templates(
    templates: Mapping[str, str | tuple[str, ...]], fields: Mapping[str, str]
) -> dict[str, Any]:
    """Every template (or tuple of templates) with ``fields`` filled in, by statements field."""
    return {
        name: (
            template.format_map(fields)
            if isinstance(template, str)
            else tuple(statement.format_map(fields) for statement in template)
        )
        for name, template in templates.items()
    }


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
