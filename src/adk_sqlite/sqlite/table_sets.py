"""Which adk-sqlite table sets a database file holds, and what their tables are called.

A store records its table set (its four table names) in ``adk_sqlite_table_sets``
when it creates or migrates its tables (schema version 2), so the operator tools
follow a store made with ``session_table=...`` and the other options without
being told. A table set is named, as in ``adk_sqlite_schema``, by its sessions
table. Its owner column, if any, is read from the sessions table itself: the one
column adk-sqlite does not define.

A set that records no names (written before version 2, by a library that has not
opened it since) is understood only under the default names: a store of this
version records them the next time it opens the file.

Names read from a file are validated (`adk_sqlite.identifiers`) before any of
them is put into SQL, like the names a store is given.
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass

from adk_sqlite.errors import ConfigurationError, SchemaError, SchemaVersionError
from adk_sqlite.identifiers import OwnerColumn, validate_identifier
from adk_sqlite.sqlite.engine.connection import DatabaseTarget, sqlite_errors
from adk_sqlite.sqlite.schema import per_session_sql as _psql
from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.sqlite.schema.artifact_sql import ARTIFACT_COLUMNS
from adk_sqlite.sqlite.schema.statements import Statements, TableNames, render_statements

__all__ = [
    "DEFAULT_TABLE_NAMES",
    "TableSet",
    "adk_session_columns",
    "artifact_tables_in",
    "choose_table_set",
    "damaged_events_table",
    "owner_column_of",
    "table_sets_in",
]

DEFAULT_TABLE_NAMES = TableNames("adk_sessions", "adk_events", "adk_app_states", "adk_user_states")
# The per-session layout's own tables are table sets in adk_sqlite_schema too,
# but not a store's.
_LAYOUT_TABLE_SETS = frozenset({_psql.SESSION_FILES_TABLE, _psql.SESSION_FILE_TABLE})
_DEFAULT_DAMAGED_EVENTS_TABLE = "adk_damaged_events"

_SELECT_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"
_SELECT_VERSIONS = (
    f"SELECT table_set, max(version) FROM {_sql.SCHEMA_TABLE} GROUP BY table_set ORDER BY table_set"
)


@dataclass(frozen=True, slots=True)
class TableSet:
    """One store's tables in a file: validated names, owner column, schema version.

    `render` fills ``{sessions}``, ``{events}``, ``{app_states}``,
    ``{user_states}``, ``{damaged_events}`` and ``{owner}`` (``, "<owner column>"``
    or nothing) in a tool's SQL template, once per opened file.
    """

    names: TableNames
    owner_column: str | None
    schema_version: int

    @property
    def name(self) -> str:
        """The table set's name: its sessions table."""
        return self.names.sessions

    @property
    def damaged_events(self) -> str:
        """Where ``check --repair`` moves events that cannot be decoded.

        ``adk_damaged_events`` for the default names; ``<events table>_damaged``
        otherwise, so two table sets in one file never share it.
        """
        return damaged_events_table(self.names)

    def render(self, template: str) -> str:
        return template.format(
            sessions=self.names.sessions,
            events=self.names.events,
            app_states=self.names.app_states,
            user_states=self.names.user_states,
            damaged_events=self.damaged_events,
            owner="" if self.owner_column is None else f', "{self.owner_column}"',
        )

    def statements(self) -> Statements:
        """A store's statements for these tables (the owner column by name only)."""
        # An untyped column of that name: enough for every statement but the DDL.
        owner = (
            None if self.owner_column is None else OwnerColumn(self.owner_column, self.owner_column)
        )
        return render_statements(self.names, owner)

    def describe(self) -> str:
        names = self.names
        owner = "" if self.owner_column is None else f", owner column {self.owner_column!r}"
        return (
            f"{names.sessions!r} (events {names.events!r}, app state {names.app_states!r},"
            f" user state {names.user_states!r}{owner})"
        )


@functools.cache
def adk_session_columns() -> frozenset[str]:
    """The columns adk-sqlite itself gives a sessions table (any other is the owner column).

    Derived by replaying the migrations in memory, so it follows the schema.
    """
    connection = sqlite3.connect(":memory:")
    try:
        for steps in render_statements(DEFAULT_TABLE_NAMES, None).migrations:
            for statement in steps:
                connection.execute(statement)
        rows = connection.execute(_sql.SELECT_TABLE_COLUMNS, (DEFAULT_TABLE_NAMES.sessions,))
        return frozenset(row[0] for row in rows)
    finally:
        connection.close()


def owner_column_of(connection: sqlite3.Connection, sessions: str, where: str) -> str | None:
    """The owner column of the sessions table ``sessions``, or None.

    Raises:
        SchemaError: The table has more than one column adk-sqlite does not define.
    """
    columns = {row[0] for row in connection.execute(_sql.SELECT_TABLE_COLUMNS, (sessions,))}
    extra = sorted(columns - adk_session_columns())
    if len(extra) > 1:
        raise SchemaError(
            f"{where}: table {sessions!r} has unknown columns {extra} (an adk-sqlite sessions"
            " table has at most one, its owner column)"
        )
    return _validated(extra[0], where) if extra else None


def _validated(name: object, where: str) -> str:
    try:
        return validate_identifier(name, option="a recorded table name")
    except ConfigurationError as exc:
        raise SchemaError(f"{where}: {exc}") from exc


def damaged_events_table(names: TableNames) -> str:
    """The table ``check --repair`` moves a table set's undecodable events into."""
    if names.events == DEFAULT_TABLE_NAMES.events:
        return _DEFAULT_DAMAGED_EVENTS_TABLE
    return f"{names.events}_damaged"


def artifact_tables_in(connection: sqlite3.Connection) -> list[str]:
    """The file's artifacts tables (`adk_sqlite.ArtifactService`), by name, sorted.

    A store creates its artifacts table on its first save, under the name it was given
    (``artifact_table=``); a table is one when its columns are exactly an artifacts
    table's, in order. Names are validated before they are returned.
    """
    found = []
    for (name,) in connection.execute(_SELECT_TABLES + " ORDER BY name"):
        columns = tuple(row[0] for row in connection.execute(_sql.SELECT_TABLE_COLUMNS, (name,)))
        if columns == ARTIFACT_COLUMNS:
            found.append(validate_identifier(name, option="artifacts table"))
    return found


def table_sets_in(
    connection: sqlite3.Connection, target: DatabaseTarget, known: TableNames | None = None
) -> list[TableSet]:
    """Every store table set of the file, by name.

    A set's names are the ones it recorded; ``known`` (a store's own names) for
    the set it names; the defaults for the default set. A set known by none of
    these is left out (see `choose_table_set`'s message). A set at a newer
    schema version is listed with that version, its tables not looked at.

    Raises:
        DatabaseUnavailableError: The file is not a SQLite database.
        SchemaError: It is a SQLite database without adk-sqlite's tables, or a
            set's recorded names are invalid or its tables missing.
    """
    where = target.describe()
    with sqlite_errors(target):
        tables = {row[0] for row in connection.execute(_SELECT_TABLES)}
        if _sql.SCHEMA_TABLE not in tables:
            raise SchemaError(f"{where}: not an adk-sqlite database{_foreign_hint(connection)}")
        recorded = {}
        if _sql.TABLE_SETS_TABLE in tables:
            recorded = {row[0]: row for row in connection.execute(_sql.SELECT_TABLE_SETS)}
        found = []
        for name, version in _versions(connection).items():
            names = _names(recorded.get(name), name, known, where)
            if names is None:
                continue
            if version > _sql.SCHEMA_VERSION:
                found.append(TableSet(names, None, version))
                continue
            missing = [table for table in _all(names) if table not in tables]
            if missing:
                raise SchemaError(f"{where}: adk-sqlite tables are missing: {', '.join(missing)}")
            owner = owner_column_of(connection, names.sessions, where)
            found.append(TableSet(names, owner, version))
    return found


def _versions(connection: sqlite3.Connection) -> dict[str, int]:
    return {
        name: int(version)
        for name, version in connection.execute(_SELECT_VERSIONS)
        if name not in _LAYOUT_TABLE_SETS
    }


def _names(
    row: tuple[str, ...] | None, table_set: str, known: TableNames | None, where: str
) -> TableNames | None:
    if known is not None and known.sessions == table_set:
        return known
    if row is not None:
        return TableNames(*(_validated(name, where) for name in row))
    if table_set == DEFAULT_TABLE_NAMES.sessions:
        return DEFAULT_TABLE_NAMES
    return None


def _all(names: TableNames) -> tuple[str, str, str, str]:
    return (names.sessions, names.events, names.app_states, names.user_states)


def choose_table_set(
    connection: sqlite3.Connection,
    target: DatabaseTarget,
    table_set: str | None = None,
    *,
    known: TableNames | None = None,
) -> TableSet:
    """The table set the tools work on: ``table_set`` (a sessions table's name), else the only one.

    Args:
        connection: An open connection to the file.
        target: The file, for messages.
        table_set: The sessions table of the set to use; None for the only one.
        known: A store's own table names, used for its set even if the file
            recorded none (see `table_sets_in`).

    Raises:
        SchemaError: No such set, none at all, or several and none chosen
            (the message lists them).
        SchemaVersionError: The set was written by a newer adk-sqlite.
    """
    where = target.describe()
    sets = table_sets_in(connection, target, known)
    chosen: TableSet | None = None
    if table_set is not None:
        chosen = next((found for found in sets if found.name.lower() == table_set.lower()), None)
    elif len(sets) == 1:
        chosen = sets[0]
    elif sets:
        raise SchemaError(
            f"{where}: holds {len(sets)} adk-sqlite table sets ({_listed(sets)}); choose one"
            " with --table-set NAME (table_set= in Python)"
        )
    if chosen is None:
        wanted = "" if table_set is None else f" named {table_set!r}"
        with sqlite_errors(target):
            hint = _unrecorded_hint(connection, sets)
        raise SchemaError(
            f"{where}: has no adk-sqlite tables{wanted} (table sets found:"
            f" {_listed(sets) or 'none'}){hint}"
        )
    if chosen.schema_version > _sql.SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{where}: its tables are at schema version {chosen.schema_version}, newer than"
            f" this adk-sqlite understands ({_sql.SCHEMA_VERSION}); upgrade adk-sqlite"
        )
    return chosen


def _listed(sets: list[TableSet]) -> str:
    return ", ".join(found.name for found in sets)


def _unrecorded_hint(connection: sqlite3.Connection, sets: list[TableSet]) -> str:
    known = {found.name for found in sets}
    unknown = [name for name in _versions(connection) if name not in known]
    if not unknown:
        return ""
    return (
        f"; {', '.join(repr(name) for name in unknown)} recorded no table names (written"
        f" before schema version 2): open it once with a store of this adk-sqlite, which"
        " records them"
    )


_SELECT_EVENTS_COLUMNS = "SELECT name FROM pragma_table_info('events')"


def _foreign_hint(connection: sqlite3.Connection) -> str:
    """Says what the file seems to be when it is an ADK session database."""
    columns = {row[0] for row in connection.execute(_SELECT_EVENTS_COLUMNS)}
    if "event_data" in columns:
        return (
            " (it looks like a database of ADK's own SqliteSessionService or"
            " DatabaseSessionService: bring its sessions over with `adk-sqlite import`)"
        )
    return f" (it has no {_sql.SCHEMA_TABLE} table)"
