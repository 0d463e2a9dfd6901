"""``adk-sqlite import``: sessions, artifacts or memories, from google-adk's own stores."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click
from rich.text import Text

from adk_sqlite.cli._output import (
    busy_timeout_option,
    example,
    json_option,
    plural,
    print_result,
    printable,
    progress_bar,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.transfer.adk_import import ImportReport, import_adk_database
from adk_sqlite.transfer.artifact_import import ArtifactImportReport, import_adk_artifacts
from adk_sqlite.transfer.memory_import import (
    MemoryImportReport,
    has_adk_sessions,
    import_adk_memory,
    is_adk_memory_database,
)

__all__ = ["command"]

_LAYOUT_NAMES = {
    "sqlite_session_service": "ADK SqliteSessionService",
    "database_session_service": "ADK DatabaseSessionService (v1 schema)",
}


@click.command(
    "import",
    epilog=example(
        "adk-sqlite import adk_sessions.db sessions.db",
        "adk-sqlite import my_agent/.adk/artifacts sessions.db",
        "adk-sqlite import adk_memory.db sessions.db",
    ),
)
@click.argument("source", metavar="SOURCE")
@click.argument("database", metavar="DB")
@click.option(
    "--memory",
    is_flag=True,
    help="Import the memories of SOURCE (ADK's SqliteMemoryService), for a file that"
    " also holds sessions.",
)
@busy_timeout_option(30.0)
@json_option
def command(source: str, database: str, memory: bool, busy_timeout: float, as_json: bool) -> None:
    """Import sessions, artifacts or memories from google-adk's own stores.

    SOURCE is a SQLite file written by ADK's SqliteSessionService or by
    DatabaseSessionService ("sqlite+aiosqlite:///..."), or a folder written by
    ADK's FileArtifactService; DB is the adk-sqlite database (created if
    missing). Every session, event and app:/user: state key arrives with its
    exact timestamps; every artifact version with its number, metadata, mime
    type and create time (DB may then also be a folder of per-session files or
    a postgresql:// URL). Running it again is harmless: what DB already holds
    is skipped and what is new is added.

    A file written by ADK's SqliteMemoryService (a memory_events table and no
    sessions) brings its memories, searchable through adk_sqlite.MemoryService;
    --memory chooses them in a file that holds sessions too. Rows that cannot be
    read are skipped and listed, never run.
    """
    if Path(source).is_dir():
        with progress_bar("Importing artifact versions", enabled=not as_json) as progress:
            artifacts = asyncio.run(
                import_adk_artifacts(source, database, progress=progress, busy_timeout=busy_timeout)
            )
        print_result(artifacts, as_json=as_json, render=_render_artifacts)
        return
    if memory or _memories_only(source):
        with progress_bar("Importing memories", enabled=not as_json) as progress:
            memories = asyncio.run(
                import_adk_memory(source, database, progress=progress, busy_timeout=busy_timeout)
            )
        print_result(memories, as_json=as_json, render=_render_memories)
        return
    with progress_bar("Importing events", enabled=not as_json) as progress:
        report = asyncio.run(
            import_adk_database(source, database, progress=progress, busy_timeout=busy_timeout)
        )
    print_result(report, as_json=as_json, render=_render)


def _memories_only(source: str) -> bool:
    """A file of ADK's memory service that holds no ADK sessions."""
    return is_adk_memory_database(source) and not has_adk_sessions(source)


def _render_memories(report: MemoryImportReport) -> None:
    skipped = ""
    if report.skipped:
        reasons = "; ".join(
            f"row {row.source_id}: {printable(row.reason)}" for row in report.skipped[:5]
        )
        more = len(report.skipped) - 5
        skipped = f" ({reasons}{f' and {more} more' if more > 0 else ''})"
    console().print(
        Text(
            f"Imported from {report.source} (ADK SqliteMemoryService) into"
            f" {report.destination}:\n"
            f"  memories: {report.memories_imported} of {report.entries} imported,"
            f" for {plural(report.users, 'user')}\n"
            f"  skipped: {len(report.skipped)}{skipped}"
        )
    )


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


def _render_artifacts(report: ArtifactImportReport) -> None:
    kept = ""
    if report.artifacts_kept:
        names = ", ".join(repr(name[3]) for name in report.artifacts_kept[:5])
        more = len(report.artifacts_kept) - 5
        names += f" and {more} more" if more > 0 else ""
        kept = (
            f"\n  kept as they are, because DB holds other versions of them:"
            f" {len(report.artifacts_kept)} ({names})"
        )
    console().print(
        Text(
            f"Imported from {report.source} (ADK FileArtifactService) into"
            f" {report.destination}:\n"
            f"  artifacts: {report.artifacts}\n"
            f"  versions: {report.versions_imported} imported"
            f" ({report.placeholders} placeholders for versions the source cannot load),"
            f" {report.versions_already_present} already present{kept}"
        )
    )
