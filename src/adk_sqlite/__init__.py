"""adk-sqlite: a fast, exact, persistent session store for Google's ADK.

Quick start::

    from google.adk.runners import Runner
    from adk_sqlite import SessionService, SqliteStore

    service = SessionService(SqliteStore("./sessions.db"))
    runner = Runner(agent=agent, app_name="support", session_service=service)

Every public name is imported on first access, so ``import adk_sqlite`` is cheap:
it imports neither google-adk nor the command line's click and rich, and the
command line starts without loading the services. `PostgresStore` and
`export_to_postgres` need the optional ``postgres`` extra (asyncpg).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from adk_sqlite._version import __version__

if TYPE_CHECKING:
    from adk_sqlite.adk.artifacts import ArtifactService
    from adk_sqlite.adk.memory import MemoryService
    from adk_sqlite.adk.sessions import SessionService
    from adk_sqlite.artifact_store import ArtifactStore
    from adk_sqlite.errors import (
        AdkSqliteError,
        AmbiguousSessionError,
        ArtifactTooLargeError,
        ConfigurationError,
        ConstraintError,
        CorruptRecordError,
        DatabaseError,
        DatabaseLockedError,
        DatabaseUnavailableError,
        DuplicateEventError,
        EmbeddingError,
        EventLoopError,
        ExportConflictError,
        ExportError,
        ExportVerificationError,
        InvalidArgumentError,
        MemoryTooLargeError,
        QueryRefusedError,
        ReadOnlyDatabaseError,
        SchemaError,
        SchemaVersionError,
        SessionAlreadyExistsError,
        SessionNotFoundError,
        StaleSessionError,
        StoreClosedError,
        UnencodableValueError,
        UnsafePayloadError,
    )
    from adk_sqlite.memory_store import MemoryStore
    from adk_sqlite.postgres import PostgresStore
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
    from adk_sqlite.tools.compaction_retention import prune_compacted_events
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
    from adk_sqlite.transfer.export import (
        ExportProgress,
        ExportReport,
        ExportTableReport,
        SessionChecksum,
        export_to_postgres,
    )
    from adk_sqlite.transfer.memory_import import MemoryImportReport, import_adk_memory

# The public names other than the errors, and the module each is imported from on
# first access. Every other name in __all__ is an error of adk_sqlite.errors (the
# tests check that __all__ lists every exception class that module defines).
_LAZY_EXPORTS: dict[str, str] = {
    "AppendResult": "adk_sqlite.records",
    "ArtifactImportReport": "adk_sqlite.transfer.artifact_import",
    "ArtifactService": "adk_sqlite.adk.artifacts",
    "ArtifactStore": "adk_sqlite.artifact_store",
    "BaseAsyncStore": "adk_sqlite.store",
    "EventQuery": "adk_sqlite.records",
    "EventRecord": "adk_sqlite.records",
    "ExportProgress": "adk_sqlite.transfer.export",
    "ExportReport": "adk_sqlite.transfer.export",
    "ExportTableReport": "adk_sqlite.transfer.export",
    "Instant": "adk_sqlite.timestamps",
    "MemoryImportReport": "adk_sqlite.transfer.memory_import",
    "MemoryService": "adk_sqlite.adk.memory",
    "MemoryStore": "adk_sqlite.memory_store",
    "PerSessionSqliteStore": "adk_sqlite.sqlite",
    "PostgresStore": "adk_sqlite.postgres",
    "SessionChecksum": "adk_sqlite.transfer.export",
    "SessionListing": "adk_sqlite.records",
    "SessionRecord": "adk_sqlite.records",
    "SessionService": "adk_sqlite.adk.sessions",
    "SessionSnapshot": "adk_sqlite.records",
    "SqliteStore": "adk_sqlite.sqlite",
    "StaleCheck": "adk_sqlite.records",
    "StateDelta": "adk_sqlite.records",
    "audit_tool_calls": "adk_sqlite.tools.tool_audit",
    "backup_database": "adk_sqlite.tools.maintenance",
    "check_database": "adk_sqlite.tools.maintenance",
    "check_session_folder": "adk_sqlite.tools.folder_check",
    "database_stats": "adk_sqlite.tools.inspection",
    "export_to_postgres": "adk_sqlite.transfer.export",
    "import_adk_artifacts": "adk_sqlite.transfer.artifact_import",
    "import_adk_database": "adk_sqlite.transfer.adk_import",
    "import_adk_memory": "adk_sqlite.transfer.memory_import",
    "list_folder_sessions": "adk_sqlite.tools.session_folder",
    "list_session_summaries": "adk_sqlite.tools.inspection",
    "prune_compacted_events": "adk_sqlite.tools.compaction_retention",
    "prune_idle_sessions": "adk_sqlite.tools.retention",
    "prune_old_events": "adk_sqlite.tools.retention",
    "query_session_folder": "adk_sqlite.tools.session_folder",
    "read_folder_timeline": "adk_sqlite.tools.session_folder",
    "read_timeline": "adk_sqlite.tools.timeline",
    "repair_database": "adk_sqlite.tools.database_repair",
    "resolve_session_id": "adk_sqlite.tools.session_ids",
    "run_readonly_query": "adk_sqlite.tools.readonly_query",
    "vacuum_database": "adk_sqlite.tools.retention",
}


def __getattr__(name: str) -> Any:
    """Imports a public name's module when the name is first used.

    Raises:
        ImportError: The name needs an extra that is not installed (asyncpg for
            PostgresStore and the export); the message names the ``pip install``
            command.
    """
    value: Any
    if name in _LAZY_EXPORTS:
        value = getattr(importlib.import_module(_LAZY_EXPORTS[name]), name)
    elif name in __all__:
        value = getattr(importlib.import_module("adk_sqlite.errors"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
    "prune_compacted_events",
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
__all__ += [
    "AdkSqliteError",
    "AmbiguousSessionError",
    "ArtifactTooLargeError",
    "ConfigurationError",
    "ConstraintError",
    "CorruptRecordError",
    "DatabaseError",
    "DatabaseLockedError",
    "DatabaseUnavailableError",
    "DuplicateEventError",
    "EmbeddingError",
    "EventLoopError",
    "ExportConflictError",
    "ExportError",
    "ExportVerificationError",
    "InvalidArgumentError",
    "MemoryTooLargeError",
    "QueryRefusedError",
    "ReadOnlyDatabaseError",
    "SchemaError",
    "SchemaVersionError",
    "SessionAlreadyExistsError",
    "SessionNotFoundError",
    "StaleSessionError",
    "StoreClosedError",
    "UnencodableValueError",
    "UnsafePayloadError",
]
