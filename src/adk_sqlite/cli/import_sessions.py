"""``adk-sqlite import``: sessions from google-adk's own stores."""

from __future__ import annotations

import asyncio

import click
from rich.text import Text

from adk_sqlite.cli._output import (
    busy_timeout_option,
    example,
    json_option,
    print_result,
    progress_bar,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.transfer.adk_import import ImportReport, import_adk_database

__all__ = ["command"]

_LAYOUT_NAMES = {
    "sqlite_session_service": "ADK SqliteSessionService",
    "database_session_service": "ADK DatabaseSessionService (v1 schema)",
}


@click.command("import", epilog=example("adk-sqlite import adk_sessions.db sessions.db"))
@click.argument("source", metavar="SOURCE")
@click.argument("database", metavar="DB")
@busy_timeout_option(30.0)
@json_option
def command(source: str, database: str, busy_timeout: float, as_json: bool) -> None:
    """Import sessions from a google-adk session database.

    SOURCE is a SQLite file written by ADK's SqliteSessionService or by
    DatabaseSessionService ("sqlite+aiosqlite:///..."); DB is the adk-sqlite
    database (created if missing). Every session, event and app:/user: state
    key arrives with its exact timestamps. Running it again is harmless: events
    already in DB are skipped and new ones appended.
    """
    with progress_bar("Importing events", enabled=not as_json) as progress:
        report = asyncio.run(
            import_adk_database(source, database, progress=progress, busy_timeout=busy_timeout)
        )
    print_result(report, as_json=as_json, render=_render)


def _render(report: ImportReport) -> None:
    console().print(
        Text(
            f"Imported from {report.source} ({_LAYOUT_NAMES[report.layout]}) into"
            f" {report.destination}:\n"
            f"  sessions: {report.sessions_created} created, {report.sessions_updated} updated,"
            f" {report.sessions_unchanged} already complete\n"
            f"  events: {report.events_imported} imported,"
            f" {report.events_already_present} already present\n"
            f"  state rows merged: {report.app_states_merged} app, {report.user_states_merged}"
            f" user; {report.states_kept} kept because they are newer in DB"
        )
    )
