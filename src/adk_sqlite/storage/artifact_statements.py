"""The SQL of the artifacts table that both backends share, and what it renders into. Pure.

Both backends keep one row per version and read, list and delete them with the same
statements but for placeholders and what a load reads: they are written here once,
in SQLite's ``?`` form, and numbered for PostgreSQL
(`adk_sqlite.storage.store_statements.numbered`). Each backend writes its own table (column
types and order differ) and save, and renders the lot with `shared_artifact_templates`
(`adk_sqlite.storage.shared_statements.SharedTemplates.render`).
"""

from __future__ import annotations

from dataclasses import dataclass

from adk_sqlite.artifact_records import USER_SCOPE
from adk_sqlite.storage.shared_statements import SharedTemplates

__all__ = [
    "VERSION_COLUMNS",
    "ArtifactStatementsBase",
    "keys_parameters",
    "shared_artifact_templates",
]

# The columns an ArtifactVersionRecord is read from, in its fields' order.
VERSION_COLUMNS = "version, mime_type, custom_metadata, create_time, size"

_KEY = "app_name = ? AND user_id = ? AND session_id = ? AND filename = ?"
_OF_SESSION = "app_name = ? AND user_id = ? AND session_id = ?"


def shared_artifact_templates(loaded_columns: str) -> SharedTemplates:
    """The statements both backends share, for a backend whose load of one version
    reads ``loaded_columns`` (`VERSION_COLUMNS` among them)."""
    templates = {
        "select_latest": (
            f"SELECT {loaded_columns} FROM {{table}} WHERE {_KEY} ORDER BY version DESC LIMIT 1"
        ),
        "select_version": f"SELECT {loaded_columns} FROM {{table}} WHERE {_KEY} AND version = ?",
        "select_versions": (
            f"SELECT {VERSION_COLUMNS} FROM {{table}} WHERE {_KEY} ORDER BY version"
        ),
        "select_keys": (
            "SELECT DISTINCT filename FROM {table}"
            " WHERE app_name = ? AND user_id = ? AND session_id IN (?, ?)"
        ),
        "delete": "DELETE FROM {table} WHERE " + _KEY,
        "delete_of_session": "DELETE FROM {table} WHERE " + _OF_SESSION,
    }
    # PostgreSQL's delete returns how many versions went.
    return SharedTemplates(templates, counted=("delete",))


def keys_parameters(app_name: str, user_id: str, session_id: str | None) -> tuple[str, ...]:
    """The parameters of ``select_keys``: the user's user-scoped names and, with
    ``session_id``, the session's."""
    return (app_name, user_id, USER_SCOPE, USER_SCOPE if session_id is None else session_id)


@dataclass(frozen=True, slots=True)
class ArtifactStatementsBase:
    """The artifacts table's statements both backends have, its name filled in."""

    table: str
    create_table: str
    insert: str
    select_latest: str
    select_version: str
    select_versions: str
    select_keys: str
    delete: str
    delete_of_session: str
