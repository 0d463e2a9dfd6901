"""``adk-sqlite check DIR``: a folder of session files, and the catalog against the files."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from adk_sqlite.cli._output import check_mark, plural, progress_bar, show_check_report
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.tools.folder_check import FolderCheckReport, check_session_folder

__all__ = ["check_folder"]

_DETAILS_SHOWN = 20


def check_folder(folder: str, *, repair: bool, busy_timeout: float, as_json: bool) -> None:
    """Checks (and with ``repair`` repairs) a folder; exits 1 when problems remain."""
    with progress_bar("Checking session files", enabled=not as_json) as progress:
        report = check_session_folder(
            folder, repair=repair, progress=progress, busy_timeout=busy_timeout
        )
    show_check_report(report, as_json=as_json, render=_render)


def _render(report: FolderCheckReport) -> None:
    out = console()
    catalog = report.catalog
    repaired = sum(drift.repaired for drift in report.drift)
    table = Table(title=Text(report.path), title_justify="left")
    table.add_column("Check")
    table.add_column("Result")
    table.add_column("Details", overflow="fold")
    catalog_details = "; ".join(catalog.integrity[:5])
    if catalog.artifact_problems:
        catalog_details += f"; {plural(len(catalog.artifact_problems), 'artifact problem')}"
    table.add_row("catalog", check_mark(catalog.ok), Text(catalog_details))
    table.add_row(
        "session files",
        check_mark(not report.file_problems),
        f"{plural(report.files_checked, 'file')} checked, {len(report.file_problems)} with"
        f" problems; {plural(report.sessions, 'live session')}",
    )
    table.add_row(
        "catalog vs files",
        check_mark(all(drift.repaired for drift in report.drift)),
        f"{plural(len(report.drift), 'difference')}"
        + (f", {repaired} repaired" if report.repair else ""),
    )
    out.print(table)
    for problem in report.file_problems[:_DETAILS_SHOWN]:
        out.print(
            Text(
                f"{problem.path}: integrity {'; '.join(problem.integrity[:3])},"
                f" {len(problem.foreign_key_problems)} rows without a parent,"
                f" {len(problem.invalid_json)} invalid JSON,"
                f" {len(problem.unsafe_actions)} refused actions,"
                f" {len(problem.damaged_events)} damaged events,"
                f" {len(problem.artifact_problems)} artifact problems"
                " (adk-sqlite check FILE for details)"
            )
        )
    for moved in report.set_aside:
        out.print(
            Text(
                f"{moved.path}: {plural(len(moved.moved), 'damaged event')} moved to {moved.table}"
            )
        )
    if report.drift:
        drift = Table(title="Catalog vs files", title_justify="left")
        for name in ("Kind", "File", "Session", "Detail", "Repaired"):
            drift.add_column(name, overflow="fold")
        for found in report.drift[:_DETAILS_SHOWN]:
            drift.add_row(
                Text(found.kind),
                Text(found.file),
                Text(found.session_id or "-"),
                Text(found.detail),
                "yes" if found.repaired else "no",
            )
        out.print(drift)
    hidden = max(len(report.drift) - _DETAILS_SHOWN, 0) + max(
        len(report.file_problems) - _DETAILS_SHOWN, 0
    )
    if hidden:
        out.print(f"... and {hidden} more (--json lists all)")
    if report.ok:
        out.print(Text("No problems left." if repaired else "No problems found.", style="green"))
    elif report.drift and not report.repair:
        out.print(Text("Problems found; --repair fixes the differences.", style="bold red"))
    elif any(problem.damaged_events for problem in report.file_problems) and not report.repair:
        out.print(Text("Problems found; --repair moves damaged events aside.", style="bold red"))
    else:
        out.print(Text("Problems found.", style="bold red"))
