"""``adk-sqlite sessions``: the sessions, newest activity first."""

from __future__ import annotations

import functools
from collections.abc import Callable

from rich.table import Table
from rich.text import Text

from adk_sqlite.cli._output import (
    app_option,
    database_command,
    database_options,
    human_bytes,
    id_column,
    limit_option,
    local_time,
    local_zone,
    plural,
    print_result,
    print_table,
    refuse_table_set_for_folder,
    user_option,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.tools.inspection import SessionList, list_session_summaries
from adk_sqlite.tools.session_folder import is_session_folder, list_folder_sessions

__all__ = ["command"]


@database_command(
    "sessions", "adk-sqlite sessions sessions.db --app support --user alice --limit 20"
)
@app_option("Only this app's sessions.")
@user_option("Only this user's sessions.")
@limit_option("At most this many sessions; 0 lists them all.")
@database_options(5.0)
def command(
    database: str,
    app_name: str | None,
    user_id: str | None,
    limit: int,
    table_set: str | None,
    busy_timeout: float,
    as_json: bool,
) -> None:
    """List sessions, most recently active first.

    Shows each session's id, app, user, number of events, last update (local
    time) and the size of its own state (keys, and bytes of JSON). DB may be a
    folder of one file per session: its live sessions are listed.
    """
    # DB may also be a folder of one file per session (it has a catalog.db).
    list_sessions: Callable[..., SessionList]
    if is_session_folder(database):
        refuse_table_set_for_folder(table_set)
        list_sessions = list_folder_sessions
    else:
        list_sessions = functools.partial(list_session_summaries, table_set=table_set)
    listing = list_sessions(
        database, app_name=app_name, user_id=user_id, limit=limit or None, busy_timeout=busy_timeout
    )
    print_result(listing, as_json=as_json, render=_render)


def _render(listing: SessionList) -> None:
    out = console()
    if not listing.sessions:
        out.print("No sessions match." if listing.total == 0 else "No sessions shown.")
        return
    table = Table(
        title=None,
        caption=(
            f"{len(listing.sessions)} of {listing.total} sessions (--limit 0 lists all)"
            if len(listing.sessions) < listing.total
            else plural(listing.total, "session")
        ),
    )
    table.add_column(f"Last update ({local_zone()})", no_wrap=True)
    table.add_column("App")
    table.add_column("User")
    id_column(table, "Session")
    table.add_column("Events", justify="right")
    table.add_column("State", justify="right", no_wrap=True)
    for summary in listing.sessions:
        keys = "? keys" if summary.state_keys is None else plural(summary.state_keys, "key")
        table.add_row(
            local_time(summary.last_update),
            Text(summary.app_name),
            Text(summary.user_id),
            Text(summary.id),
            str(summary.events),
            f"{keys}, {human_bytes(summary.state_bytes)}",
        )
    print_table(out, table)
