"""adk-sqlite: a fast, exact, persistent session store for Google's ADK.

Quick start::

    from google.adk.runners import Runner
    from adk_sqlite import SessionService, SqliteStore

    service = SessionService(SqliteStore("./sessions.db"))
    runner = Runner(agent=agent, app_name="support", session_service=service)

`PostgresStore` and `export_to_postgres` need the optional ``postgres`` extra
(asyncpg); they are imported on first access, so ``import adk_sqlite`` never
imports asyncpg.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from adk_sqlite import errors
from adk_sqlite.adk.artifacts import ArtifactService
from adk_sqlite.adk.memory import MemoryService
from adk_sqlite.adk.sessions import SessionService
from adk_sqlite.artifact_store import ArtifactStore
from adk_sqlite.errors import *  # noqa: F403 (the whole error tree is public: errors.__all__)
from adk_sqlite.memory_store import MemoryStore
from adk_sqlite.records import (
    AppendResult,
    EventQuery,
    EventRecord,
    SessionListing,
    SessionRecord,
    SessionSnapshot,
    StaleCheck,
    StateDelta,
)
from adk_sqlite.sqlite import PerSessionSqliteStore, SqliteStore
from adk_sqlite.store import BaseAsyncStore
from adk_sqlite.timestamps import Instant
from adk_sqlite.tools.database_repair import repair_database
from adk_sqlite.tools.folder_check import check_session_folder
from adk_sqlite.tools.inspection import database_stats, list_session_summaries
from adk_sqlite.tools.maintenance import backup_database, check_database
from adk_sqlite.tools.readonly_query import run_readonly_query
from adk_sqlite.tools.retention import prune_idle_sessions, prune_old_events, vacuum_database
from adk_sqlite.tools.session_folder import (
    list_folder_sessions,
    query_session_folder,
    read_folder_timeline,
)
from adk_sqlite.tools.session_ids import resolve_session_id
from adk_sqlite.tools.timeline import read_timeline
from adk_sqlite.tools.tool_audit import audit_tool_calls
from adk_sqlite.transfer.adk_import import import_adk_database
from adk_sqlite.transfer.artifact_import import ArtifactImportReport, import_adk_artifacts
from adk_sqlite.transfer.memory_import import MemoryImportReport, import_adk_memory

if TYPE_CHECKING:
    from adk_sqlite.postgres import PostgresStore
    from adk_sqlite.transfer.export import (
        ExportProgress,
        ExportReport,
        ExportTableReport,
        SessionChecksum,
        export_to_postgres,
    )

# Public names whose modules load on first access: (module, attribute).
_LAZY_EXPORTS: dict[str, tuple[str, str]] = {
    "PostgresStore": ("adk_sqlite.postgres", "PostgresStore"),
    "export_to_postgres": ("adk_sqlite.transfer.export", "export_to_postgres"),
    "ExportProgress": ("adk_sqlite.transfer.export", "ExportProgress"),
    "ExportReport": ("adk_sqlite.transfer.export", "ExportReport"),
    "ExportTableReport": ("adk_sqlite.transfer.export", "ExportTableReport"),
    "SessionChecksum": ("adk_sqlite.transfer.export", "SessionChecksum"),
}


def __getattr__(name: str) -> Any:
    """Imports an optional part (PostgresStore, the export) when it is first used.

    Raises:
        ImportError: The part needs an extra that is not installed; the message
            names the ``pip install`` command.
    """
    try:
        module_name, attribute = _LAZY_EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY_EXPORTS})


try:
    __version__ = version("adk-sqlite")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "AppendResult",
    "ArtifactImportReport",
    "ArtifactService",
    "ArtifactStore",
    "BaseAsyncStore",
    "EventQuery",
    "EventRecord",
    "ExportProgress",
    "ExportReport",
    "ExportTableReport",
    "Instant",
    "MemoryImportReport",
    "MemoryService",
    "MemoryStore",
    "PerSessionSqliteStore",
    "PostgresStore",
    "SessionChecksum",
    "SessionListing",
    "SessionRecord",
    "SessionService",
    "SessionSnapshot",
    "SqliteStore",
    "StaleCheck",
    "StateDelta",
    "__version__",
    "audit_tool_calls",
    "backup_database",
    "check_database",
    "check_session_folder",
    "database_stats",
    "export_to_postgres",
    "import_adk_artifacts",
    "import_adk_database",
    "import_adk_memory",
    "list_folder_sessions",
    "list_session_summaries",
    "prune_idle_sessions",
    "prune_old_events",
    "query_session_folder",
    "read_folder_timeline",
    "read_timeline",
    "repair_database",
    "resolve_session_id",
    "run_readonly_query",
    "vacuum_database",
]
# Every error is public: the tree drawn in errors.py's docstring.
__all__ += errors.__all__
