"""The public surface is deliberate: a change to it must change this test."""

from __future__ import annotations

import subprocess
import sys

import adk_sqlite
from adk_sqlite import errors

EXPECTED_EXPORTS = {
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
}


def test_exported_names_are_exactly_the_public_api() -> None:
    assert set(adk_sqlite.__all__) == EXPECTED_EXPORTS
    for name in adk_sqlite.__all__:
        assert hasattr(adk_sqlite, name), name


def test_every_public_error_derives_from_the_root() -> None:
    for name in errors.__all__:
        error = getattr(errors, name)
        assert issubclass(error, errors.AdkSqliteError), name


def test_sqlite_store_satisfies_the_store_protocol() -> None:
    assert isinstance(adk_sqlite.SqliteStore(":memory:"), adk_sqlite.BaseAsyncStore)


def test_importing_the_package_pulls_in_no_optional_dependency() -> None:
    code = (
        "import sys, adk_sqlite\n"
        "loaded = {'asyncpg', 'adk_sqlite.postgres', 'adk_sqlite.cli'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
