"""``adk-sqlite export``: every session, artifact and memory into PostgreSQL, verified."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import click
from rich.table import Table
from rich.text import Text

from adk_sqlite.cli._output import (
    app_option,
    database_command,
    database_options,
    plural,
    print_result,
    progress_bar,
    refuse_table_set_for_folder,
    table_name_option,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.tools.inspection import find_table_set
from adk_sqlite.tools.session_folder import is_session_folder
from adk_sqlite.transfer.export import (
    ExportProgress,
    ExportReport,
    TargetOptions,
    export_to_postgres,
)

__all__ = ["command"]


@database_command(
    "export",
    "adk-sqlite export sessions.db postgresql://agents@db.internal:5432/agents",
    'adk-sqlite export sessions.db "$DATABASE_URL" --app support --json',
    'adk-sqlite export tenants.db "$DATABASE_URL" --owner-column "tenant_id BIGINT NOT NULL"',
    'adk-sqlite export agent-sessions/ "$DATABASE_URL"',
)
@click.argument("url", metavar="POSTGRESQL_URL")
@app_option("Export only this app's sessions and state.")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    metavar="EVENTS",
    help="Events (or artifact versions) per COPY batch and per transaction.",
)
@table_name_option(
    "--source-artifact-table", "For a DB holding several artifacts tables: the one to export."
)
@table_name_option(
    "--source-memory-table", "For a DB holding several memories tables: the one to export."
)
@table_name_option("--session-table", "The sessions table on PostgreSQL.")
@table_name_option("--events-table", "The events table on PostgreSQL.")
@table_name_option("--app-state-table", "The app: state table on PostgreSQL.")
@table_name_option("--user-state-table", "The user: state table on PostgreSQL.")
@table_name_option("--artifact-table", "The artifacts table on PostgreSQL.")
@table_name_option("--memory-table", "The memories table (and its prefix) on PostgreSQL.")
@click.option(
    "--owner-column",
    "owner_id_column",
    metavar="DDL",
    help='An owner column on PostgreSQL, e.g. "tenant_id BIGINT NOT NULL".',
)
@database_options(5.0)
def command(
    database: str,
    url: str,
    app_name: str | None,
    batch_size: int,
    source_artifact_table: str | None,
    source_memory_table: str | None,
    table_set: str | None,
    busy_timeout: float,
    as_json: bool,
    **target_options: str | None,
) -> None:
    """Copy sessions, events, app:/user: state, artifacts and memories into PostgreSQL.

    DB is read through a read-only snapshot, so agents can keep writing to it.
    POSTGRESQL_URL is postgresql://user@host:5432/database (leave the password
    out and set PGPASSWORD); the tables are created there when missing. Every
    row is copied byte for byte and checked afterwards: row counts per table, a
    SHA-256 of each session's events, of each artifact version and of each
    memory (with its embedding, and how far each session is indexed). Running it
    again is harmless: it copies only what the target lacks, and resumes an
    export that was interrupted. DB's tables are found by the names its store
    recorded; on PostgreSQL they get the default names, or those given with
    --session-table ... --memory-table, as PostgresStore(...) would use them.

    DB may be a folder of one file per session: its live sessions (each read
    from its file), the catalog's app:/user: state, every artifact (in the
    catalog and in the session files) and every memory go into the same
    tables, verified the same way. Archived sessions are not exported (the
    report counts them); their artifacts and memories are.
    """
    if is_session_folder(database):
        # A folder's table names are the ones its catalog recorded.
        refuse_table_set_for_folder(table_set)
        source_table_set = None
    else:
        # The file's own table names (a store may have renamed its tables).
        source_table_set = find_table_set(
            database, table_set=table_set, busy_timeout=busy_timeout
        ).sessions
    with progress_bar("Exporting events", enabled=not as_json) as update:
        report = asyncio.run(
            export_to_postgres(
                database,
                url,
                app_name=app_name,
                batch_size=batch_size,
                progress=_events_only(update),
                busy_timeout=busy_timeout,
                table_set=source_table_set,
                source_artifact_table=source_artifact_table,
                source_memory_table=source_memory_table,
                # --session-table ... --owner-column, by PostgresStore's option names.
                target_options=TargetOptions(**target_options),
            )
        )
    print_result(report, as_json=as_json, render=_render)


def _events_only(
    update: Callable[[int, int], None] | None,
) -> Callable[[ExportProgress], None] | None:
    """Drives the bar with the events phase, the one that takes time."""
    if update is None:
        return None

    def progress(step: ExportProgress) -> None:
        if step.phase == "events":
            update(step.done, step.total)

    return progress


def _render(report: ExportReport) -> None:
    out = console()
    scope = "every app" if report.app_name is None else f"app {report.app_name!r}"
    out.print(Text(f"Exported {scope} from {report.source} to {report.target}"))
    table = Table("table")
    for title in ("source rows", "copied", "verified"):
        table.add_column(title, justify="right")
    for row in report.tables:
        table.add_row(
            row.table, f"{row.source_rows:,}", f"{row.copied_rows:,}", f"{row.verified_rows:,}"
        )
    out.print(table)
    artifacts = ""
    if report.artifact_checksums:
        artifacts = f" and of {plural(len(report.artifact_checksums), 'artifact version')}"
    memories = ""
    if report.memories.source_rows:
        count = report.memories.source_rows
        memories = (
            f" and of {count} {'memory' if count == 1 else 'memories'}"
            f" ({plural(len(report.memory_checksums), 'user')})"
        )
    out.print(
        Text(
            f"Verified: every row matches, and the event checksums of"
            f" {plural(len(report.checksums), 'session')}{artifacts}{memories}"
            f" ({report.seconds:.1f} s)."
        )
    )
    if report.archived_sessions:
        out.print(
            Text(
                f"Not exported: {plural(report.archived_sessions, 'archived session')}"
                " (archive/); only live sessions are."
            )
        )
