"""Repairing a session database file: damaged events moved aside, then a fresh check.

`repair_database` is what ``adk-sqlite check DB --repair`` runs on a file::

    from adk_sqlite import repair_database

    report = repair_database("sessions.db")
    for event in report.set_aside.moved:
        print("moved aside", event.event_id, event.reason)
    assert report.ok, report.check
"""

from __future__ import annotations

import os

import msgspec

from adk_sqlite.tools.damaged_events import SetAsideReport, set_aside_damaged_events
from adk_sqlite.tools.maintenance import CheckReport, ProgressCallback, check_database

__all__ = ["DatabaseRepairReport", "repair_database"]


class DatabaseRepairReport(msgspec.Struct, kw_only=True):
    """What `repair_database` did, and the file's health afterwards.

    Attributes:
        ok: ``check.ok``.
        set_aside: The damaged events moved to ``adk_damaged_events``.
        check: `check_database` run after the repair.
    """

    ok: bool
    set_aside: SetAsideReport
    check: CheckReport


def repair_database(
    database: str | os.PathLike[str],
    *,
    progress: ProgressCallback | None = None,
    busy_timeout: float = 5.0,
    table_set: str | None = None,
) -> DatabaseRepairReport:
    """Moves the events ``get_session`` cannot decode aside, then checks the file.

    The events go, in one write transaction and with every column's bytes
    intact, to the ``adk_damaged_events`` table of the same file (see
    `adk_sqlite.tools.damaged_events`); their sessions read normally again. Other
    problems (integrity, foreign keys, invalid session state) are reported,
    not repaired. Safe while agents keep writing; running it again moves nothing.

    Args:
        database: The database file (or a ``sqlite:///`` URL).
        progress: Passed to the `check_database` run after the repair.
        busy_timeout: Seconds to wait for a lock.
        table_set: For a file of several stores' tables, the sessions table of
            the one to repair.

    Raises:
        DatabaseUnavailableError: The file is missing or not a database.
        ReadOnlyDatabaseError: The file is read-only.
        SchemaError: It is not an adk-sqlite database (nothing is changed).
        SchemaVersionError: It was written by a newer adk-sqlite.
    """
    set_aside = set_aside_damaged_events(database, busy_timeout=busy_timeout, table_set=table_set)
    check = check_database(
        database, progress=progress, busy_timeout=busy_timeout, table_set=table_set
    )
    return DatabaseRepairReport(ok=check.ok, set_aside=set_aside, check=check)
