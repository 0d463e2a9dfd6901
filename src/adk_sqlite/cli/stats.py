"""``adk-sqlite stats``: sessions, events and memories per app and user, sizes, schema version."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from adk_sqlite.cli._output import (
    database_command,
    database_options,
    human_bytes,
    local_time,
    local_zone,
    plural,
    print_result,
    refuse_table_set_for_folder,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.tools.folder_figures import folder_stats
from adk_sqlite.tools.inspection import DatabaseStats, database_stats
from adk_sqlite.tools.session_folder import is_session_folder

__all__ = ["command"]

# Users listed without --json; the JSON lists every user.
_USERS_SHOWN = 20


@database_command(
    "stats", "adk-sqlite stats sessions.db --json", "adk-sqlite stats agent-sessions/"
)
@database_options(5.0)
def command(database: str, table_set: str | None, busy_timeout: float, as_json: bool) -> None:
    """Show figures about a database.

    Sessions and events per app and per user, events per session
    (min/median/max), artifacts (names, versions, bytes), memories (in all and,
    when there are any, per app and user), tool calls (failed ones, a tool
    that raised included, and ones without a response, as the tools command
    counts them), the database and WAL file sizes,
    free pages, and the schema version.

    DB may be a folder of one file per session: the figures of its catalog
    and of every live session's file, added up (sizes and pages of all the
    files together).
    """
    if is_session_folder(database):
        refuse_table_set_for_folder(table_set)
        stats = folder_stats(database, busy_timeout=busy_timeout)
    else:
        stats = database_stats(database, busy_timeout=busy_timeout, table_set=table_set)
    print_result(stats, as_json=as_json, render=_render)


def _tool_calls(stats: DatabaseStats) -> str:
    totals = stats.tool_calls
    if not totals.calls:
        return "none"
    return f"{totals.calls}, {totals.errors} failed, {totals.no_response} without a response"


def _render(stats: DatabaseStats) -> None:
    out = console()
    overview = Table(title="Database", title_justify="left", show_header=False)
    overview.add_column("", style="bold")
    overview.add_column("")
    per_session = stats.events_per_session
    artifacts = "none"
    if stats.artifact_versions:
        artifacts = (
            f"{plural(stats.artifact_names, 'name')},"
            f" {plural(stats.artifact_versions, 'version')}, {human_bytes(stats.artifact_bytes)}"
        )
    rows: list[tuple[str, str | Text]] = [
        ("File", Text(stats.path)),
        (
            "Schema version",
            f"{stats.schema_version} (this adk-sqlite: {stats.library_schema_version})",
        ),
        ("Size", f"{human_bytes(stats.file_bytes)} + WAL {human_bytes(stats.wal_bytes)}"),
        ("Pages", f"{stats.page_count} of {human_bytes(stats.page_size)}, {stats.free_pages} free"),
        ("Sessions", str(stats.sessions)),
        ("Events", str(stats.events)),
        (
            "Events per session",
            "-"
            if per_session is None
            else f"min {per_session.min}, median {per_session.median:g}, max {per_session.max}",
        ),
        ("Artifacts", artifacts),
        ("Memories", str(stats.memories) if stats.memories else "none"),
        ("Tool calls", _tool_calls(stats)),
        (f"Oldest last update ({local_zone()})", local_time(stats.oldest_update)),
        (f"Newest last update ({local_zone()})", local_time(stats.newest_update)),
    ]
    for name, value in rows:
        overview.add_row(name, value)
    out.print(overview)
    if not stats.apps:
        return
    # The memory columns only when there are memories: the tables stay as they were.
    memories = ("Memories",) if stats.memories else ()
    apps = Table(title="Per app", title_justify="left")
    for name in ("App", "Users", "Sessions", "Events", *memories):
        apps.add_column(name, justify="left" if name == "App" else "right")
    for app in stats.apps:
        counts = (app.users, app.sessions, app.events, *((app.memories,) if memories else ()))
        apps.add_row(Text(app.app_name), *map(str, counts))
    out.print(apps)
    busiest = sorted(stats.users, key=lambda u: (-u.events, u.app_name, u.user_id))
    users = Table(
        title="Per user",
        title_justify="left",
        caption=(
            f"the {_USERS_SHOWN} users with most events of {len(busiest)}; --json lists all"
            if len(busiest) > _USERS_SHOWN
            else None
        ),
    )
    for name in ("App", "User", "Sessions", "Events", *memories):
        users.add_column(name, justify="left" if name in ("App", "User") else "right")
    for user in busiest[:_USERS_SHOWN]:
        counts = (user.sessions, user.events, *((user.memories,) if memories else ()))
        users.add_row(Text(user.app_name), Text(user.user_id), *map(str, counts))
    out.print(users)
