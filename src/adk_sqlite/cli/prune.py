"""``adk-sqlite prune``: delete idle sessions or old events, optionally VACUUM."""

from __future__ import annotations

import click
from rich.text import Text

from adk_sqlite.cli._output import (
    database_command,
    database_options,
    human_bytes,
    local_time,
    plural,
    print_result,
    progress_bar,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.tools.retention import (
    PruneReport,
    prune_idle_sessions,
    prune_old_events,
    vacuum_database,
)

__all__ = ["command"]


@database_command(
    "prune",
    "adk-sqlite prune sessions.db --idle-days 90 --dry-run",
    "adk-sqlite prune sessions.db --events-older-than 30 --app support --vacuum",
    "adk-sqlite prune sessions.db --idle-days 90 --artifacts",
)
@click.option(
    "--idle-days",
    type=click.FloatRange(min=0),
    metavar="N",
    help="Delete sessions (with their events) not updated for N days.",
)
@click.option(
    "--events-older-than",
    type=click.FloatRange(min=0),
    metavar="DAYS",
    help="Delete events older than DAYS days; their sessions stay.",
)
@click.option("--app", "app_name", metavar="APP", help="Only this app's sessions or events.")
@click.option("--dry-run", is_flag=True, help="Report what would be deleted; change nothing.")
@click.option("--vacuum", is_flag=True, help="Run VACUUM afterwards to give the space back.")
@click.option(
    "--artifacts",
    is_flag=True,
    help="With --idle-days: also delete the pruned sessions' own artifacts (user: ones stay).",
)
@click.option(
    "--artifact-table",
    metavar="NAME",
    help="With --artifacts, for a file holding several artifacts tables: the one to use.",
)
@database_options(30.0)
def command(
    database: str,
    idle_days: float | None,
    events_older_than: float | None,
    app_name: str | None,
    dry_run: bool,
    vacuum: bool,
    artifacts: bool,
    artifact_table: str | None,
    table_set: str | None,
    busy_timeout: float,
    as_json: bool,
) -> None:
    """Delete idle sessions or old events.

    Give exactly one of --idle-days and --events-older-than. Ages are measured
    on the Julian-day columns (update_time, timestamp). Deleting a session
    deletes its events; app: and user: state stays. Deletion runs in batches,
    each one transaction, so agents writing to the file wait for one batch at
    most. --dry-run only reads. A pruned session's artifacts stay, as when ADK
    deletes a session, unless --artifacts: then its session-scoped versions go
    in the same transaction as the session.
    """
    if (idle_days is None) == (events_older_than is None):
        raise click.UsageError("give exactly one of --idle-days and --events-older-than")
    if artifacts and idle_days is None:
        raise click.UsageError("--artifacts goes with --idle-days (events have no artifacts)")
    if artifact_table is not None and not artifacts:
        raise click.UsageError("--artifact-table goes with --artifacts")
    with progress_bar("Deleting", enabled=not (as_json or dry_run)) as progress:
        if idle_days is not None:
            report = prune_idle_sessions(
                database,
                idle_days=idle_days,
                app_name=app_name,
                dry_run=dry_run,
                busy_timeout=busy_timeout,
                progress=progress,
                table_set=table_set,
                artifacts=artifacts,
                artifact_table=artifact_table,
            )
        else:
            assert events_older_than is not None
            report = prune_old_events(
                database,
                older_than_days=events_older_than,
                app_name=app_name,
                dry_run=dry_run,
                busy_timeout=busy_timeout,
                progress=progress,
                table_set=table_set,
            )
    if vacuum and not dry_run:
        report.vacuum = vacuum_database(database, busy_timeout=busy_timeout)
    print_result(report, as_json=as_json, render=_render)


def _render(report: PruneReport) -> None:
    verb = "Would delete" if report.dry_run else "Deleted"
    scope = "" if report.app_name is None else f" of app {report.app_name!r}"
    if report.mode == "idle_sessions":
        artifacts = ""
        if report.artifact_table is not None:
            versions = plural(report.artifacts_deleted, "artifact version")
            artifacts = f" and {versions} ({report.artifact_table})"
        text = (
            f"{verb} {plural(report.sessions_deleted, 'session')}{scope} idle since before"
            f" {local_time(report.cutoff)}, with {plural(report.events_deleted, 'event')}"
            f"{artifacts}."
        )
    else:
        text = (
            f"{verb} {plural(report.events_deleted, 'event')}{scope} older than"
            f" {local_time(report.cutoff)}, from {plural(report.sessions_affected, 'session')}."
        )
    out = console()
    out.print(Text(text))
    if report.vacuum is not None:
        out.print(
            f"VACUUM: {human_bytes(report.vacuum.bytes_before)} ->"
            f" {human_bytes(report.vacuum.bytes_after)}"
        )
