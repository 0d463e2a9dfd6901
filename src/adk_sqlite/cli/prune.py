"""``adk-sqlite prune``: delete idle sessions, old events or compacted events, optionally VACUUM."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.text import Text

from adk_sqlite.cli._output import (
    app_option,
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
    VacuumReport,
    prune_idle_sessions,
    prune_old_events,
    vacuum_database,
)

if TYPE_CHECKING:
    from adk_sqlite.tools.compaction_retention import CompactedPruneReport

__all__ = ["command"]

# Either mode's report: both carry a `vacuum` field for --vacuum to fill.
_Report = TypeVar("_Report", "PruneReport", "CompactedPruneReport")


def _compaction_setting(
    name: str, *, minimum: int, goes_with: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--NAME N`` option that passes one of the App's compaction settings to --compacted."""
    setting = name.replace("-", "_")
    return click.option(
        f"--{name}",
        type=click.IntRange(min=minimum),
        metavar="N",
        help=f"With --compacted: the App's {setting} (with --{goes_with}).",
    )


@database_command(
    "prune",
    "adk-sqlite prune sessions.db --idle-days 90 --dry-run",
    "adk-sqlite prune sessions.db --events-older-than 30 --app support --vacuum",
    "adk-sqlite prune sessions.db --idle-days 90 --artifacts",
    "adk-sqlite prune sessions.db --compacted --compaction-interval 3 --overlap-size 1",
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
@click.option(
    "--compacted",
    is_flag=True,
    help="Delete the raw events a compaction covers that ADK will never read again"
    " (give the App's compaction settings below; see docs/compaction.md).",
)
@_compaction_setting("compaction-interval", minimum=1, goes_with="overlap-size")
@_compaction_setting("overlap-size", minimum=0, goes_with="compaction-interval")
@_compaction_setting("token-threshold", minimum=1, goes_with="event-retention-size")
@_compaction_setting("event-retention-size", minimum=0, goes_with="token-threshold")
@app_option("Only this app's sessions or events.")
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
    compacted: bool,
    compaction_interval: int | None,
    overlap_size: int | None,
    token_threshold: int | None,
    event_retention_size: int | None,
    app_name: str | None,
    dry_run: bool,
    vacuum: bool,
    artifacts: bool,
    artifact_table: str | None,
    table_set: str | None,
    busy_timeout: float,
    as_json: bool,
) -> None:
    """Delete idle sessions, old events or compacted events.

    Give exactly one of --idle-days, --events-older-than and --compacted. Ages are measured
    on the Julian-day columns (update_time, timestamp). Deleting a session
    deletes its events; app: and user: state stays. Deletion runs in batches,
    each one transaction, so agents writing to the file wait for one batch at
    most. --dry-run only reads. A pruned session's artifacts stay, as when ADK
    deletes a session, unless --artifacts: then its session-scoped versions go
    in the same transaction as the session.

    --compacted deletes the raw events that ADK's event compaction has
    summarised and that ADK will never read again, one transaction per
    session; it takes the App's events_compaction_config values. A session
    whose history ADK may still read whole (a rewind, branches...) is left
    whole and listed. Works on a file or a folder of session files.
    """
    modes = (idle_days is not None) + (events_older_than is not None) + compacted
    if modes != 1:
        raise click.UsageError(
            "give exactly one of --idle-days and --events-older-than, or --compacted alone"
        )
    settings = (compaction_interval, overlap_size, token_threshold, event_retention_size)
    if compacted:
        _prune_compacted(
            database, settings, app_name, dry_run, vacuum, table_set, busy_timeout, as_json
        )
        return
    if any(value is not None for value in settings):
        raise click.UsageError("the compaction settings go with --compacted")
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
    _vacuum_and_print(report, database, vacuum, dry_run, busy_timeout, as_json, _render)


def _prune_compacted(
    database: str,
    settings: tuple[int | None, int | None, int | None, int | None],
    app_name: str | None,
    dry_run: bool,
    vacuum: bool,
    table_set: str | None,
    busy_timeout: float,
    as_json: bool,
) -> None:
    # Imported here: ADK is needed only by this mode.
    from adk_sqlite.tools.compaction_retention import compaction_config, prune_compacted_events

    try:
        config = compaction_config(*settings)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    with progress_bar("Pruning", enabled=not as_json) as progress:
        report = prune_compacted_events(
            database,
            events_compaction_config=config,
            app_name=app_name,
            dry_run=dry_run,
            busy_timeout=busy_timeout,
            progress=progress,
            table_set=table_set,
        )
    _vacuum_and_print(report, database, vacuum, dry_run, busy_timeout, as_json, _render_compacted)


def _vacuum_and_print(
    report: _Report,
    database: str,
    vacuum: bool,
    dry_run: bool,
    busy_timeout: float,
    as_json: bool,
    render: Callable[[_Report], None],
) -> None:
    """Runs the VACUUM --vacuum asks for after a real prune, then prints the report."""
    if vacuum and not dry_run:
        report.vacuum = vacuum_database(database, busy_timeout=busy_timeout)
    print_result(report, as_json=as_json, render=render)


def _render_compacted(report: CompactedPruneReport) -> None:
    verb = "Would delete" if report.dry_run else "Deleted"
    scope = "" if report.app_name is None else f" of app {report.app_name!r}"
    out = console()
    out.print(
        Text(
            f"{verb} {plural(report.events_deleted, 'compacted event')} from"
            f" {plural(report.sessions_pruned, 'session')}{scope}"
            f" ({report.sessions_examined} examined,"
            f" {report.sessions_without_compaction} not compacted yet)."
        )
    )
    if report.sessions_refused:
        out.print(
            Text(
                f"Left whole: {plural(len(report.sessions_refused), 'session')}"
                " whose history ADK may still read:"
            )
        )
        for refused in report.sessions_refused:
            out.print(
                Text(
                    f"  {refused.app_name}/{refused.user_id}/{refused.session_id}: {refused.reason}"
                )
            )
    if report.vacuum is not None:
        _print_vacuum(report.vacuum)


def _print_vacuum(report: VacuumReport) -> None:
    console().print(
        f"VACUUM: {human_bytes(report.bytes_before)} -> {human_bytes(report.bytes_after)}"
    )


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
    console().print(Text(text))
    if report.vacuum is not None:
        _print_vacuum(report.vacuum)
