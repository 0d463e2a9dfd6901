"""The SQL of one PostgresStore, rendered once from `_sql`'s templates."""

from __future__ import annotations

from dataclasses import dataclass

from adk_sqlite.identifiers import OwnerColumn
from adk_sqlite.postgres import sql as _sql
from adk_sqlite.storage.store_options import TableNames
from adk_sqlite.storage.store_statements import StatementsBase, TemplateRenderer, quoted

__all__ = ["SessionStatements", "Statements", "TableNames", "quoted", "render_statements"]

# Where each confinable statement takes the owner: the parameter after the ones
# it already has.
_OWNER_PARAMETER = {
    "select_session": 4,
    "lock_session": 4,
    "bump_session_revision": 6,
    "append_at_once": 28,
    "select_session_key": 4,
    "delete_session": 4,
    "list_sessions_of_app": 2,
    "list_sessions_of_user": 3,
}


@dataclass(frozen=True, slots=True)
class SessionStatements:
    """The statements that can be confined to one owner, in one of the two forms."""

    select_session: str
    lock_session: str
    bump_session_revision: str
    append_at_once: str
    select_session_key: str
    delete_session: str
    list_sessions_of_app: str
    list_sessions_of_user: str


@dataclass(frozen=True, slots=True)
class Statements(StatementsBase[SessionStatements]):
    """Every statement a PostgresStore runs: the shared ones and PostgreSQL's own."""

    lock_app_state: str
    insert_empty_app_state: str
    update_app_state: str
    lock_user_state: str
    insert_empty_user_state: str
    update_user_state: str

    def seq_array(self, seqs: tuple[int, ...]) -> object:
        # A bigint[] parameter (asyncpg takes a list).
        return list(seqs)


def render_statements(tables: TableNames, owner_column: OwnerColumn | None) -> Statements:
    """Fills every template in `_sql` with these (validated) names."""
    owner = None if owner_column is None else quoted(owner_column.name)
    renderer = TemplateRenderer(
        _sql,
        tables,
        owner_column,
        owner_parameter="$7",
        placeholders={
            "session_columns": _sql.SESSION_COLUMNS
            + ("" if owner is None else f", {owner} AS owner_value"),
            "event_columns": _sql.EVENT_COLUMNS,
        },
    )
    confined = SessionStatements(
        **{
            name: renderer.render(
                getattr(_sql, name.upper()),
                owner_filter="" if owner is None else f"AND {owner} = ${position}",
            )
            for name, position in _OWNER_PARAMETER.items()
        }
    )
    return Statements(
        tables=tables,
        owner_column=owner_column,
        migrations=renderer.migrations(),
        unconfined=SessionStatements(**renderer.fields(SessionStatements)),
        owner_confined=confined,
        **renderer.fields(Statements),
    )
