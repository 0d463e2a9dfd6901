"""The artifact jobs of `PostgresStore`: coroutines of one pooled asyncpg connection.

Version numbers. A save takes a transaction-scoped advisory lock on its name
(``pg_advisory_xact_lock`` on a hash of the table, the scope and the name), then
inserts ``max(version) + 1`` in a second statement. At READ COMMITTED that
statement's snapshot is taken after the lock is granted, so it sees the version the
previous holder committed; the lock goes with the commit, the rollback or the
connection. Saves of one name, from any pool or process, queue on the server and get
n, n + 1, ...; saves of other names never wait on each other (two keys whose 64-bit
hashes collide only wait, they never get a wrong number). The unique key stays as
the backstop.

Retrying an optimistic insert on a unique violation was the alternative, and it is
worse here: every retry sends the whole payload again (up to hundreds of MB), the
failed INSERT aborts the transaction, and N concurrent saves of one name cost O(N²)
attempts with no bound on any one save. The lock costs one round trip per save.

A delete takes the same lock, so a delete and a save of one name are ordered: once a
delete commits, the next save is version 0 and no save commits a version the delete
did not see.

The table is created on a store's first save (``CREATE TABLE IF NOT EXISTS``, under
the migrations' advisory lock because concurrent creations can fail on the catalog),
in a short transaction of its own; until a store has seen the table, each read checks
with ``to_regclass`` and a missing table reads as empty.

Bytes up to `PIECE_SIZE` go to asyncpg as one ``bytea`` parameter and come back as one
column value. Longer ones travel in pieces of that size, in the save's transaction: each
piece is a view of the caller's bytes (never copied here), so the loop gets a turn between
pieces and asyncpg holds one piece at a time. A load appends the pieces, `PIECES_PER_READ`
per query, to one growing buffer whose bytes become the result without a second copy.

A table created before pieces existed gets its pieces table the first time a store
touches it (under the migrations' lock, as a creation).

The bytes columns are compressed with lz4 where the server has it (`use_lz4`): a store
sets it when it creates the tables, and on tables of earlier releases the first time it
touches them. A column an administrator set to another method is left as it is.
"""

from __future__ import annotations

import io
import logging

import asyncpg

from adk_sqlite.artifact_records import (
    ArtifactKey,
    ArtifactPayload,
    ArtifactVersionRecord,
    StoredArtifact,
    stored_artifact,
    version_record,
)
from adk_sqlite.postgres import sql
from adk_sqlite.postgres.artifact_sql import (
    COMPRESSION_SINCE_VERSION,
    PIECE_SIZE,
    PIECES_PER_READ,
    SELECT_DEFAULT_COMPRESSION,
    TABLE_EXISTS,
    ArtifactStatements,
    pieces_table,
)
from adk_sqlite.postgres.jobs import _refuse_nul
from adk_sqlite.storage.artifact_statements import keys_parameters

__all__ = [
    "ArtifactTable",
    "delete_artifact",
    "list_artifact_keys",
    "list_artifact_versions",
    "load_artifact",
    "save_artifact",
    "use_lz4",
]

_logger = logging.getLogger("adk_sqlite.postgres")

# The versions an INTEGER column holds; a load asking for another finds nothing.
_INT4_MIN, _INT4_MAX = -(2**31), 2**31 - 1

KeyParams = tuple[str, str, str, bytes]


class ArtifactTable:
    """One store's artifacts table: its statements, and whether the store has seen it.

    adk-sqlite never drops the table, so once seen it is not looked for again.
    """

    __slots__ = ("seen", "statements")

    def __init__(self, statements: ArtifactStatements) -> None:
        self.statements = statements
        self.seen = False


def _name_bytes(filename: str) -> bytes:
    # surrogatepass: any Python string is a name ADK accepts, and comes back exactly.
    return filename.encode("utf-8", "surrogatepass")


def _name_text(stored: bytes) -> str:
    return stored.decode("utf-8", "surrogatepass")


def _key_params(key: ArtifactKey) -> KeyParams:
    return (key.app_name, key.user_id, key.session_id, _name_bytes(key.filename))


def _storable_ids(*ids: str) -> bool:
    """False when an id holds a NUL, which no stored row can (see `save_artifact`)."""
    return not any("\x00" in value for value in ids)


async def _has_table(connection: asyncpg.Connection, table: ArtifactTable) -> bool:
    if table.seen:
        return True
    name = table.statements.table
    if await connection.fetchval(TABLE_EXISTS, pieces_table(name)):
        if await _columns_to_compress(connection, table.statements):  # made before lz4
            async with connection.transaction():
                await connection.execute(sql.LOCK_MIGRATIONS, sql.MIGRATION_LOCK_KEY)
                await use_lz4(connection, table.statements)
        table.seen = True
    elif await connection.fetchval(TABLE_EXISTS, name):
        await _create_tables(connection, table)  # made before pieces existed
    return table.seen


async def _create_tables(connection: asyncpg.Connection, table: ArtifactTable) -> None:
    async with connection.transaction():
        await connection.execute(sql.LOCK_MIGRATIONS, sql.MIGRATION_LOCK_KEY)
        await connection.execute(table.statements.create_table)
        await connection.execute(table.statements.create_pieces)
        await use_lz4(connection, table.statements)
    table.seen = True


async def _columns_to_compress(
    connection: asyncpg.Connection, statements: ArtifactStatements
) -> set[str]:
    """The tables (of the artifacts table and its pieces) whose bytes use the default method."""
    if connection.get_server_version().major < COMPRESSION_SINCE_VERSION:
        return set()
    name = statements.table
    rows = await connection.fetch(SELECT_DEFAULT_COMPRESSION, name, pieces_table(name))
    return {row[0] for row in rows}


async def use_lz4(connection: asyncpg.Connection, statements: ArtifactStatements) -> None:
    """Compresses the artifacts' bytes with lz4 where the server can and nobody chose otherwise.

    Call it in a transaction that holds the migrations' lock, after the tables exist.
    New values are compressed with lz4; stored ones stay as they are until rewritten.
    A role that does not own a table (an application role with rights to read and
    write rows only) cannot change it: the table keeps its method, and a store works
    with it as before.
    """
    name = statements.table
    found = await _columns_to_compress(connection, statements)
    for table, statement in (
        (name, statements.use_lz4),
        (pieces_table(name), statements.use_lz4_in_pieces),
    ):
        if table not in found:
            continue
        try:
            async with connection.transaction():  # a savepoint: a refusal undoes only this
                await connection.execute(statement)
        except asyncpg.InsufficientPrivilegeError:
            _logger.info(
                "table %r keeps the server's default compression for its bytes: this role"
                " does not own it (its owner can run: %s)",
                table,
                statement,
            )
        else:
            _logger.info("table %r: its bytes are compressed with lz4 from now on", table)


async def _ensure_table(connection: asyncpg.Connection, table: ArtifactTable) -> None:
    if not await _has_table(connection, table):
        await _create_tables(connection, table)


async def save_artifact(
    connection: asyncpg.Connection,
    table: ArtifactTable,
    key: ArtifactKey,
    payload: ArtifactPayload,
) -> int:
    """Writes the next version of ``key`` in one transaction; returns its number.

    Raises:
        UnencodableValueError: An id or the mime type holds a NUL character.
    """
    _refuse_nul(
        f"artifact {key.filename!r}",
        app_name=key.app_name,
        user_id=key.user_id,
        session_id=key.session_id,
        mime_type=payload.mime_type,
    )
    await _ensure_table(connection, table)
    statements = table.statements
    params = _key_params(key)
    data = payload.data
    in_pieces = data is not None and len(data) > PIECE_SIZE
    async with connection.transaction():
        await connection.execute(statements.lock_name, statements.table, *params)
        version, row_id = await connection.fetchrow(
            statements.insert,
            *params,
            payload.part,
            None if in_pieces else data,
            payload.size,
            payload.mime_type,
            payload.custom_metadata,
            payload.create_time,
        )
        if in_pieces:
            assert data is not None
            view = memoryview(data)
            for seq, start in enumerate(range(0, len(view), PIECE_SIZE)):
                piece = view[start : start + PIECE_SIZE]
                await connection.execute(statements.insert_piece, row_id, seq, piece)
    return int(version)


async def _read_pieces(
    connection: asyncpg.Connection, statements: ArtifactStatements, row_id: int
) -> bytes:
    buffer = io.BytesIO()
    seq = 0
    while True:
        rows = await connection.fetch(statements.select_pieces, row_id, seq, PIECES_PER_READ)
        for row in rows:
            buffer.write(row[0])
        seq += len(rows)
        if len(rows) < PIECES_PER_READ:
            break
    # A BytesIO written to the end hands over its own bytes: no second copy of them.
    return buffer.getvalue()


async def load_artifact(
    connection: asyncpg.Connection,
    table: ArtifactTable,
    key: ArtifactKey,
    version: int | None,
) -> StoredArtifact | None:
    """Reads one version (the newest when ``version`` is None) in one statement, or None."""
    if not _storable_ids(key.app_name, key.user_id, key.session_id):
        return None
    if version is not None and not _INT4_MIN <= version <= _INT4_MAX:
        return None
    if not await _has_table(connection, table):
        return None
    statements = table.statements
    params = _key_params(key)
    if version is None:
        row = await connection.fetchrow(statements.select_latest, *params)
    else:
        row = await connection.fetchrow(statements.select_version, *params, version)
    if row is None:
        return None
    *columns, part, data, row_id, in_pieces = row
    if in_pieces:
        # The row again and its pieces in one snapshot: a delete committing between the
        # first read and the pieces cannot leave a version without its bytes.
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            row = await connection.fetchrow(statements.select_version, *params, columns[0])
            if row is None:
                return None
            *columns, part, _, row_id, _ = row
            data = await _read_pieces(connection, statements, row_id)
    return stored_artifact(columns, part, data)


async def list_artifact_keys(
    connection: asyncpg.Connection,
    table: ArtifactTable,
    app_name: str,
    user_id: str,
    session_id: str | None,
) -> list[str]:
    """The user's user-scoped names and, with ``session_id``, the session's names."""
    parameters = keys_parameters(app_name, user_id, session_id)
    if not _storable_ids(*parameters) or not await _has_table(connection, table):
        return []
    rows = await connection.fetch(table.statements.select_keys, *parameters)
    return [_name_text(row[0]) for row in rows]


async def list_artifact_versions(
    connection: asyncpg.Connection, table: ArtifactTable, key: ArtifactKey
) -> list[ArtifactVersionRecord]:
    """Every version's metadata, oldest first."""
    if not _storable_ids(key.app_name, key.user_id, key.session_id):
        return []
    if not await _has_table(connection, table):
        return []
    rows = await connection.fetch(table.statements.select_versions, *_key_params(key))
    return [version_record(row) for row in rows]


async def delete_artifact(
    connection: asyncpg.Connection, table: ArtifactTable, key: ArtifactKey
) -> int:
    """Removes every version of ``key`` under the name's lock; returns how many went."""
    if not _storable_ids(key.app_name, key.user_id, key.session_id):
        return 0
    if not await _has_table(connection, table):
        return 0
    statements = table.statements
    params = _key_params(key)
    async with connection.transaction():
        await connection.execute(statements.lock_name, statements.table, *params)
        deleted = await connection.fetchval(statements.delete, *params)
    return int(deleted)


async def delete_session_artifacts(
    connection: asyncpg.Connection, table: ArtifactTable, key: tuple[str, str, str]
) -> None:
    """Removes a session's session-scoped artifacts, in the caller's transaction."""
    if _storable_ids(*key) and await _has_table(connection, table):
        await connection.execute(table.statements.delete_of_session, *key)
