"""The SQL of pages (sessions and events), for both backends, rendered once per store. Pure.

Pages are keyset pages: a page is "the next ``limit`` rows strictly after this
position" in an order an index serves, so reading page 1,000 costs what page 1
costs, at any table size. Sessions page in creation order, (create time, user
id, session id), which appends never change: a session that exists for the
whole paging is on exactly one page however often it is appended to. Events
page in the order `get_session` returns them, (timestamp, append order).

Every statement is built here, once, from validated table names, in each of its
forms (one user or the whole app, oldest or newest first, first page or a later
one, confined to an owner or not); values, the positions from page tokens
included, are always bound parameters. A `PageStatement` names its parameters
in the order it binds them, so a job binds them by name and never counts
placeholders (PostgreSQL numbers them, and wants no gaps).

Each page statement reads one row more than the page: `page_of` cuts the page
from the rows and says whether a next one exists, and
`PageStatements.next_event_position` where the next page of events starts. A
job runs the statements and builds the records, nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import msgspec

from adk_sqlite.records import EventPageQuery, EventPosition, SessionPageQuery, SessionRecord
from adk_sqlite.storage.job_requests import SessionsOf

__all__ = ["PageStatement", "PageStatements", "page_of", "render_page_statements"]

Dialect = Literal["sqlite", "postgres"]
RowT = TypeVar("RowT")

# The newest-first forms read the same index backwards.
_ORDERS = {False: ("ASC", ">"), True: ("DESC", "<")}


@dataclass(frozen=True, slots=True)
class PageStatement:
    """One statement and the names of its parameters, in binding order."""

    sql: str
    params: tuple[str, ...]

    def bind(self, **values: object) -> tuple[object, ...]:
        """The parameter values in binding order."""
        return tuple(values[name] for name in self.params)


@dataclass(frozen=True, slots=True)
class PageStatements:
    """Every page statement of one store.

    ``session_pages`` is keyed by (one user?, newest first?, after a position?,
    confined to an owner?); ``event_pages`` by (newest first?, after a
    position?); ``session_keys`` by confined?. A job takes a statement and its
    values from `session_page`, `session_key` and `event_page`.
    """

    session_pages: dict[tuple[bool, bool, bool, bool], PageStatement]
    session_keys: dict[bool, PageStatement]
    event_pages: dict[tuple[bool, bool], PageStatement]
    user_states_of: PageStatement
    app_state: PageStatement
    owner_column: str | None
    dialect: Dialect
    # Where an event page's row holds the event's timestamp (its seq is last).
    event_timestamp_column: int

    def session_page(
        self, listing: SessionsOf, query: SessionPageQuery
    ) -> tuple[str, tuple[object, ...]]:
        """The statement reading a page of ``sessions`` and its values.

        It reads one session more than the page: that one says whether a next page exists.
        """
        app_name, user_id, owner_id = listing
        after = query.after
        statement = self.session_pages[
            (user_id is not None, query.newest_first, after is not None, owner_id is not None)
        ]
        return statement.sql, statement.bind(
            app_name=app_name,
            user_id=user_id,
            create_time=None if after is None else after.create_time,
            after_user_id=None if after is None else after.user_id,
            id=None if after is None else after.id,
            owner_id=owner_id,
            limit=query.limit + 1,
        )

    def session_key(
        self, key: tuple[str, str, str], owner_id: Any
    ) -> tuple[str, tuple[object, ...]]:
        """The statement reading a session's ``session_key`` (None: not found) and its values."""
        lookup = self.session_keys[owner_id is not None]
        app_name, user_id, session_id = key
        return lookup.sql, lookup.bind(
            app_name=app_name, user_id=user_id, id=session_id, owner_id=owner_id
        )

    def event_page(
        self, session_key: object, query: EventPageQuery
    ) -> tuple[str, tuple[object, ...]]:
        """The statement reading a page of a session's events and its values.

        It reads one event more than the page: that one says whether a next page exists.
        """
        after = query.after
        statement = self.event_pages[(query.newest_first, after is not None)]
        return statement.sql, statement.bind(
            session_key=session_key,
            timestamp=None if after is None else after.timestamp,
            seq=None if after is None else after.seq,
            limit=query.limit + 1,
        )

    def next_event_position(
        self, page: Sequence[Sequence[Any]], has_more: bool
    ) -> EventPosition | None:
        """Where the page of events after ``page`` (`page_of`'s) starts; None: no next page."""
        if not has_more:
            return None
        last = page[-1]
        return EventPosition(last[self.event_timestamp_column], last[-1])

    def user_states(
        self, app_name: str, sessions: Sequence[SessionRecord]
    ) -> tuple[str, tuple[object, ...]]:
        """The statement reading the states of the users of ``sessions`` and its values."""
        users = sorted({session.user_id for session in sessions})
        # SQLite reads the list from a JSON array, PostgreSQL binds a text[].
        user_ids = msgspec.json.encode(users).decode() if self.dialect == "sqlite" else users
        return self.user_states_of.sql, self.user_states_of.bind(
            app_name=app_name, user_ids=user_ids
        )


def page_of(rows: Sequence[RowT], limit: int) -> tuple[Sequence[RowT], bool]:
    """The rows of a page and whether a next page exists, from rows read one past the page."""
    return rows[:limit], len(rows) > limit


class _Builder:
    """Numbers placeholders in the order clauses name their parameters."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self.params: list[str] = []

    def __call__(self, name: str) -> str:
        self.params.append(name)
        return "?" if self._dialect == "sqlite" else f"${len(self.params)}"

    def statement(self, sql: str) -> PageStatement:
        return PageStatement(sql, tuple(self.params))


def render_page_statements(
    *,
    dialect: Dialect,
    sessions: str,
    events: str,
    user_states: str,
    app_states: str,
    session_columns: str,
    event_columns: str,
    owner_column: str | None,
) -> PageStatements:
    """Renders the page statements for these tables.

    Args:
        dialect: Which placeholders and text ordering to use.
        sessions: The (validated, quoted) table listing sessions with their
            create times; the one-file-per-session layout passes its catalog's.
        events: The (validated, quoted) events table.
        user_states: The (validated, quoted) user state table.
        app_states: The (validated, quoted) app state table.
        session_columns: The columns a session record is read from.
        event_columns: The columns an event record is read from (``seq`` is
            added after them).
        owner_column: The quoted owner column, or None.
    """
    # PostgreSQL orders text by code point ("C") here, as SQLite does and as its
    # page indexes are built, whatever the database's default collation.
    text = "" if dialect == "sqlite" else ' COLLATE "C"'
    session_pages = {}
    for one_user in (False, True):
        for newest_first in (False, True):
            for after in (False, True):
                for confined in (False, True):
                    if confined and owner_column is None:
                        continue
                    session_pages[(one_user, newest_first, after, confined)] = _session_page(
                        dialect,
                        sessions,
                        session_columns,
                        text,
                        owner_column if confined else None,
                        one_user=one_user,
                        newest_first=newest_first,
                        after=after,
                    )
    session_key = {}
    for confined in (False, True):
        if confined and owner_column is None:
            continue
        b = _Builder(dialect)
        sql = (
            f"SELECT session_key FROM {sessions}"
            f" WHERE app_name = {b('app_name')} AND user_id = {b('user_id')} AND id = {b('id')}"
        )
        if confined:
            sql += f" AND {owner_column} = {b('owner_id')}"
        session_key[confined] = b.statement(sql)
    event_pages = {
        (newest_first, after): _event_page(dialect, events, event_columns, newest_first, after)
        for newest_first in (False, True)
        for after in (False, True)
    }
    b = _Builder(dialect)
    app_name = b("app_name")
    user_ids = b("user_ids")
    users = (
        f"IN (SELECT value FROM json_each({user_ids}))"
        if dialect == "sqlite"
        else f"= ANY({user_ids}::text[])"
    )
    user_states_of = b.statement(
        f"SELECT user_id, state FROM {user_states} WHERE app_name = {app_name} AND user_id {users}"
    )
    b = _Builder(dialect)
    app_state = b.statement(f"SELECT state FROM {app_states} WHERE app_name = {b('app_name')}")
    # The columns up to the timestamp are plain names: split at commas, they count right.
    timestamp_column = [name.strip() for name in event_columns.split(",")].index("timestamp_unix")
    return PageStatements(
        session_pages,
        session_key,
        event_pages,
        user_states_of,
        app_state,
        owner_column,
        dialect,
        timestamp_column,
    )


def _session_page(
    dialect: Dialect,
    sessions: str,
    columns: str,
    text: str,
    owner_column: str | None,
    *,
    one_user: bool,
    newest_first: bool,
    after: bool,
) -> PageStatement:
    direction, compare = _ORDERS[newest_first]
    b = _Builder(dialect)
    where = [f"app_name = {b('app_name')}"]
    if one_user:
        where.append(f"user_id = {b('user_id')}")
        if after:
            where.append(f"(create_time_unix, id{text}) {compare} ({b('create_time')}, {b('id')})")
        order = f"create_time_unix {direction}, id{text} {direction}"
    else:
        if after:
            where.append(
                f"(create_time_unix, user_id{text}, id{text}) {compare}"
                f" ({b('create_time')}, {b('after_user_id')}, {b('id')})"
            )
        order = f"create_time_unix {direction}, user_id{text} {direction}, id{text} {direction}"
    if owner_column is not None:
        where.append(f"{owner_column} = {b('owner_id')}")
    sql = (
        f"SELECT {columns} FROM {sessions} WHERE {' AND '.join(where)}"
        f" ORDER BY {order} LIMIT {b('limit')}"
    )
    return b.statement(sql)


def _event_page(
    dialect: Dialect, events: str, columns: str, newest_first: bool, after: bool
) -> PageStatement:
    direction, compare = _ORDERS[newest_first]
    b = _Builder(dialect)
    sql = f"SELECT {columns}, seq FROM {events} WHERE session_key = {b('session_key')}"
    if after:
        sql += f" AND (timestamp_unix, seq) {compare} ({b('timestamp')}, {b('seq')})"
    sql += f" ORDER BY timestamp_unix {direction}, seq {direction} LIMIT {b('limit')}"
    return b.statement(sql)
