"""The artifacts of `adk_sqlite.transfer.export`: copied as stored, verified per version.

An artifacts table holds one row per version (`adk_sqlite.ArtifactService`). The
export copies them the way it copies events: raw rows (the part's JSON, the bytes,
the metadata, the create time, never decoded), through a COPY into a staging table
and ``INSERT ... ON CONFLICT DO NOTHING`` on the table's unique key (scope, name,
version), one transaction per batch. A batch holds at most ``batch_size`` versions
and about `BATCH_BYTES` of content (a single larger version goes alone). So a second
run copies nothing, a killed run resumes, and versions saved since are copied.

**Conflicts.** Before anything is written (in the export's first transaction) the
target's versions are compared with the source's by (size, create time): a target
version that differs, or that the source lacks for a name the source holds, was
saved on the target, and the export stops with `ExportConflictError` rather than
mix two histories. Names the source does not hold (deleted there) are left alone.

**Verification.** Every source version is checksummed while it is read, on the
snapshot's thread: its ``size``, the SHA-256 of its bytes (None when it holds none)
and the SHA-256 of its metadata, the event digest's encoding
(`adk_sqlite.codec.event_digest`) of ``part`` (text), ``mime_type`` (text or NULL),
``custom_metadata`` (text) and ``create_time`` (double), in that order. The target
computes the same three values in SQL over its rows; every version must match.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
import struct
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from adk_sqlite.errors import ExportConflictError
from adk_sqlite.storage.store_statements import quoted
from adk_sqlite.transfer.export_report import (
    ArtifactChecksum,
    ArtifactVersionKey,
    ExportTableReport,
    Phase,
)
from adk_sqlite.transfer.export_source import SourceDatabase, SourceSnapshot, read_ahead

if TYPE_CHECKING:
    from adk_sqlite.postgres.export_target import ArtifactTarget, TargetTables

__all__ = ["BATCH_BYTES", "ArtifactExport", "metadata_digest"]

BATCH_BYTES = 32 * 1024 * 1024
"""About how many bytes of content one COPY batch (and transaction) carries."""

# (size, SHA-256 of the bytes or None, SHA-256 of the metadata), hex
ArtifactDigest = tuple[int, str | None, str]
_NAMED_IN_MESSAGES = 10

_IN_SCOPE = "(?1 IS NULL OR app_name = ?1)"
_SELECT_TABLE = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE"
_SELECT_VERSIONS = (
    "SELECT app_name, user_id, session_id, filename, version, size, create_time"
    " FROM {table} WHERE " + _IN_SCOPE
)
# The target's staging order (`adk_sqlite.postgres.export_sql.ARTIFACT_STAGING_COLUMNS`).
_SELECT_ROWS = (
    "SELECT app_name, user_id, session_id, filename, version, part, data, size, mime_type,"
    " custom_metadata, create_time FROM {table} WHERE " + _IN_SCOPE + " ORDER BY row_id"
)

_pack_length = struct.Struct(">i").pack
_pack_double = struct.Struct(">d").pack


def _text(value: str | None) -> bytes:
    if value is None:
        return b"\x00"
    data = value.encode()
    return b"\x01" + _pack_length(len(data)) + data


def metadata_digest(
    part: str, mime_type: str | None, custom_metadata: str, create_time: float
) -> str:
    """SHA-256 (hex) of a version's metadata, as the module docstring defines it."""
    encoded = (
        _text(part)
        + _text(mime_type)
        + _text(custom_metadata)
        + b"\x01"
        + _pack_double(create_time)
    )
    return hashlib.sha256(encoded).hexdigest()


def _row_digest(row: tuple[Any, ...]) -> ArtifactDigest:
    _, _, _, _, _, part, data, size, mime_type, custom_metadata, create_time = row
    data_digest = None if data is None else hashlib.sha256(data).hexdigest()
    return (size, data_digest, metadata_digest(part, mime_type, custom_metadata, create_time))


def _conflicts(
    source: Mapping[ArtifactVersionKey, tuple[int, float]],
    target: Mapping[ArtifactVersionKey, tuple[int, float]],
) -> list[ArtifactVersionKey]:
    """Target versions saved on the target: differing, or absent from a name the source has."""
    names = {key[:4] for key in source}
    return sorted(
        key
        for key, found in target.items()
        if (key in source and source[key] != found) or (key not in source and key[:4] in names)
    )


@dataclass(slots=True)
class ArtifactExport:
    """The artifacts part of one export run: conflict check, copy, verification.

    With no artifacts table in the source (``snapshot.artifact_table`` None) every
    step does nothing and the report counts zero versions.
    """

    snapshot: SourceSnapshot
    target_tables: TargetTables
    table: str
    """The target's artifacts table (the store's ``artifact_table``)."""
    app_name: str | None
    notify: Callable[[Phase, int, int], None]
    copied: int = 0
    source: dict[ArtifactVersionKey, tuple[int, float]] = field(default_factory=dict)
    held: set[ArtifactVersionKey] = field(default_factory=set)
    digests: dict[ArtifactVersionKey, ArtifactDigest] = field(default_factory=dict)
    _target: ArtifactTarget | None = None

    async def prepare(self) -> None:
        """In the export's first transaction: the target table, then the conflict check.

        Raises:
            ExportConflictError: A target version was saved on the target.
            SchemaError: The target's table of that name is not an artifacts table.
        """
        source_table = self.snapshot.artifact_table
        if source_table is None:
            return
        sql = _SELECT_VERSIONS.format(table=quoted(source_table))

        def versions(connection: sqlite3.Connection) -> list[Any]:
            if not _holds_table(connection, source_table):
                return []
            return connection.execute(sql, (self.app_name,)).fetchall()

        databases = self.snapshot.databases(self.app_name)
        async with contextlib.aclosing(databases):
            async for database in databases:
                rows = await database.run(versions)
                self.source.update({tuple(row[:5]): (row[5], row[6]) for row in rows})
        self._target = self.target_tables.artifacts(self.table)
        await self._target.prepare()
        found = await self._target.versions(self.app_name)
        conflicts = _conflicts(self.source, found)
        if conflicts:
            raise ExportConflictError(
                f"{len(conflicts)} artifact version(s) on the target differ from the source's"
                f" or are missing from it, so they were saved on the target:"
                f" {_name(conflicts)}. Nothing was written; delete those artifacts from the"
                " target (or export another app) to go on",
                sessions=tuple(sorted({key[:3] for key in conflicts})),
            )
        self.held = set(found)

    async def copy(self, batch_size: int) -> None:
        """Reads every source version once (checksumming it), copies what the target lacks."""
        if self._target is None:
            return
        total, done, buffer, size = len(self.source), 0, [], 0
        self.notify("artifacts", 0, total)
        stream = self._read(batch_size)
        async with contextlib.aclosing(stream):
            async for rows in stream:
                for row, digest in rows:
                    key = row[:5]
                    self.digests[key] = digest
                    if key not in self.held:
                        buffer.append(row)
                        size += digest[0]
                done += len(rows)
                if len(buffer) >= batch_size or size >= BATCH_BYTES:
                    await self._insert(buffer)
                    buffer, size = [], 0
                if not buffer:
                    self.notify("artifacts", done, total)
        if buffer:
            await self._insert(buffer)
        self.notify("artifacts", done, total)

    async def _insert(self, rows: list[tuple[Any, ...]]) -> None:
        assert self._target is not None
        async with self.target_tables.transaction():
            self.copied += await self._target.insert(rows)

    async def _read(
        self, batch_size: int
    ) -> AsyncGenerator[list[tuple[tuple[Any, ...], ArtifactDigest]], None]:
        """Source rows with their digests, database by database in row order, read ahead."""
        table = self.snapshot.artifact_table
        assert table is not None
        databases = self.snapshot.databases(self.app_name)
        async with contextlib.aclosing(databases):
            async for database in databases:
                rows = _read_rows(database, table, self.app_name, batch_size)
                async with contextlib.aclosing(rows):
                    async for batch in rows:
                        yield batch

    async def verify(
        self,
    ) -> tuple[ExportTableReport, tuple[ArtifactVersionKey, ...], tuple[ArtifactChecksum, ...]]:
        """Compares each source version with the target's: table report, mismatches, checksums."""
        found = {} if self._target is None else await self._target.digests(self.app_name)
        mismatched = tuple(sorted(key for key, d in self.digests.items() if found.get(key) != d))
        report = ExportTableReport(
            self.table, len(self.digests), self.copied, len(self.digests) - len(mismatched)
        )
        checksums = tuple(
            ArtifactChecksum(*key, *self.digests[key]) for key in sorted(self.digests)
        )
        return report, mismatched, checksums


def _holds_table(connection: sqlite3.Connection, table: str) -> bool:
    """Whether the database holds ``table`` (a folder's session file may hold none)."""
    found = connection.execute(_SELECT_TABLE, (table,)).fetchone()
    return found is not None


async def _read_rows(
    database: SourceDatabase, table: str, app_name: str | None, batch_size: int
) -> AsyncGenerator[list[tuple[tuple[Any, ...], ArtifactDigest]], None]:
    """One database's rows with their digests, in row order, a batch at a time."""
    sql = _SELECT_ROWS.format(table=quoted(table))

    def start(connection: sqlite3.Connection) -> sqlite3.Cursor | None:
        if not _holds_table(connection, table):
            return None
        return connection.execute(sql, (app_name,))

    cursor = await database.run(start)
    if cursor is None:
        return

    def step(_: sqlite3.Connection) -> list[tuple[tuple[Any, ...], ArtifactDigest]]:
        assert cursor is not None
        rows: list[tuple[tuple[Any, ...], ArtifactDigest]] = []
        size = 0
        while len(rows) < batch_size and size < BATCH_BYTES:
            row = cursor.fetchone()
            if row is None:
                break
            digest = _row_digest(row)
            rows.append((row, digest))
            size += digest[0]
        return rows

    batches = read_ahead(lambda: database.run(step), finished=_empty)
    async with contextlib.aclosing(batches):
        async for batch in batches:
            yield batch


def _empty(rows: list[Any]) -> bool:
    return not rows


def mismatch_lines(mismatched: tuple[ArtifactVersionKey, ...]) -> list[str]:
    """The lines an `ExportVerificationError` message gives the artifact versions that differ."""
    lines = [
        f"  artifact {key[:4]!r} version {key[4]}: its bytes or metadata differ on the target"
        for key in mismatched[:_NAMED_IN_MESSAGES]
    ]
    if len(mismatched) > _NAMED_IN_MESSAGES:
        lines.append(f"  ... and {len(mismatched) - _NAMED_IN_MESSAGES} more artifact version(s)")
    return lines


def _name(keys: list[ArtifactVersionKey]) -> str:
    named = ", ".join(f"{key[:4]!r} version {key[4]}" for key in keys[:_NAMED_IN_MESSAGES])
    more = len(keys) - _NAMED_IN_MESSAGES
    return named + (f" and {more} more" if more > 0 else "")
