"""`ForgetReport`: what forgetting a user removed, the same on every layout and backend.

Every layout deletes a user's rows from the same tables, listed once by `user_tables`
with the report field that counts each, and builds its report with `forget_report`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import msgspec

from adk_sqlite.storage.store_options import TableNames

__all__ = ["ForgetReport", "UserTable", "forget_report", "user_tables"]


class ForgetReport(msgspec.Struct, frozen=True, kw_only=True):
    """What ``forget_user`` removed, row counts by kind.

    Attributes:
        sessions: Sessions (on one file per session, archived ones included).
        events: Their events.
        user_state: ``user:`` state rows (0 or 1).
        artifact_versions: Artifact versions, user- and session-scoped.
        memories: Memories (their index entries and vectors go with them).
        damaged_events: Events ``check --repair`` had set aside.
        files: Files removed (one file per session: live, archived and set-aside session
            files); 0 for a shared SQLite file and for PostgreSQL.
    """

    sessions: int
    events: int
    user_state: int
    artifact_versions: int
    memories: int
    damaged_events: int
    files: int = 0


class UserTable(NamedTuple):
    """A table holding rows keyed by (app, user), and the report field counting them."""

    field: str
    table: str
    created_on_first_use: bool
    """Artifacts and set-aside events: a store creates the table when it first writes one."""


def user_tables(
    tables: TableNames, artifacts_table: str, damaged_events_table: str | None = None
) -> list[UserTable]:
    """The tables a user's rows are deleted from, in order (events before their sessions).

    Memories are not among them: each backend deletes them with their index. PostgreSQL
    keeps no set-aside events (``damaged_events_table`` None).
    """
    found = [
        UserTable("events", tables.events, False),
        UserTable("sessions", tables.sessions, False),
        UserTable("user_state", tables.user_states, False),
        UserTable("artifact_versions", artifacts_table, True),
    ]
    if damaged_events_table is not None:
        found.append(UserTable("damaged_events", damaged_events_table, True))
    return found


def forget_report(counts: Mapping[str, int]) -> ForgetReport:
    """The report of ``counts``, by field name; a field they lack (a table absent) is 0."""
    zeros = dict.fromkeys(ForgetReport.__struct_fields__, 0)
    return ForgetReport(**(zeros | dict(counts)))
