"""The errors adk-sqlite raises, in one tree.

Every error the library raises on purpose derives from `AdkSqliteError`. The
errors ADK callers already catch also derive from ADK's own classes, so code
written against ADK's built-in services keeps working unchanged::

    AdkSqliteError
    ├── ConfigurationError          (ValueError)  bad table name, owner column, URL
    ├── InvalidArgumentError        (TypeError)   an id or name that is not a string
    ├── UnencodableValueError       (ValueError)  a value with no JSON form (circular...)
    ├── SchemaError                               not an adk-sqlite database / incompatible tables
    │   └── SchemaVersionError                    written by a newer adk-sqlite: refused
    ├── StoreClosedError            (RuntimeError) the store or service was closed
    ├── EventLoopError              (RuntimeError) used from a second running event loop
    ├── SessionAlreadyExistsError   (adk AlreadyExistsError)
    ├── SessionNotFoundError        (adk SessionNotFoundError, a ValueError)
    ├── AmbiguousSessionError       (ValueError)  a bare session id names several sessions
    ├── StaleSessionError           (adk StaleSessionError, a ValueError)
    ├── DuplicateEventError         (adk AlreadyExistsError) an event id already in the session
    ├── CorruptRecordError          (ValueError)  a stored row cannot be decoded
    │   └── UnsafePayloadError                    an actions blob names a forbidden type
    ├── QueryRefusedError           (ValueError)  a read-only query tried to write or attach
    ├── ArtifactTooLargeError       (adk InputValidationError) above the service's max_artifact_size
    ├── MemoryTooLargeError         (ValueError)  a memory's text above max_memory_bytes
    ├── EmbeddingError              (ValueError)  the embedder failed or gave bad vectors
    ├── ExportError                               export_to_postgres could not finish
    │   ├── ExportConflictError                   the target changed on its own; nothing written
    │   └── ExportVerificationError               the target differs from the source after copying
    └── DatabaseError                              the database itself failed
        ├── DatabaseLockedError                   busy beyond the busy timeout
        ├── ReadOnlyDatabaseError                 the file or URL is read-only
        ├── ConstraintError                       a constraint refused a write (owner column)
        └── DatabaseUnavailableError              cannot be opened or is not a database

Driver exceptions (``sqlite3.Error``, ``asyncpg`` errors) never escape raw: each
backend maps them in exactly one place, chaining the original with ``from``.
"""

from __future__ import annotations

from google.adk.errors import StaleSessionError as _AdkStaleSessionError
from google.adk.errors.already_exists_error import AlreadyExistsError as _AdkAlreadyExistsError
from google.adk.errors.input_validation_error import (
    InputValidationError as _AdkInputValidationError,
)
from google.adk.errors.session_not_found_error import (
    SessionNotFoundError as _AdkSessionNotFoundError,
)

# No __all__ here: every class below is public, and adk_sqlite/__init__.py lists each in its
# own __all__ (literal, for type checkers, and without importing google.adk). The tests derive
# the list of errors from the classes themselves and check that every one is exported.


# What every backend says when it rejects a stale writer.
STALE_SESSION_MESSAGE = (
    "session {id!r} was modified in storage after this Session object was read"
    " (stale session): fetch it again with get_session and retry"
)


class AdkSqliteError(Exception):
    """The root of every error adk-sqlite raises on purpose."""


class ConfigurationError(AdkSqliteError, ValueError):
    """An option given to a store or service is invalid."""


class InvalidArgumentError(AdkSqliteError, TypeError):
    """An argument has the wrong type (an app name, user id or session id not a ``str``)."""


class UnencodableValueError(AdkSqliteError, ValueError):
    """A value has no faithful JSON form (circular, too deep, an unprintable int...)."""


class SchemaError(AdkSqliteError):
    """The database's tables are not ones this library can use."""


class SchemaVersionError(SchemaError):
    """The database was written by a newer schema than this library knows."""


class StoreClosedError(AdkSqliteError, RuntimeError):
    """The store (or the service over it) was used after ``close()``."""


class EventLoopError(AdkSqliteError, RuntimeError):
    """The store was used from an event loop other than the running one it belongs to.

    A store's connections and locks belong to one event loop at a time: threads that
    each run their own loop open their own store on the same database. (Once its loop
    has stopped, a store may be used from a new one, as successive ``asyncio.run``
    calls do.)
    """


class SessionAlreadyExistsError(AdkSqliteError, _AdkAlreadyExistsError):
    """A session with this (app_name, user_id, id) already exists."""


class SessionNotFoundError(AdkSqliteError, _AdkSessionNotFoundError):
    """The session does not exist (or belongs to another owner)."""


class AmbiguousSessionError(AdkSqliteError, ValueError):
    """A session id given without app and user matches sessions of several apps or users."""


class StaleSessionError(AdkSqliteError, _AdkStaleSessionError):
    """The session object missed a write made by another writer."""


class DuplicateEventError(AdkSqliteError, _AdkAlreadyExistsError):
    """The session already holds an event with this id; nothing was written."""


class CorruptRecordError(AdkSqliteError, ValueError):
    """A row read from the database cannot be decoded (invalid JSON, wrong shape)."""


class UnsafePayloadError(CorruptRecordError):
    """An actions blob is not a safe ``EventActions`` pickle; nothing in it ran.

    Raised when reading a blob that names a type outside the allowlist or is
    malformed, and when writing actions that hold a value which could not be
    loaded back safely (nothing is written then).
    """


class QueryRefusedError(AdkSqliteError, ValueError):
    """A read-only query tried to write, attach a database or change a setting; nothing ran."""


class ArtifactTooLargeError(AdkSqliteError, _AdkInputValidationError):
    """An artifact's content is larger than the service's ``max_artifact_size``."""


class MemoryTooLargeError(AdkSqliteError, ValueError):
    """A memory's text is larger than the memory service's ``max_memory_bytes``."""


class EmbeddingError(AdkSqliteError, ValueError):
    """The memory service's embedder raised, or returned vectors that cannot be used
    (wrong count, wrong dimension, not finite); nothing of that call was written."""


class ExportError(AdkSqliteError):
    """`adk_sqlite.export_to_postgres` could not finish; the message says why.

    Attributes:
        sessions: The ``(app_name, user_id, session_id)`` of every session concerned.
    """

    def __init__(self, message: str, *, sessions: tuple[tuple[str, str, str], ...] = ()) -> None:
        super().__init__(message)
        self.sessions = sessions


class ExportConflictError(ExportError):
    """A target session holds events its source lacks: it was written to on its own.

    Raised before the export writes anything, so that a conversation continued on
    the target is never overwritten with the source's older copy.
    """


class ExportVerificationError(ExportError):
    """After copying, the target's rows or a session's checksum differ from the source's.

    Attributes:
        report: The `adk_sqlite.ExportReport` of the run, listing what matched.
    """

    def __init__(
        self,
        message: str,
        *,
        sessions: tuple[tuple[str, str, str], ...] = (),
        report: object = None,
    ) -> None:
        super().__init__(message, sessions=sessions)
        self.report = report


class DatabaseError(AdkSqliteError):
    """The database failed; the original driver error is chained as ``__cause__``."""


class DatabaseLockedError(DatabaseError):
    """The database stayed locked by another writer beyond the busy timeout."""


class ReadOnlyDatabaseError(DatabaseError):
    """The database is read-only (file permissions or a ``mode=ro`` URL)."""


class ConstraintError(DatabaseError):
    """A database constraint refused the write (e.g. the owner column's NOT NULL or FK)."""


class DatabaseUnavailableError(DatabaseError):
    """The database cannot be opened, or the file is not a database."""
