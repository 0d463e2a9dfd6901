"""The SQL of one store, rendered once from `_sql`'s templates."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from adk_sqlite.identifiers import OwnerColumn
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.storage.page_statements import PageStatements, render_page_statements
from adk_sqlite.storage.store_options import TableNames
from adk_sqlite.storage.store_statements import StatementsBase, TemplateRenderer, quoted

__all__ = [
    "SessionStatements",
    "Statements",
    "TableNames",
    "render_pages",
    "render_statements",
]


@dataclass(frozen=True, slots=True)
class SessionStatements:
    """The statements that can be confined to one owner, in one of the two forms."""

    select_session: str
    select_session_for_update: str
    bump_session_revision: str
    delete_session: str
    list_sessions_of_app: str
    list_sessions_of_user: str


@dataclass(frozen=True, slots=True)
class Statements(StatementsBase[SessionStatements]):
    """Every statement a SqliteStore runs: the shared ones and SQLite's own."""

    upsert_app_state: str
    upsert_user_state: str
    select_event_exists: str
    select_event_with_blob_text: str

    def seq_array(self, seqs: tuple[int, ...]) -> object:
        # A JSON array, which the statement reads with json_each.
        return msgspec.json.encode(seqs).decode()


def render_statements(tables: TableNames, owner_column: OwnerColumn | None) -> Statements:
    """Fills every template in `_sql` with these (validated) names."""
    owner_suffix = "" if owner_column is None else ", " + quoted(owner_column.name)
    renderer = TemplateRenderer(
        _sql,
        tables,
        owner_column,
        owner_parameter="?",
        placeholders={
            "session_columns": _sql.SESSION_COLUMNS + owner_suffix,
            "event_columns": _sql.EVENT_COLUMNS,
            "read_event_columns": _sql.READ_EVENT_COLUMNS,
        },
    )
    # Every confined statement takes the owner as its last parameter.
    confined_filter = "" if owner_column is None else f"AND {quoted(owner_column.name)} = ?"
    return Statements(
        tables=tables,
        owner_column=owner_column,
        migrations=renderer.migrations(),
        unconfined=SessionStatements(**renderer.fields(SessionStatements)),
        owner_confined=SessionStatements(
            **renderer.fields(SessionStatements, owner_filter=confined_filter)
        ),
        **renderer.fields(Statements),
    )


def render_pages(
    tables: TableNames, owner_column: OwnerColumn | None, *, catalog: bool = False
) -> PageStatements:
    """The page statements of a store's tables (keyset pages: `storage.page_statements`).

    With ``catalog``, sessions are paged from the one-file-per-session catalog's
    list of sessions (whose owner column is always ``owner_id``), and events
    from each session's file.
    """
    if catalog:
        sessions = _psql.SESSION_FILES_TABLE
        owner = None if owner_column is None else quoted("owner_id")
        session_columns = _sql.SESSION_COLUMNS + ", owner_id"
    else:
        sessions = quoted(tables.sessions)
        owner = None if owner_column is None else quoted(owner_column.name)
        session_columns = _sql.SESSION_COLUMNS + ("" if owner is None else ", " + owner)
    return render_page_statements(
        dialect="sqlite",
        sessions=sessions,
        events=quoted(tables.events),
        user_states=quoted(tables.user_states),
        app_states=quoted(tables.app_states),
        session_columns=session_columns,
        event_columns=_sql.READ_EVENT_COLUMNS,
        owner_column=owner,
    )
