"""``adk-sqlite backup``: a consistent copy of a live database, verified."""

from __future__ import annotations

import click
from rich.text import Text

from adk_sqlite.cli._output import (
    database_command,
    database_options,
    human_bytes,
    plural,
    print_result,
    printable,
    progress_bar,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.tools.maintenance import BackupReport, backup_database

__all__ = ["command"]


@database_command(
    "backup",
    "adk-sqlite backup sessions.db backups/sessions-$(date +%F).db",
    "adk-sqlite backup my_agent/.adk/session.db adk-sessions-copy.db",
)
@click.argument("destination", metavar="DEST")
@database_options(5.0)
def command(
    database: str, destination: str, table_set: str | None, busy_timeout: float, as_json: bool
) -> None:
    """Copy a database while agents keep writing to it.

    Uses SQLite's online backup API inside one read transaction, so the copy
    is a consistent snapshot and writers are never blocked. The whole file is
    copied: every table set, artifacts, and memories with their search index. The copy is made
    owner-only (mode 0600), checked with PRAGMA integrity_check, and only then
    given its name DEST, which must not exist yet.

    Any other SQLite file (ADK's own DatabaseSessionService or
    SqliteSessionService database, say, before adk-sqlite import reads it) is
    copied the same way as a plain SQLite database; the output says so and
    lists its tables.
    """
    with progress_bar("Copying pages", enabled=not as_json) as progress:
        report = backup_database(
            database,
            destination,
            progress=progress,
            busy_timeout=busy_timeout,
            table_set=table_set,
        )
    print_result(report, as_json=as_json, render=_render)


def _render(report: BackupReport) -> None:
    if report.kind == "sqlite":
        _render_plain(report)
        return
    counted = f"{plural(report.sessions, 'session')} and {plural(report.events, 'event')}"
    if report.memories:
        memory = "memory" if report.memories == 1 else "memories"
        counted = (
            f"{plural(report.sessions, 'session')}, {plural(report.events, 'event')}"
            f" and {report.memories} {memory}"
        )
    console().print(
        Text(
            f"Backed up {counted}"
            f" ({human_bytes(report.bytes)}) to {report.destination}"
            f" in {report.seconds:.2f} s; integrity_check: {'; '.join(report.integrity)}"
        )
    )


# The tables of ADK's own session services (DatabaseSessionService, SqliteSessionService).
_ADK_SESSION_TABLES = frozenset({"sessions", "events"})


def _render_plain(report: BackupReport) -> None:
    tables = ", ".join(printable(name) for name in report.tables) or "no tables"
    what = (
        "ADK's own session database (adk-sqlite import reads it)"
        if set(report.tables) >= _ADK_SESSION_TABLES
        else "not an adk-sqlite database"
    )
    console().print(
        Text(
            f"Backed up a plain SQLite database, {what}: {plural(len(report.tables), 'table')}"
            f" ({tables}), {human_bytes(report.bytes)}, to {printable(report.destination)}"
            f" in {report.seconds:.2f} s; integrity_check: {'; '.join(report.integrity)}"
        ),
        soft_wrap=True,
    )
