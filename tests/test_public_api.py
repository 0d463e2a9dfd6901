"""The public surface is deliberate: a change to it must change this test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import adk_sqlite
from adk_sqlite import errors

EXPECTED_EXPORTS = {
    "AdkSqliteError",
    "AmbiguousSessionError",
    "ArtifactImportReport",
    "ArtifactService",
    "ArtifactStore",
    "ArtifactTooLargeError",
    "AppendResult",
    "BaseAsyncStore",
    "ConfigurationError",
    "ConstraintError",
    "CorruptRecordError",
    "DatabaseError",
    "DatabaseLockedError",
    "DatabaseUnavailableError",
    "DuplicateEventError",
    "EmbeddingError",
    "EventLoopError",
    "InvalidArgumentError",
    "EventQuery",
    "EventRecord",
    "ExportConflictError",
    "ExportError",
    "ExportProgress",
    "ExportReport",
    "ExportTableReport",
    "ExportVerificationError",
    "Instant",
    "MemoryImportReport",
    "MemoryService",
    "MemoryStore",
    "MemoryTooLargeError",
    "PerSessionSqliteStore",
    "PostgresStore",
    "QueryRefusedError",
    "ReadOnlyDatabaseError",
    "SchemaError",
    "SchemaVersionError",
    "SessionAlreadyExistsError",
    "SessionChecksum",
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
    "UnencodableValueError",
    "UnsafePayloadError",
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
}


def test_exported_names_are_exactly_the_public_api() -> None:
    assert set(adk_sqlite.__all__) == EXPECTED_EXPORTS
    for name in adk_sqlite.__all__:
        assert hasattr(adk_sqlite, name), name


# Every exception class errors.py defines, derived from the module itself.
ERROR_NAMES = sorted(
    name
    for name, value in vars(errors).items()
    if not name.startswith("_") and isinstance(value, type) and issubclass(value, BaseException)
)


def test_every_error_of_the_error_tree_is_exported() -> None:
    assert len(ERROR_NAMES) > 20
    assert set(ERROR_NAMES) <= set(adk_sqlite.__all__)
    for name in ERROR_NAMES:
        assert getattr(adk_sqlite, name) is getattr(errors, name), name


def test_every_public_error_derives_from_the_root() -> None:
    for name in ERROR_NAMES:
        error = getattr(errors, name)
        assert issubclass(error, errors.AdkSqliteError), name


def test_sqlite_store_satisfies_the_store_protocol() -> None:
    assert isinstance(adk_sqlite.SqliteStore(":memory:"), adk_sqlite.BaseAsyncStore)


def test_the_per_session_layout_satisfies_the_store_protocol(tmp_path: Path) -> None:
    store = adk_sqlite.SqliteStore.per_session_files(tmp_path / "sessions")
    assert isinstance(store, adk_sqlite.PerSessionSqliteStore)
    assert isinstance(store, adk_sqlite.BaseAsyncStore)


def test_postgres_store_satisfies_the_store_protocol() -> None:
    store = adk_sqlite.PostgresStore("postgresql://nobody@127.0.0.1:1/none")
    assert isinstance(store, adk_sqlite.BaseAsyncStore)


def test_lazy_names_are_listed_by_dir() -> None:
    assert {"PostgresStore", "export_to_postgres", "ExportReport"} <= set(dir(adk_sqlite))


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = adk_sqlite.no_such_name  # type: ignore[attr-defined]


def test_importing_the_package_pulls_in_no_optional_dependency() -> None:
    code = (
        "import sys, adk_sqlite\n"
        "loaded = {'asyncpg', 'adk_sqlite.postgres', 'adk_sqlite.cli'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# Makes ``import asyncpg`` fail, as on an installation without the postgres extra.
_WITHOUT_ASYNCPG = (
    "import sys\n"
    "class _Blocker:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'asyncpg' or name.startswith('asyncpg.'):\n"
    "            raise ImportError('blocked for the test: ' + name)\n"
    "sys.meta_path.insert(0, _Blocker())\n"
)


def _run_without_asyncpg(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_ASYNCPG + code],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_package_imports_and_works_without_asyncpg() -> None:
    result = _run_without_asyncpg(
        "import asyncio, adk_sqlite\n"
        "async def main():\n"
        "    async with adk_sqlite.SessionService(adk_sqlite.SqliteStore(':memory:')) as s:\n"
        "        await s.create_session(app_name='a', user_id='u')\n"
        "asyncio.run(main())\n"
        "print(adk_sqlite.ExportReport.__name__)\n"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ExportReport"


@pytest.mark.parametrize(
    "statement",
    [
        "from adk_sqlite import PostgresStore",
        "import adk_sqlite; adk_sqlite.PostgresStore",
        "import adk_sqlite.postgres",
    ],
)
def test_postgres_store_without_asyncpg_names_the_pip_command(statement: str) -> None:
    result = _run_without_asyncpg(statement)

    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert 'pip install "adk-sqlite[postgres]"' in result.stderr


def test_export_without_asyncpg_names_the_pip_command() -> None:
    result = _run_without_asyncpg(
        "import asyncio, adk_sqlite\n"
        "asyncio.run(adk_sqlite.export_to_postgres('x.db', 'postgresql://u@h/d'))\n"
    )

    assert result.returncode != 0
    assert 'pip install "adk-sqlite[postgres]"' in result.stderr
