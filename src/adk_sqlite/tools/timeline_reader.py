"""Reading timelines from wherever the command line is pointed: a database file or a folder.

`timeline_reader` picks the reader once for a location: `read_folder_timeline`
for a folder of one file per session (the live session, else an archived one),
`read_timeline` for a database file (of which ``table_set`` picks one store's
tables). `adk-sqlite show` and `write_session_html` both read through it::

    from adk_sqlite.tools.timeline_reader import timeline_reader

    read = timeline_reader("agent-sessions")
    timeline = read("ticket-42", app_name="support")
"""

from __future__ import annotations

import functools
import os
from typing import Protocol

from adk_sqlite.tools.session_folder import is_session_folder, read_folder_timeline
from adk_sqlite.tools.timeline import Timeline, read_timeline

__all__ = ["TimelineReader", "timeline_reader"]


class TimelineReader(Protocol):
    """Reads one session of a location as a timeline (see `read_timeline` for the errors)."""

    def __call__(
        self, session_id: str, *, app_name: str | None = None, user_id: str | None = None
    ) -> Timeline: ...


def timeline_reader(
    database: str | os.PathLike[str], *, busy_timeout: float = 5.0, table_set: str | None = None
) -> TimelineReader:
    """The reader of the timelines in ``database``, a database file or a folder of session files.

    Args:
        database: The database file (or a ``sqlite:///`` URL), or a folder of one
            file per session.
        busy_timeout: Seconds to wait for a lock held by another connection.
        table_set: For a file of several stores' tables, the sessions table of
            the one to read. A folder has one set of tables: it is not passed on.
    """
    if is_session_folder(database):
        return functools.partial(read_folder_timeline, database, busy_timeout=busy_timeout)
    return functools.partial(
        read_timeline, database, busy_timeout=busy_timeout, table_set=table_set
    )
