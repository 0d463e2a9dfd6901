"""adk-sqlite: a fast, exact, persistent session store for Google's ADK.

Quick start::

    from google.adk.runners import Runner
    from adk_sqlite import SessionService, SqliteStore

    service = SessionService(SqliteStore("./sessions.db"))
    runner = Runner(agent=agent, app_name="support", session_service=service)
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .errors import (
    AdkSqliteError,
    ConfigurationError,
    ConstraintError,
    CorruptRecordError,
    DatabaseError,
    DatabaseLockedError,
    DatabaseUnavailableError,
    DuplicateEventError,
    ReadOnlyDatabaseError,
    SchemaError,
    SchemaVersionError,
    SessionAlreadyExistsError,
    SessionNotFoundError,
    StaleSessionError,
    StoreClosedError,
    UnsafePayloadError,
)
from .records import (
    AppendResult,
    EventQuery,
    EventRecord,
    SessionListing,
    SessionRecord,
    SessionSnapshot,
    StaleCheck,
    StateDelta,
)
from .service import SessionService
from .sqlite import SqliteStore
from .store import BaseAsyncStore

try:
    __version__ = version("adk-sqlite")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "AdkSqliteError",
    "AppendResult",
    "BaseAsyncStore",
    "ConfigurationError",
    "ConstraintError",
    "CorruptRecordError",
    "DatabaseError",
    "DatabaseLockedError",
    "DatabaseUnavailableError",
    "DuplicateEventError",
    "EventQuery",
    "EventRecord",
    "ReadOnlyDatabaseError",
    "SchemaError",
    "SchemaVersionError",
    "SessionAlreadyExistsError",
    "SessionListing",
    "SessionNotFoundError",
    "SessionRecord",
    "SessionService",
    "SessionSnapshot",
    "SqliteStore",
    "StaleCheck",
    "StaleSessionError",
    "StateDelta",
    "StoreClosedError",
    "UnsafePayloadError",
    "__version__",
]
