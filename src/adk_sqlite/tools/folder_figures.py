"""`stats` and `tools` for a one-file-per-session folder: every live session's file, added up.

A folder written by `SqliteStore.per_session_files` keeps each live session in
a file of its own and the catalog (``catalog.db``: app and user state,
``user:`` artifacts, memories) beside them. These functions read every file
read-only, as `database_stats` and `audit_tool_calls` read one::

    from adk_sqlite.tools.folder_figures import audit_folder_tool_calls, folder_stats

    print(folder_stats("agent-sessions").sessions)
    print(audit_folder_tool_calls("agent-sessions", errors_only=True).calls)

Sessions that were archived (``archive/``) are not counted, as `sessions` does
not list them.
"""

from __future__ import annotations

import os
from pathlib import Path

from adk_sqlite.sqlite.schema.per_session_sql import CATALOG_FILE
from adk_sqlite.tools.inspection import (
    DatabaseStats,
    add_up_apps,
    add_up_users,
    database_stats,
    events_per_session,
)
from adk_sqlite.tools.session_folder import FolderEntry, catalog_entries
from adk_sqlite.tools.tool_audit import (
    ToolAudit,
    ToolCallRecord,
    ToolCallTotals,
    audit_of,
    audit_tool_calls,
)

__all__ = ["audit_folder_tool_calls", "folder_stats"]


def audit_folder_tool_calls(
    folder: str | os.PathLike[str],
    *,
    session_id: str | None = None,
    app_name: str | None = None,
    tool: str | None = None,
    errors_only: bool = False,
    busy_timeout: float = 5.0,
) -> ToolAudit:
    """`audit_tool_calls` over every live session file of a folder, as one audit.

    Raises:
        DatabaseUnavailableError: ``folder`` is not a folder of session files.
    """
    calls: list[ToolCallRecord] = []
    for entry in _live_entries(folder, busy_timeout):
        if session_id not in (None, entry.id) or app_name not in (None, entry.app_name):
            continue
        audit = audit_tool_calls(
            entry.file, session_id=entry.id, app_name=entry.app_name, busy_timeout=busy_timeout
        )
        calls += audit.calls
    return audit_of(calls, tool=tool, errors_only=errors_only)


def folder_stats(folder: str | os.PathLike[str], *, busy_timeout: float = 5.0) -> DatabaseStats:
    """`database_stats` for a folder: its catalog and every live session's file, added up.

    ``path`` is the folder; sizes, pages and free pages are those of all the
    files together; ``page_size`` and ``schema_version`` are the catalog's.

    Raises:
        DatabaseUnavailableError: ``folder`` is not a folder of session files.
    """
    entries = _live_entries(folder, busy_timeout)
    catalog = database_stats(Path(folder) / CATALOG_FILE, busy_timeout=busy_timeout)
    files = [database_stats(entry.file, busy_timeout=busy_timeout) for entry in entries]
    everything = [catalog, *files]
    updates = [moment for s in files for moment in (s.oldest_update, s.newest_update) if moment]
    counts = [s.events for s in files if s.sessions]  # one session per file
    users = add_up_users(user for part in everything for user in part.users)
    return DatabaseStats(
        path=str(folder),
        schema_version=catalog.schema_version,
        library_schema_version=catalog.library_schema_version,
        file_bytes=sum(s.file_bytes for s in everything),
        wal_bytes=sum(s.wal_bytes for s in everything),
        page_size=catalog.page_size,
        page_count=sum(s.page_count for s in everything),
        free_pages=sum(s.free_pages for s in everything),
        sessions=sum(s.sessions for s in files),
        events=sum(s.events for s in files),
        events_per_session=events_per_session(counts),
        oldest_update=min(updates, key=lambda m: m.unix) if updates else None,
        newest_update=max(updates, key=lambda m: m.unix) if updates else None,
        apps=add_up_apps(users),
        users=users,
        artifact_names=sum(s.artifact_names for s in everything),
        artifact_versions=sum(s.artifact_versions for s in everything),
        artifact_bytes=sum(s.artifact_bytes for s in everything),
        memories=sum(s.memories for s in everything),
        tool_calls=ToolCallTotals(
            calls=sum(s.tool_calls.calls for s in files),
            errors=sum(s.tool_calls.errors for s in files),
            no_response=sum(s.tool_calls.no_response for s in files),
        ),
    )


def _live_entries(folder: str | os.PathLike[str], busy_timeout: float) -> list[FolderEntry]:
    # A file the catalog lists but that is gone (deleted between the two reads) is skipped.
    entries = catalog_entries(folder, busy_timeout=busy_timeout)
    return [entry for entry in entries if entry.file.is_file()]
