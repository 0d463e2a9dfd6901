"""The SQL of the artifacts table that both backends share, and what it renders into. Pure.

Both backends keep one row per version and read, list and delete them with the same
statements but for placeholders and what a load reads: they are written here once,
in SQLite's ``?`` form, and numbered for PostgreSQL
(`adk_sqlite.store_statements.numbered`). Each backend writes its own table (column
types and order differ) and save, and renders the lot with `render_artifact_statements`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from adk_sqlite.store_statements import (
    Dialect,
    field_templates,
    for_dialect,
    quoted,
    render_templates,
)

__all__ = ["VERSION_COLUMNS", "ArtifactStatementsBase", "render_artifact_statements"]

# The columns an ArtifactVersionRecord is read from, in its fields' order.
VERSION_COLUMNS = "version, mime_type, custom_metadata, create_time, size"

_KEY = "app_name = ? AND user_id = ? AND session_id = ? AND filename = ?"
_OF_SESSION = "app_name = ? AND user_id = ? AND session_id = ?"


def _shared_templates(loaded_columns: str) -> dict[str, str]:
    return {
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


StatementsT = TypeVar("StatementsT", bound=ArtifactStatementsBase)


def render_artifact_statements(
    statements_class: type[StatementsT],
    table: str,
    *,
    dialect: Dialect,
    loaded_columns: str,
    constants: Mapping[str, object],
    other_tables: Mapping[str, str] | None = None,
) -> StatementsT:
    """Renders one backend's artifact statements for ``table`` (a name already validated).

    Args:
        statements_class: The backend's statements, `ArtifactStatementsBase` and its own.
        table: The artifacts table's name.
        dialect: Which placeholders the shared statements take.
        loaded_columns: The columns a load of one version reads (`VERSION_COLUMNS`
            among them).
        constants: The backend module's ``globals()``: its own templates, each named
            after its field (`adk_sqlite.store_statements.field_templates`).
        other_tables: Further tables the backend's templates name, by template field
            (``{"pieces": "adk_artifacts_pieces"}`` fills ``{pieces}``).
    """
    # PostgreSQL's delete returns how many versions went.
    shared = for_dialect(_shared_templates(loaded_columns), dialect, counted_fields=("delete",))
    templates = {
        **shared,
        **field_templates(statements_class, constants),
    }
    names = {"table": quoted(table)}
    names.update((field, quoted(name)) for field, name in (other_tables or {}).items())
    return statements_class(table=table, **render_templates(templates, names))
