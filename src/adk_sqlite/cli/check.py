"""``adk-sqlite check``: integrity, foreign keys, schema version, undecodable events."""

from __future__ import annotations

import click
from rich.table import Table
from rich.text import Text

from adk_sqlite.cli._output import (
    check_mark,
    database_command,
    database_options,
    plural,
    printable,
    progress_bar,
    refuse_table_set_for_folder,
    show_check_report,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.tools.database_repair import DatabaseRepairReport, repair_database
from adk_sqlite.tools.maintenance import CheckReport, check_database
from adk_sqlite.tools.session_folder import is_session_folder

__all__ = ["command"]

_DETAILS_SHOWN = 20


@database_command(
    "check",
    "adk-sqlite check sessions.db || echo 'problems found'",
    "adk-sqlite check sessions.db --json | jq '.damaged_events[].event_id'",
    "adk-sqlite check sessions.db --repair",
    "adk-sqlite check agent-sessions/ --repair",
)
@click.option(
    "--repair",
    is_flag=True,
    help="Move events that cannot be decoded to the adk_damaged_events table (bytes"
    " intact); with a folder, also finish what interrupted operations left.",
)
@database_options(5.0)
def command(
    database: str, repair: bool, table_set: str | None, busy_timeout: float, as_json: bool
) -> None:
    """Check a database and exit 1 if anything is wrong.

    Runs PRAGMA integrity_check and PRAGMA foreign_key_check, reports the
    schema version, validates every JSON column, loads every event's
    actions blob with the restricted unpickler (which runs nothing it
    refuses) and decodes every event as get_session does, listing each
    event that cannot be loaded safely or decoded. Artifacts tables are
    checked too: each version's size against its stored bytes, its JSON, and
    one row per version.

    --repair moves each event that cannot be decoded, in one transaction,
    to the adk_damaged_events table of the same file, every column's bytes
    kept, with when and why; its session reads normally again. Then the
    file is checked again.

    DB may be a folder of one file per session: the catalog and every session
    file are checked, and the catalog compared with the files; --repair
    finishes what interrupted creates, deletes, archives and appends left,
    and moves damaged events aside in each session file.
    """
    if is_session_folder(database):
        # The folder's check and repair code loads only for a folder.
        from adk_sqlite.cli._folder_check_output import check_folder

        refuse_table_set_for_folder(table_set)
        check_folder(database, repair=repair, busy_timeout=busy_timeout, as_json=as_json)
        return
    with progress_bar("Checking events", enabled=not as_json) as progress:
        if repair:
            repaired = repair_database(
                database, progress=progress, busy_timeout=busy_timeout, table_set=table_set
            )
            show_check_report(repaired, as_json=as_json, render=_render_repair)
            return
        report = check_database(
            database, progress=progress, busy_timeout=busy_timeout, table_set=table_set
        )
    show_check_report(report, as_json=as_json, render=_render)


def _render_repair(repaired: DatabaseRepairReport) -> None:
    moved = repaired.set_aside.moved
    out = console()
    for event in moved[:_DETAILS_SHOWN]:
        out.print(
            Text(
                f"moved event {event.event_id} (seq {event.seq}) of session {event.session_id}"
                f" ({event.app_name}/{event.user_id}) to {repaired.set_aside.table}:"
                f" {event.reason}"
            )
        )
    if len(moved) > _DETAILS_SHOWN:
        out.print(f"... and {len(moved) - _DETAILS_SHOWN} more (--json lists all)")
    out.print(
        Text(f"{plural(len(moved), 'damaged event')} moved to {repaired.set_aside.table}.")
        if moved
        else Text("No damaged events to move.")
    )
    _render(repaired.check)


def _render(report: CheckReport) -> None:
    out = console()
    table = Table(title=Text(report.path), title_justify="left")
    table.add_column("Check")
    table.add_column("Result")
    table.add_column("Details", overflow="fold")
    table.add_row(
        "integrity_check",
        check_mark(report.integrity == ["ok"]),
        Text("; ".join(report.integrity[:5])),
    )
    table.add_row(
        "foreign_key_check",
        check_mark(not report.foreign_key_problems),
        f"{len(report.foreign_key_problems)} rows without a parent",
    )
    table.add_row(
        "schema version",
        Text("ok", style="green"),
        f"{report.schema_version} (this adk-sqlite: {report.library_schema_version})",
    )
    table.add_row(
        "JSON columns", check_mark(not report.invalid_json), f"{len(report.invalid_json)} invalid"
    )
    table.add_row(
        "actions blobs",
        check_mark(not report.unsafe_actions),
        f"{report.events_checked} loaded, {len(report.unsafe_actions)} refused",
    )
    table.add_row(
        "events",
        check_mark(not report.damaged_events),
        f"{report.events_decoded} decoded, {len(report.damaged_events)} cannot be"
        + (" (--repair moves them aside)" if report.damaged_events else ""),
    )
    table.add_row(
        "artifacts",
        check_mark(not report.artifact_problems),
        f"{plural(report.artifacts_checked, 'version')} checked,"
        f" {plural(len(report.artifact_problems), 'problem')}",
    )
    out.print(table)
    for problem in report.foreign_key_problems[:_DETAILS_SHOWN]:
        out.print(Text(f"{problem.table} rowid {problem.rowid}: no row in {problem.parent}"))
    for bad in report.invalid_json[:_DETAILS_SHOWN]:
        out.print(Text(f"{bad.table}.{bad.column} of {bad.key}: not valid JSON"))
    for event in report.unsafe_actions[:_DETAILS_SHOWN]:
        out.print(
            Text(
                f"event {event.event_id} (seq {event.seq}) of session {event.session_id}"
                f" ({event.app_name}/{event.user_id}): {event.reason}"
            )
        )
    for damaged in report.damaged_events[:_DETAILS_SHOWN]:
        out.print(
            Text(
                f"damaged event {damaged.event_id} (seq {damaged.seq}) of session"
                f" {damaged.session_id} ({damaged.app_name}/{damaged.user_id}): {damaged.reason}"
            )
        )
    for artifact in report.artifact_problems[:_DETAILS_SHOWN]:
        scope = (
            "user-scoped"
            if artifact.session_id is None
            else f"session {printable(artifact.session_id)}"
        )
        out.print(
            Text(
                f"artifact {printable(artifact.filename)} version {artifact.version} ({scope},"
                f" {printable(artifact.app_name)}/{printable(artifact.user_id)}) in"
                f" {artifact.table}: {artifact.detail}"
            )
        )
    hidden = sum(
        max(len(items) - _DETAILS_SHOWN, 0)
        for items in (
            report.foreign_key_problems,
            report.invalid_json,
            report.unsafe_actions,
            report.damaged_events,
            report.artifact_problems,
        )
    )
    if hidden:
        out.print(f"... and {hidden} more (--json lists all)")
    out.print(
        Text("No problems found.", style="green")
        if report.ok
        else Text("Problems found.", style="bold red")
    )
