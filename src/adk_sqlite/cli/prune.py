"""``adk-sqlite prune``: delete idle sessions, old events or compacted events, optionally VACUUM."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

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
    table_name_option,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.tools.retention import (
    PruneReport,
    prune_idle_sessions,
    prune_old_events,
    vacuum_database,
)

if TYPE_CHECKING:
    from adk_sqlite.tools.compaction_retention import CompactedPruneReport

__all__ = ["command"]


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


def _age_option(
    name: str, metavar: str, help: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An age in days (a fraction will do) that selects what a mode deletes."""
    return click.option(name, type=click.FloatRange(min=0), metavar=metavar, help=help)


@database_command(
    "prune",
    "adk-sqlite prune sessions.db --idle-days 90 --dry-run",
    "adk-sqlite prune sessions.db --events-older-than 30 --app support --vacuum",
    "adk-sqlite prune sessions.db --idle-days 90 --artifacts",
    "adk-sqlite prune sessions.db --compacted --compaction-interval 3 --overlap-size 1",
)
@_age_option("--idle-days", "N", "Delete sessions (with their events) not updated for N days.")
@_age_option(
    "--events-older-than", "DAYS", "Delete events older than DAYS days; their sessions stay."
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
@table_name_option(
    "--artifact-table",
    "With --artifacts, for a file holding several artifacts tables: the one to use.",
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
    # Each mode's prune function, its own arguments bound; every mode takes the rest alike.
    prune: Callable[..., PruneReport | CompactedPruneReport]
    if compacted:
        prune = _compacted_prune(settings)
        # Even a dry run of --compacted reads every session's events: it gets a bar too.
        label, show_bar = "Pruning", not as_json
    else:
        if any(value is not None for value in settings):
            raise click.UsageError("the compaction settings go with --compacted")
        if artifacts and idle_days is None:
            raise click.UsageError("--artifacts goes with --idle-days (events have no artifacts)")
        if artifact_table is not None and not artifacts:
            raise click.UsageError("--artifact-table goes with --artifacts")
        if idle_days is not None:
            prune = functools.partial(
                prune_idle_sessions,
                idle_days=idle_days,
                artifacts=artifacts,
                artifact_table=artifact_table,
            )
        else:
            assert events_older_than is not None
            prune = functools.partial(prune_old_events, older_than_days=events_older_than)
        label, show_bar = "Deleting", not (as_json or dry_run)
    with progress_bar(label, enabled=show_bar) as progress:
        report = prune(
            database,
            app_name=app_name,
            dry_run=dry_run,
            busy_timeout=busy_timeout,
            progress=progress,
            table_set=table_set,
        )
    if vacuum and not dry_run:
        report.vacuum = vacuum_database(database, busy_timeout=busy_timeout)
    print_result(report, as_json=as_json, render=_render)


def _compacted_prune(
    settings: tuple[int | None, int | None, int | None, int | None],
) -> Callable[..., CompactedPruneReport]:
    """prune_compacted_events with the App's compaction config the settings make."""
    # Imported here: ADK is needed only by this mode.
    from adk_sqlite.tools.compaction_retention import compaction_config, prune_compacted_events

    try:
        config = compaction_config(*settings)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    return functools.partial(prune_compacted_events, events_compaction_config=config)


def _render(report: PruneReport | CompactedPruneReport) -> None:
    if isinstance(report, PruneReport):
        _print_summary(report)
    else:
        _print_compacted_summary(report)
    if report.vacuum is not None:
        console().print(
            f"VACUUM: {human_bytes(report.vacuum.bytes_before)}"
            f" -> {human_bytes(report.vacuum.bytes_after)}"
        )


def _print_compacted_summary(report: CompactedPruneReport) -> None:
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


def _print_summary(report: PruneReport) -> None:
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
