"""How both backends render their SQL: once per store, after the names are validated. Pure.

Each backend keeps its SQL as templates, named constants in its ``sql``
module, and declares the statements one store runs as a dataclass with one
``str`` field per template, named after the constant in lower case
(``INSERT_EVENT`` becomes ``insert_event``). `StatementsBase` holds what every
backend's statements have, and the choices among them every backend makes alike
(the owner-confined form or not, the statement an event query reads with);
`TemplateRenderer` fills the placeholders both backends share (table names,
owner column) and renders every field of a statements class from its template,
so that mapping is written once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Generic, Literal, NamedTuple, TypeVar

from adk_sqlite.identifiers import OwnerColumn, validate_identifier
from adk_sqlite.records import EventQuery
from adk_sqlite.storage.store_options import TableNames
from adk_sqlite.storage.store_rules import owner_params

__all__ = [
    "EVENT_COLUMNS",
    "Dialect",
    "EventsRead",
    "StatementsBase",
    "TemplateRenderer",
    "counted",
    "field_templates",
    "for_dialect",
    "numbered",
    "quoted",
    "quoted_names",
    "render_templates",
]

# The events table's columns, the same in both backends, in the order of
# EventRecord's fields: a row read with them unpacks into a record by position.
EVENT_COLUMNS = (
    "id, app_name, user_id, session_id, invocation_id, author, timestamp_unix, actions,"
    " long_running_tool_ids_json, branch, content, grounding_metadata, custom_metadata,"
    " usage_metadata, citation_metadata, input_transcription, output_transcription,"
    " partial, turn_complete, interrupted, error_code, error_message, extra"
)

SessionStatementsT = TypeVar("SessionStatementsT")

Dialect = Literal["sqlite", "postgres"]


def quoted(name: str) -> str:
    """A validated identifier, double-quoted for SQL."""
    return f'"{name}"'


@dataclass(frozen=True, slots=True)
class StatementsBase(Generic[SessionStatementsT]):
    """The rendered statements every backend has, with its table names filled in.

    ``unconfined`` and ``owner_confined`` are the backend's statements that can
    be confined to one owner, in their two forms.
    """

    tables: TableNames
    owner_column: OwnerColumn | None
    migrations: tuple[tuple[str, ...], ...]
    unconfined: SessionStatementsT
    owner_confined: SessionStatementsT
    insert_session: str
    update_session_after_append: str
    select_app_state: str
    select_user_state: str
    select_user_states_of_app: str
    insert_event: str
    select_events: str
    select_events_after: str
    select_recent_events: str
    select_recent_events_after: str
    select_flagged_events: str
    select_events_skipping_plain: str
    select_last_event_ids: str
    # The compaction views (`adk_sqlite.storage.view_statements`) and the read they allow.
    select_view_unsure: str
    select_compaction_bounds: str
    select_newest_compactions: str
    select_events_skipping_span: str

    def sessions(self, *, confined: bool) -> SessionStatementsT:
        """The owner-confined statements when ``confined``, else the unconfined ones."""
        return self.owner_confined if confined else self.unconfined

    def for_owner(self, owner_id: Any) -> tuple[SessionStatementsT, tuple[Any, ...]]:
        """The session statements for ``owner_id`` and the owner values they bind.

        For an owner, the confined statements, which bind ``owner_id`` after their
        own values; for None, the unconfined ones, which bind nothing more.
        """
        return self.sessions(confined=owner_id is not None), owner_params(owner_id)

    def owner_values(self, owner_id: Any) -> tuple[Any, ...]:
        """The owner values ``insert_session`` binds after its own.

        ``owner_id`` (None included) when the table has an owner column, else none.
        """
        return () if self.owner_column is None else (owner_id,)

    def seq_array(self, seqs: tuple[int, ...]) -> object:
        """Events' append-order numbers as ``select_events_skipping_span`` binds them."""
        raise NotImplementedError

    def events_read(self, key: tuple[str, str, str], query: EventQuery | None) -> EventsRead | None:
        """The statement reading the events of session ``key`` that ``query`` asks for.

        All of them when ``query`` is None; None when it asks for none (``limit == 0``).
        """
        if query is None:
            return EventsRead(self.select_events, key)
        if query.limit == 0:
            return None
        after, limit = query.after_timestamp, query.limit
        if limit is None and after is None:
            if query.skip_between is not None:
                start, end = query.skip_between
                keep = self.seq_array(query.keep)
                return EventsRead(self.select_events_skipping_span, (*key, start, end, keep))
            if not query.include_plain:
                return EventsRead(self.select_flagged_events, key)
            if query.skip_plain_between is not None:
                start, end = query.skip_plain_between
                return EventsRead(self.select_events_skipping_plain, (*key, start, end))
        if limit is None:
            if after is None:
                return EventsRead(self.select_events, key)
            return EventsRead(self.select_events_after, (*key, after))
        # The newest ``limit``: read newest first, returned reversed.
        if after is None:
            return EventsRead(self.select_recent_events, (*key, limit), newest_first=True)
        return EventsRead(self.select_recent_events_after, (*key, after, limit), newest_first=True)


class EventsRead(NamedTuple):
    """A statement reading a session's events, and its values (`StatementsBase.events_read`).

    ``newest_first``: the rows come newest first (the newest ``limit``), and the
    job returns them reversed, oldest first.
    """

    sql: str
    params: tuple[Any, ...]
    newest_first: bool = False


class TemplateRenderer:
    """Fills one backend's templates with one store's (validated) names.

    Args:
        templates: The backend's ``sql`` module: the templates and ``MIGRATIONS``.
        tables: The store's table names.
        owner_column: The store's owner column, or None.
        owner_parameter: The backend's placeholder for the owner value in
            ``INSERT_SESSION`` (``?`` or ``$7``).
        placeholders: The backend's own placeholders (column lists).
    """

    def __init__(
        self,
        templates: ModuleType,
        tables: TableNames,
        owner_column: OwnerColumn | None,
        *,
        owner_parameter: str,
        placeholders: Mapping[str, str],
    ) -> None:
        owner = None if owner_column is None else quoted(owner_column.name)
        self._templates = templates
        self._placeholders = {
            **tables.by_role(),
            "owner_column": "" if owner_column is None else owner_column.ddl + ",",
            "owner_insert_column": "" if owner is None else ", " + owner,
            "owner_insert_value": "" if owner is None else ", " + owner_parameter,
            "owner_filter": "",
            **placeholders,
        }

    def render(self, template: str, **overrides: str) -> str:
        """One template, with ``overrides`` taking the place of the store's placeholders."""
        return template.format_map({**self._placeholders, **overrides})

    def migrations(self) -> tuple[tuple[str, ...], ...]:
        """Every step of the backend's ``MIGRATIONS``, rendered."""
        steps: tuple[tuple[str, ...], ...] = self._templates.MIGRATIONS
        return tuple(tuple(self.render(statement) for statement in step) for step in steps)

    def fields(self, statements_class: type, **overrides: str) -> dict[str, str]:
        """Renders the template of every ``str`` field of a statements dataclass.

        A field's template is the ``sql`` constant of the same name in upper case.
        """
        return {
            field.name: self.render(getattr(self._templates, field.name.upper()), **overrides)
            for field in dataclasses.fields(statements_class)
            if field.type == "str"
        }


def numbered(sql: str) -> str:
    """SQL written with ``?`` placeholders, each numbered in order (``$1``, ``$2``, ...).

    For the statements both backends share, written once in SQLite's form: PostgreSQL
    numbers its parameters. The templates hold no ``?`` but placeholders.
    """
    parts = sql.split("?")
    return parts[0] + "".join(f"${index}{part}" for index, part in enumerate(parts[1:], 1))


def quoted_names(names: Mapping[str, str], *, option: str) -> dict[str, str]:
    """``names`` (role to table name) each validated and quoted: a template's fields.

    Raises:
        ConfigurationError: A name is not a valid identifier (said of ``option``).
    """
    return {role: quoted(validate_identifier(name, option=option)) for role, name in names.items()}


def counted(delete: str) -> str:
    """A PostgreSQL ``DELETE`` made into a statement whose one value is how many rows went."""
    return f"WITH deleted AS ({delete} RETURNING 1) SELECT count(*) FROM deleted"


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


def field_templates(
    statements_class: type, constants: Mapping[str, object]
) -> dict[str, str | tuple[str, ...]]:
    """A module's templates of a statements dataclass's fields, by field.

    A field's template is the module constant named after it, in upper case with a
    leading underscore (``_SEARCH`` for ``search``); ``constants`` is the module's
    ``globals()``. Fields it has no constant for (names, shared templates) are left out.
    """
    templates: dict[str, str | tuple[str, ...]] = {}
    for field in dataclasses.fields(statements_class):
        template = constants.get("_" + field.name.upper())
        if isinstance(template, (str, tuple)):
            templates[field.name] = template
    return templates


def for_dialect(
    templates: Mapping[str, str], dialect: Dialect, *, counted_fields: tuple[str, ...] = ()
) -> dict[str, str]:
    """Templates written once in SQLite's ``?`` form, in ``dialect``'s form.

    For PostgreSQL, each is `numbered`, and the deletes named in ``counted_fields``
    are `counted` (SQLite's jobs read the cursor's ``rowcount`` instead).
    """
    if dialect == "sqlite":
        return dict(templates)
    numbered_templates = {field: numbered(template) for field, template in templates.items()}
    for field in counted_fields:
        numbered_templates[field] = counted(numbered_templates[field])
    return numbered_templates
