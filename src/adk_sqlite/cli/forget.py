"""``adk-sqlite forget``: erase everything held about one user of one app."""

from __future__ import annotations

import click
from rich.text import Text

from adk_sqlite.cli._output import (
    database_command,
    database_options,
    plural,
    print_result,
    refuse_table_set_for_folder,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.tools.forgetting import ForgetReport, forget_user
from adk_sqlite.tools.session_folder import is_session_folder

__all__ = ["command"]


@database_command(
    "forget",
    "adk-sqlite forget sessions.db --app support --user ada --yes",
    "adk-sqlite forget agent-sessions/ --app support --user ada --yes --json",
    "adk-sqlite forget postgresql://agents@db.internal:5432/agents --app support --user ada --yes",
)
@click.option("--app", "app_name", required=True, help="The app the user belongs to.")
@click.option("--user", "user_id", required=True, help="The user to forget.")
@click.option("--yes", is_flag=True, help="Do it: without --yes nothing is changed.")
@database_options(30.0)
def command(
    database: str,
    app_name: str,
    user_id: str,
    yes: bool,
    table_set: str | None,
    busy_timeout: float,
    as_json: bool,
) -> None:
    """Erase everything a database holds about one user of one app.

    DB is a database file, a folder of session files (it has a catalog.db) or a
    postgresql:// URL (needs the postgres extra; default table names). Their
    sessions and events, user: state, artifacts, memories and any events `check
    --repair` set aside go in one transaction. In a file, freed pages are zeroed
    and the WAL is emptied; in a folder, their session files (live, archived or
    left over) are removed too; in PostgreSQL, the tables are vacuumed. Other users
    and the app's app: state are untouched. Without --yes, nothing is done.
    """
    if is_session_folder(database):
        refuse_table_set_for_folder(table_set)
    if not yes:
        raise click.UsageError(
            f"this erases everything about user {user_id!r} of app {app_name!r}: add --yes"
        )
    # A postgresql:// URL without asyncpg ends in the group's one-line error (exit code 10).
    report = forget_user(
        database,
        app_name=app_name,
        user_id=user_id,
        table_set=table_set,
        busy_timeout=busy_timeout,
    )
    print_result(report, as_json=as_json, render=_render)


def _render(report: ForgetReport) -> None:
    console().print(
        Text(
            f"Erased {plural(report.sessions, 'session')}, {plural(report.events, 'event')},"
            f" {plural(report.user_state, 'user state row')},"
            f" {plural(report.artifact_versions, 'artifact version')} and"
            f" {report.memories} {'memory' if report.memories == 1 else 'memories'}"
            + (
                f" (and {plural(report.damaged_events, 'set-aside event')})"
                if report.damaged_events
                else ""
            )
            + (f"; removed {plural(report.files, 'session file')}" if report.files else "")
        )
    )
