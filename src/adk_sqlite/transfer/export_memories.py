"""The memories of `adk_sqlite.transfer.export`: copied as stored, verified per memory.

A memories table holds one row per memory (`adk_sqlite.MemoryService`), keyed by app,
user, session id and event id, with ``{table}_sessions`` (how far each session is
indexed) and, once an embedding was stored, ``{table}_vectors``. The export reads them
from the source snapshot (`adk_sqlite.tools.memory_rows`: the vector passed through as
`MemoryRecord.vector`) and writes the ones the target lacks or holds otherwise through
the PostgreSQL store's own memory job (an upsert on the key), one transaction per
batch of about ``batch_size`` memories, with each session's watermark. The target
builds its search vector from the text as a live store does. So a second run copies
nothing, a killed run resumes, and memories added since are copied. Memories the
target holds that the source does not (deleted there, or added on the target) are left
alone; a memory the target holds otherwise is replaced by the source's, which is
where memories come from.

**Verification.** Every source memory gets a digest: SHA-256 of the event digest's
encoding (`adk_sqlite.codec.event_digest`) of its session id, event id, author,
content, search text and custom metadata (text or NULL), its timestamp (double) and its
vector (bytes or NULL, little-endian float32), in that order. The target's rows are read
back and digested alike: every memory must match, and every watermark. Per user, the
report carries the number of memories and a SHA-256 of their digests in key order.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from adk_sqlite.memory_records import MemoryRecord, MemoryWatermark
from adk_sqlite.tools.memory_rows import (
    choose_memory_table,
    memory_records,
    memory_tables_in,
    memory_watermarks,
)
from adk_sqlite.transfer.export_report import (
    ExportTableReport,
    MemoryChecksum,
    MemoryKey,
    Phase,
    SessionKey,
)
from adk_sqlite.transfer.export_source import SourceSnapshot

if TYPE_CHECKING:
    from adk_sqlite.postgres.export_target import TargetTables
    from adk_sqlite.postgres.memory_export import MemoryTarget, StoredRow

__all__ = ["MemoryExport", "memory_digest", "memory_mismatch_lines"]

_NAMED_IN_MESSAGES = 10
_pack_length = struct.Struct(">i").pack
_pack_double = struct.Struct(">d").pack


def _field(value: str | bytes | None) -> bytes:
    if value is None:
        return b"\x00"
    data = value.encode() if isinstance(value, str) else value
    return b"\x01" + _pack_length(len(data)) + data


def memory_digest(
    session_id: str,
    event_id: str,
    author: str | None,
    content: str,
    search_text: str,
    custom_metadata: str,
    timestamp: float,
    vector: bytes | None,
) -> str:
    """SHA-256 (hex) of one memory, as the module docstring defines it."""
    encoded = b"".join(
        _field(value)
        for value in (session_id, event_id, author, content, search_text, custom_metadata)
    )
    encoded += b"\x01" + _pack_double(timestamp) + _field(vector)
    return hashlib.sha256(encoded).hexdigest()


def _digest_of(key: MemoryKey, stored: StoredRow) -> str:
    author, timestamp, content, search_text, metadata, vector = stored
    return memory_digest(key[2], key[3], author, content, search_text, metadata, timestamp, vector)


def _row_of(record: MemoryRecord) -> StoredRow:
    return (
        record.author,
        record.timestamp,
        record.content,
        record.search_text,
        record.custom_metadata,
        record.vector,
    )


@dataclass(slots=True)
class MemoryExport:
    """The memories part of one export run: read, copy, verification.

    With no memories table in the source every step does nothing and the report counts
    zero memories.
    """

    snapshot: SourceSnapshot
    target_tables: TargetTables
    table: str
    """The target's memories table (the store's ``memory_table``)."""
    app_name: str | None
    notify: Callable[[Phase, int, int], None]
    wanted: str | None = None
    """The source's memories table asked for (or a SqliteStore source's own)."""
    of_store: bool = False
    source_table: str | None = None
    records: dict[MemoryKey, MemoryRecord] = field(default_factory=dict)
    digests: dict[MemoryKey, str] = field(default_factory=dict)
    watermarks: dict[SessionKey, MemoryWatermark] = field(default_factory=dict)
    copied: int = 0
    copied_watermarks: int = 0
    _target: MemoryTarget | None = None

    async def read_source(self) -> None:
        """Finds the source's memories table and reads its rows and watermarks.

        Raises:
            ConfigurationError: The table asked for is not one of the source's, or
                the source holds several and none was chosen.
        """
        where = self.snapshot.tables.describe()

        def read(connection: sqlite3.Connection) -> None:
            if self.of_store:
                found = memory_tables_in(connection)
                wanted = (self.wanted or "").lower()
                table = next((name for name in found if name.lower() == wanted), None)
            else:
                table = choose_memory_table(
                    connection,
                    self.wanted,
                    where,
                    option="--source-memory-table NAME (source_memory_table= in Python)",
                )
            self.source_table = table
            if table is None:
                return
            for row in memory_records(connection, table, app_name=self.app_name):
                record = row.memory.record
                key = (row.app_name, row.user_id, record.session_id, record.event_id)
                self.records[key] = record
                self.digests[key] = _digest_of(key, _row_of(record))
            self.watermarks = memory_watermarks(connection, table, self.app_name)

        await self.snapshot.run(read)

    async def copy(self, batch_size: int) -> None:
        """Writes what the target lacks or holds otherwise, a batch per transaction."""
        if self.source_table is None:
            return
        self._target = self.target_tables.memories(self.table)
        held = await self._target.memories(self.app_name)
        held_marks = await self._target.watermarks(self.app_name)
        wanted: dict[SessionKey, list[MemoryRecord]] = {}
        for key, digest in self.digests.items():
            if key not in held or _digest_of(key, held[key]) != digest:
                wanted.setdefault(key[:3], []).append(self.records[key])
        marks = {key: mark for key, mark in self.watermarks.items() if held_marks.get(key) != mark}
        sessions = sorted(set(wanted) | set(marks))
        total = sum(len(records) for records in wanted.values())
        self.notify("memories", 0, total)
        batch: list[tuple[SessionKey, list[MemoryRecord], MemoryWatermark | None]] = []
        size = done = 0
        for session in sessions:
            records = wanted.get(session, [])
            for start in range(0, max(len(records), 1), batch_size):
                chunk = records[start : start + batch_size]
                last = start + batch_size >= len(records)
                batch.append((session, chunk, marks.get(session) if last else None))
                size += len(chunk)
                if size >= batch_size:
                    done += await self._write(batch)
                    self.notify("memories", done, total)
                    batch, size = [], 0
        if batch:
            done += await self._write(batch)
        self.notify("memories", done, total)

    async def _write(
        self, batch: Iterable[tuple[SessionKey, list[MemoryRecord], MemoryWatermark | None]]
    ) -> int:
        assert self._target is not None
        written = 0
        async with self.target_tables.transaction():
            for (app_name, user_id, session_id), records, mark in batch:
                watermark = None if mark is None else (session_id, mark)
                if records or watermark is not None:
                    await self._target.add(app_name, user_id, records, watermark)
                written += len(records)
                self.copied_watermarks += watermark is not None
        self.copied += written
        return written

    async def verify(
        self,
    ) -> tuple[
        ExportTableReport,
        ExportTableReport,
        tuple[MemoryKey, ...],
        tuple[MemoryChecksum, ...],
    ]:
        """Compares every source memory and watermark with the target's."""
        found: dict[MemoryKey, StoredRow] = {}
        marks: dict[SessionKey, MemoryWatermark] = {}
        if self._target is not None:
            found = await self._target.memories(self.app_name)
            marks = await self._target.watermarks(self.app_name)
        mismatched = tuple(
            sorted(
                key
                for key, digest in self.digests.items()
                if key not in found or _digest_of(key, found[key]) != digest
            )
        )
        marks_verified = sum(1 for key, mark in self.watermarks.items() if marks.get(key) == mark)
        memories = ExportTableReport(
            self.table, len(self.digests), self.copied, len(self.digests) - len(mismatched)
        )
        watermarks = ExportTableReport(
            f"{self.table}_sessions", len(self.watermarks), self.copied_watermarks, marks_verified
        )
        return memories, watermarks, mismatched, self._checksums()

    def _checksums(self) -> tuple[MemoryChecksum, ...]:
        per_user: dict[tuple[str, str], list[str]] = {}
        for key in sorted(self.digests):
            per_user.setdefault(key[:2], []).append(self.digests[key])
        return tuple(
            MemoryChecksum(
                app_name,
                user_id,
                len(digests),
                hashlib.sha256(b"".join(bytes.fromhex(d) for d in digests)).hexdigest(),
            )
            for (app_name, user_id), digests in sorted(per_user.items())
        )


def memory_mismatch_lines(
    mismatched: tuple[MemoryKey, ...], watermarks: ExportTableReport
) -> list[str]:
    """The lines an `ExportVerificationError` message gives the memories that differ."""
    lines = [
        f"  memory {key!r}: its row or vector differs on the target"
        for key in mismatched[:_NAMED_IN_MESSAGES]
    ]
    if len(mismatched) > _NAMED_IN_MESSAGES:
        lines.append(f"  ... and {len(mismatched) - _NAMED_IN_MESSAGES} more memories")
    if watermarks.verified_rows != watermarks.source_rows:
        lines.append(
            f"  table {watermarks.table!r}:"
            f" {watermarks.source_rows - watermarks.verified_rows} watermark(s) differ"
        )
    return lines
