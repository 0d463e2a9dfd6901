"""The SQL of one store, rendered once from `_sql`'s templates."""

from __future__ import annotations

from dataclasses import dataclass

from adk_sqlite.identifiers import OwnerColumn
from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.store_options import TableNames

__all__ = ["SessionStatements", "Statements", "TableNames", "render_statements"]


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
class Statements:
    """Every statement a SqliteStore runs, with its table names filled in."""

    tables: TableNames
    owner_column: OwnerColumn | None
    migrations: tuple[tuple[str, ...], ...]
    unconfined: SessionStatements
    owner_confined: SessionStatements
    insert_session: str
    update_session_after_append: str
    select_app_state: str
    upsert_app_state: str
    select_user_state: str
    select_user_states_of_app: str
    upsert_user_state: str
    insert_event: str
    select_events: str
    select_events_after: str
    select_recent_events: str
    select_recent_events_after: str
    select_last_event_ids: str
    select_event_exists: str
    select_event_with_blob_text: str

    def sessions(self, *, confined: bool) -> SessionStatements:
        return self.owner_confined if confined else self.unconfined


def render_statements(tables: TableNames, owner_column: OwnerColumn | None) -> Statements:
    """Fills every template in `_sql` with these (validated) names."""
    owner_quoted = None if owner_column is None else f'"{owner_column.name}"'
    names = {
        **tables.by_role(),
        "owner_column": "" if owner_column is None else owner_column.ddl + ",",
        "owner_insert_column": "" if owner_quoted is None else ", " + owner_quoted,
        "owner_insert_value": "" if owner_quoted is None else ", ?",
        "session_columns": _sql.SESSION_COLUMNS
        + ("" if owner_quoted is None else ", " + owner_quoted),
        "event_columns": _sql.EVENT_COLUMNS,
        "read_event_columns": _sql.READ_EVENT_COLUMNS,
        "owner_filter": "",
    }

    def render(template: str, **overrides: str) -> str:
        return template.format_map({**names, **overrides})

    def session_statements(owner_filter: str) -> SessionStatements:
        return SessionStatements(
            select_session=render(_sql.SELECT_SESSION, owner_filter=owner_filter),
            select_session_for_update=render(
                _sql.SELECT_SESSION_FOR_UPDATE, owner_filter=owner_filter
            ),
            bump_session_revision=render(_sql.BUMP_SESSION_REVISION, owner_filter=owner_filter),
            delete_session=render(_sql.DELETE_SESSION, owner_filter=owner_filter),
            list_sessions_of_app=render(_sql.LIST_SESSIONS_OF_APP, owner_filter=owner_filter),
            list_sessions_of_user=render(_sql.LIST_SESSIONS_OF_USER, owner_filter=owner_filter),
        )

    confined_filter = "" if owner_quoted is None else f"AND {owner_quoted} = ?"
    return Statements(
        tables=tables,
        owner_column=owner_column,
        migrations=tuple(tuple(render(step) for step in steps) for steps in _sql.MIGRATIONS),
        unconfined=session_statements(""),
        owner_confined=session_statements(confined_filter),
        insert_session=render(_sql.INSERT_SESSION),
        update_session_after_append=render(_sql.UPDATE_SESSION_AFTER_APPEND),
        select_app_state=render(_sql.SELECT_APP_STATE),
        upsert_app_state=render(_sql.UPSERT_APP_STATE),
        select_user_state=render(_sql.SELECT_USER_STATE),
        select_user_states_of_app=render(_sql.SELECT_USER_STATES_OF_APP),
        upsert_user_state=render(_sql.UPSERT_USER_STATE),
        insert_event=render(_sql.INSERT_EVENT),
        select_events=render(_sql.SELECT_EVENTS),
        select_events_after=render(_sql.SELECT_EVENTS_AFTER),
        select_recent_events=render(_sql.SELECT_RECENT_EVENTS),
        select_recent_events_after=render(_sql.SELECT_RECENT_EVENTS_AFTER),
        select_last_event_ids=render(_sql.SELECT_LAST_EVENT_IDS),
        select_event_exists=render(_sql.SELECT_EVENT_EXISTS),
        select_event_with_blob_text=render(_sql.SELECT_EVENT_WITH_BLOB_TEXT),
    )
