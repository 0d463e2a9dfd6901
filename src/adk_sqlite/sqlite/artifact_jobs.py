"""The artifact jobs of both SQLite layouts: plain functions of a ``sqlite3.Connection``.

A save runs inside the caller's write transaction (the shared file's group commit, or a
session file's or the catalog's own transaction), so the version number it takes with
``max(version) + 1`` and the row it writes are one atomic step, and the table's unique
key refuses a duplicate number from any other connection.

Bytes up to `STREAM_THRESHOLD` are bound as one value; larger ones are written into a
``zeroblob`` in `CHUNK` pieces with SQLite's incremental blob I/O, and every load reads
the bytes with that I/O straight into one ``bytes`` object, so neither direction holds a
second whole copy inside SQLite. Reads run in one read transaction: a version seen by
its metadata query is still there when its bytes are read.
"""

from __future__ import annotations

import sqlite3

from adk_sqlite.artifact_records import (
    ArtifactKey,
    ArtifactPayload,
    ArtifactVersionRecord,
    StoredArtifact,
    stored_artifact,
    version_record,
)
from adk_sqlite.sqlite.read_transaction import in_read_transaction
from adk_sqlite.sqlite.schema.artifact_sql import ArtifactStatements
from adk_sqlite.storage.artifact_statements import keys_parameters

__all__ = [
    "CHECKPOINT_AFTER_BYTES",
    "CHUNK",
    "OFF_LOOP_ABOVE",
    "STREAM_THRESHOLD",
    "TOO_LARGE_HERE",
    "TooLargeHere",
    "create_artifact_table",
    "delete_artifact",
    "delete_session_artifacts",
    "has_artifact_table",
    "list_artifact_keys",
    "list_artifact_versions",
    "load_artifact",
    "read_artifact",
    "save_artifact",
]

STREAM_THRESHOLD = 1 << 20
CHUNK = 1 << 20
# Saves and loads of more bytes than this leave the event loop's thread: a commit of a
# 1 MiB version takes 2-3 ms of SQLite's own WAL writing (256 pages, two writes each).
OFF_LOOP_ABOVE = 256 << 10
# Large versions written since the last WAL checkpoint that make a store ask for one,
# whatever the commit count (a stream of large saves would otherwise grow the WAL by
# the full size of 200 commits before the first checkpoint).
CHECKPOINT_AFTER_BYTES = 32 << 20

_TABLE_EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"


def _key_params(key: ArtifactKey) -> tuple[str, str, str, str]:
    return (key.app_name, key.user_id, key.session_id, key.filename)


def _metadata(payload: ArtifactPayload) -> tuple[int, str | None, str, float]:
    return (payload.size, payload.mime_type, payload.custom_metadata, payload.create_time)


def has_artifact_table(connection: sqlite3.Connection, statements: ArtifactStatements) -> bool:
    """Whether the artifacts table exists (it is created by the first save)."""
    return connection.execute(_TABLE_EXISTS, (statements.table,)).fetchone() is not None


def create_artifact_table(connection: sqlite3.Connection, statements: ArtifactStatements) -> None:
    """Creates the artifacts table if it is missing (inside the caller's transaction)."""
    connection.execute(statements.create_table)


def save_artifact(
    connection: sqlite3.Connection,
    statements: ArtifactStatements,
    key: ArtifactKey,
    payload: ArtifactPayload,
) -> int:
    """Writes the next version of ``key``; returns its number."""
    create_artifact_table(connection, statements)
    data = payload.data
    # The version, then the row (see artifact_sql's _INSERT): the write transaction
    # makes the statements one step.
    (version,) = connection.execute(statements.next_version, _key_params(key)).fetchone()
    if data is None or len(data) <= STREAM_THRESHOLD:
        connection.execute(
            statements.insert,
            (*_key_params(key), version, payload.part, *_metadata(payload), data),
        )
        return int(version)
    # Large: a zeroblob of the right length, then the bytes in pieces (no whole copy
    # inside SQLite).
    (row_id,) = connection.execute(
        statements.insert_zeroblob,
        (*_key_params(key), version, payload.part, *_metadata(payload), len(data)),
    ).fetchone()
    view = memoryview(data)
    with connection.blobopen(statements.table, "data", row_id) as blob:
        for start in range(0, len(data), CHUNK):
            blob.write(view[start : start + CHUNK])
    return int(version)


class TooLargeHere:
    """What `read_artifact` returns instead of bytes larger than its ``largest`` allows."""


TOO_LARGE_HERE = TooLargeHere()


def read_artifact(
    connection: sqlite3.Connection,
    statements: ArtifactStatements,
    key: ArtifactKey,
    version: int | None,
    largest: int | None = None,
) -> StoredArtifact | TooLargeHere | None:
    """Reads one version (the newest when ``version`` is None), or None, inside the
    caller's transaction.

    With ``largest``, a version whose bytes are larger is not read: `TOO_LARGE_HERE`
    says so, and the caller reads it again where a long copy blocks nobody.
    """
    if not has_artifact_table(connection, statements):
        return None
    if version is None:
        row = connection.execute(statements.select_latest, _key_params(key)).fetchone()
    else:
        row = connection.execute(statements.select_version, (*_key_params(key), version)).fetchone()
    if row is None:
        return None
    row_id, *columns, part, has_data = row
    size = columns[-1]
    data: bytes | None = None
    if has_data:
        if largest is not None and size > largest:
            return TOO_LARGE_HERE
        data = _read_data(connection, statements, row_id)
    return stored_artifact(columns, part, data)


load_artifact = in_read_transaction(read_artifact)
"""`read_artifact` in a read transaction of its own: a version seen by its metadata
query is still there when its bytes are read."""


def _read_data(
    connection: sqlite3.Connection, statements: ArtifactStatements, row_id: int
) -> bytes:
    # One read straight into a new bytes object: no copy inside SQLite first.
    with connection.blobopen(statements.table, "data", row_id, readonly=True) as blob:
        return blob.read()


def list_artifact_keys(
    connection: sqlite3.Connection,
    statements: ArtifactStatements,
    app_name: str,
    user_id: str,
    session_id: str | None,
) -> list[str]:
    """The user's user-scoped names and, with ``session_id``, the session's names."""
    if not has_artifact_table(connection, statements):
        return []
    rows = connection.execute(
        statements.select_keys, keys_parameters(app_name, user_id, session_id)
    )
    return [name for (name,) in rows]


def list_artifact_versions(
    connection: sqlite3.Connection, statements: ArtifactStatements, key: ArtifactKey
) -> list[ArtifactVersionRecord]:
    """Every version's metadata, oldest first."""
    if not has_artifact_table(connection, statements):
        return []
    rows = connection.execute(statements.select_versions, _key_params(key))
    return [version_record(row) for row in rows]


def delete_artifact(
    connection: sqlite3.Connection, statements: ArtifactStatements, key: ArtifactKey
) -> int:
    """Removes every version of ``key``; returns how many rows went."""
    if not has_artifact_table(connection, statements):
        return 0
    return connection.execute(statements.delete, _key_params(key)).rowcount


def delete_session_artifacts(
    connection: sqlite3.Connection, statements: ArtifactStatements, key: tuple[str, str, str]
) -> int:
    """Removes every version of a session's session-scoped artifacts (in the caller's
    write transaction); its user's ``user:`` artifacts stay. Returns the rows removed."""
    if not has_artifact_table(connection, statements):
        return 0
    return connection.execute(statements.delete_of_session, key).rowcount
