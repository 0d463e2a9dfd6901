"""`export_to_postgres`: copy an adk-sqlite SQLite database into PostgreSQL, verified.

The export copies raw rows (no event is decoded and re-encoded), so the
target holds every byte the source held, and ``SessionService(PostgresStore(...))``
returns exactly what ``SessionService(SqliteStore(...))`` returned.

How a run goes:

1. **sessions**: the source is opened read-only, in one read transaction (a
   live writer is never blocked). In one target transaction the tables are
   created or migrated, the target's per-session event counts are read, new
   sessions are inserted and the ``app:`` and ``user:`` state rows written. A
   session whose target copy holds more events than its source was written to
   on the target: the run stops with `ExportConflictError` and this
   transaction, the only one so far, rolls back. Refused rows (an owner id the
   owner column rejects) roll it back as well.
2. **events**: every source event is read once, in append order, and added
   to its session's checksum (`adk_sqlite.codec.event_digest`); the ones the target
   lacks are COPYed, one transaction per batch, through a staging table with
   ``ON CONFLICT DO NOTHING``. A killed run leaves whole batches, which hold
   a prefix (in append order) of each session: the next run skips what the
   target holds, and no row is ever stored twice.
3. **verify**: sessions whose events now match get their row (state, update
   time, revision) brought up to date; then every session row, state row and
   checksum of the exported scope is compared with the source. A difference is
   an `ExportVerificationError` naming the sessions.

Artifacts (`adk_sqlite.transfer.export_artifacts`) go along: their table is created
and their conflict check made in the first transaction, their versions copied after
the events, one transaction per batch, and each version verified with the rest.
Memories (`adk_sqlite.transfer.export_memories`) too: read from the snapshot before
anything is written, copied after the artifacts through the PostgreSQL store's memory
job (keyed by app, user, session and event id, so nothing is stored twice), with each
session's watermark and vector, and each memory verified by its digest.

The source may also be a one-file-per-session folder (`SqliteStore.per_session_files`):
`adk_sqlite.transfer.export_folder` reads its catalog and session files behind the same
phases, into the same tables, verified the same way; its live sessions are exported,
not the archived ones (the report counts those).

Only PostgreSQL needs the ``postgres`` extra; this module imports asyncpg when
`export_to_postgres` runs, so its report types import without it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from adk_sqlite.errors import ConfigurationError, ExportConflictError, ExportVerificationError
from adk_sqlite.transfer.export_artifacts import ArtifactExport, mismatch_lines
from adk_sqlite.transfer.export_folder import FolderSnapshot
from adk_sqlite.transfer.export_memories import MemoryExport, memory_mismatch_lines
from adk_sqlite.transfer.export_report import (
    ArtifactChecksum,
    ExportProgress,
    ExportReport,
    ExportTableReport,
    MemoryChecksum,
    Phase,
    SessionChecksum,
    SessionKey,
)
from adk_sqlite.transfer.export_source import (
    EMPTY_DIGEST,
    SourceSnapshot,
    SourceTables,
    source_tables,
)
from adk_sqlite.transfer.export_target_store import TargetOptions, target_store

if TYPE_CHECKING:
    from adk_sqlite.postgres import PostgresStore
    from adk_sqlite.postgres.export_target import TargetTables
    from adk_sqlite.sqlite import PerSessionSqliteStore, SqliteStore

__all__ = [
    "ArtifactChecksum",
    "ExportProgress",
    "ExportReport",
    "ExportTableReport",
    "MemoryChecksum",
    "SessionChecksum",
    "TargetOptions",
    "export_to_postgres",
]

_logger = logging.getLogger("adk_sqlite.transfer")

ProgressCallback = Callable[[ExportProgress], object]
_NAMED_IN_MESSAGES = 10


@dataclass(slots=True)
class _Source:
    """Everything read from the source snapshot except the events themselves."""

    sessions: dict[SessionKey, tuple[Any, ...]]
    app_states: dict[str, tuple[str, float]]
    user_states: dict[tuple[str, str], tuple[str, float]]
    counts: dict[SessionKey, int]
    digests: dict[SessionKey, tuple[int, str]] = field(default_factory=dict)
    """Filled by the events phase, which reads every event."""

    def digest(self, key: SessionKey) -> tuple[int, str]:
        return self.digests.get(key, (0, EMPTY_DIGEST))


@dataclass(slots=True)
class _Counts:
    sessions: int = 0
    events: int = 0
    app_states: int = 0
    user_states: int = 0


class _Progress:
    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback

    def __call__(self, phase: Phase, done: int, total: int) -> None:
        if self._callback is not None:
            self._callback(ExportProgress(phase, done, total))


async def export_to_postgres(
    source: str | os.PathLike[str] | SqliteStore | PerSessionSqliteStore,
    target: str | PostgresStore,
    *,
    app_name: str | None = None,
    batch_size: int = 10_000,
    progress: ProgressCallback | None = None,
    busy_timeout: float = 5.0,
    table_set: str | None = None,
    source_artifact_table: str | None = None,
    target_options: TargetOptions | None = None,
    source_memory_table: str | None = None,
) -> ExportReport:
    """Copies sessions, events, ``app:``/``user:`` state, artifacts and memories into PostgreSQL.

    Safe to run again at any time: it is idempotent (each row is stored once),
    resumable (a killed run continues where its last batch committed) and
    incremental (rows written to the source since the last run are copied).

    Args:
        source: The SQLite database: a path (or ``sqlite:///`` URL) of a file
            with the default table names, or a `adk_sqlite.SqliteStore`, whose
            table names are used; or a one-file-per-session folder (its path, or
            the `PerSessionSqliteStore` of ``SqliteStore.per_session_files``), with
            the table names its catalog recorded: its live sessions are exported,
            not the archived ones (`adk_sqlite.transfer.export_folder`).
        target: A ``postgresql://`` URL (default table names; the store is
            closed afterwards) or a `adk_sqlite.PostgresStore` (its table names
            and owner column; left open).
        app_name: Export only this app's sessions and state.
        batch_size: Events per COPY batch and transaction.
        progress: Called with an `ExportProgress` at the start of each phase and
            after each batch, synchronously; an exception it raises stops the
            export (committed batches stay; the next run resumes).
        busy_timeout: Seconds to wait if the source is locked when it is opened
            (a WAL database being recovered); reading never waits for writers.
        table_set: With a file's path: export the table set the file recorded under
            this sessions table's name (its other names and owner column are
            read from the file) instead of the default names. Not with a folder.
        source_artifact_table: With a path to a file (or folder) holding several
            artifacts tables: the one to export (default: the only one, if any; a
            store source uses its own ``artifact_table``). On PostgreSQL the
            versions go into the target store's ``artifact_table``.
        target_options: With a URL target: the `PostgresStore` table names and
            owner column to use there (`TargetOptions`; default names otherwise).
        source_memory_table: With a path to a file (or folder) holding several
            memories tables: the one to export (default: the only one, if any; a
            store source uses its own ``memory_table``). On PostgreSQL the memories go into
            the target store's ``memory_table``.

    Returns:
        The verified report.

    Raises:
        ConfigurationError: A bad argument, an in-memory source, or a source
            owner column the target has no column for.
        DatabaseUnavailableError: The source cannot be opened, or the server
            cannot be reached or refuses the login.
        SchemaError: The source is not an adk-sqlite database, or the target's
            tables exist with another schema (`SchemaVersionError` when newer).
        ConstraintError: The target refused a row, e.g. an owner id its owner
            column rejects; the message names the session. Nothing was written.
        ExportConflictError: A target session holds events its source lacks, or
            a target artifact version differs from the source's (or is one the
            source lacks, of a name it holds). Nothing was written.
        ExportVerificationError: After copying, the target differs from the
            source; the message names the sessions.
        ExportError: A folder's session changed while it was exported (its file
            replaced or its events rewritten); the message names it. Run again.
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ConfigurationError(f"batch_size={batch_size!r}: expected an integer >= 1")
    if app_name is not None and not isinstance(app_name, str):
        raise ConfigurationError(f"app_name={app_name!r}: expected a string or None")
    if not isinstance(busy_timeout, int | float) or busy_timeout < 0:
        raise ConfigurationError(f"busy_timeout={busy_timeout!r}: expected seconds >= 0")
    tables = source_tables(source, table_set, source_artifact_table)
    memory_source = _memory_source(source, source_memory_table)
    store, owns_store = target_store(target, target_options)
    notify = _Progress(progress)
    started = time.perf_counter()
    try:
        async with _snapshot(tables, busy_timeout, app_name) as snapshot:
            if snapshot.owner_column is not None and not store.has_owner_column:
                raise ConfigurationError(
                    f"the source's sessions have an owner column ({snapshot.owner_column!r});"
                    " pass a PostgresStore(..., owner_id_column=...) target that has one too"
                )
            # Connecting before reading anything more fails fast on a bad URL or password.
            async with store.export_target() as target_tables:
                run = _ExportRun(
                    snapshot=snapshot,
                    target=target_tables,
                    source=await _read_source(snapshot, app_name),
                    app_name=app_name,
                    notify=notify,
                    artifacts=ArtifactExport(
                        snapshot, target_tables, store.artifact_table, app_name, notify
                    ),
                    memories=MemoryExport(
                        snapshot,
                        target_tables,
                        store.memory_table,
                        app_name,
                        notify,
                        *memory_source,
                    ),
                )
                try:
                    await run.memories.read_source()
                    await run.write_sessions_and_states()
                    await run.copy_events(batch_size)
                    await run.artifacts.copy(batch_size)
                    await run.memories.copy(batch_size)
                    return await run.verify(
                        source_name=tables.describe(), target_name=store.database, started=started
                    )
                finally:
                    try:
                        await run.target.drop_staging()
                    except Exception:
                        # The export's own outcome matters more; the staging tables are
                        # temporary and go with the connection anyway.
                        _logger.warning(
                            "dropping the export's staging tables failed", exc_info=True
                        )
    finally:
        if owns_store:
            await store.close()


def _snapshot(tables: SourceTables, busy_timeout: float, app_name: str | None) -> SourceSnapshot:
    """The source's snapshot: a file's, or a one-file-per-session folder's."""
    if tables.folder is None:
        return SourceSnapshot(tables, busy_timeout=busy_timeout)
    return FolderSnapshot(tables, busy_timeout=busy_timeout, app_name=app_name)


def _memory_source(source: object, wanted: str | None) -> tuple[str | None, bool]:
    """The source's memories table asked for, and whether it is a store's own."""
    from adk_sqlite.sqlite import PerSessionSqliteStore, SqliteStore

    if isinstance(source, SqliteStore | PerSessionSqliteStore):
        if wanted is not None:
            raise ConfigurationError(
                "source_memory_table is for a source given by its path; a SqliteStore names"
                " its tables"
            )
        return source.memory_table, True
    return wanted, False


async def _read_source(snapshot: SourceSnapshot, app_name: str | None) -> _Source:
    return _Source(
        sessions=await snapshot.sessions(app_name),
        app_states=await snapshot.app_states(app_name),
        user_states=await snapshot.user_states(app_name),
        counts=await snapshot.event_counts(app_name),
    )


@dataclass(slots=True)
class _ExportRun:
    """One export, phase by phase (see the module docstring)."""

    snapshot: SourceSnapshot
    target: TargetTables
    source: _Source
    app_name: str | None
    notify: _Progress
    artifacts: ArtifactExport
    memories: MemoryExport
    copied: _Counts = field(default_factory=_Counts)
    existing: dict[SessionKey, tuple[Any, ...]] = field(default_factory=dict)
    held: dict[SessionKey, int] = field(default_factory=dict)

    async def write_sessions_and_states(self) -> None:
        """One transaction: tables, conflict checks, new sessions, state rows."""
        source, target = self.source, self.target
        self.notify("sessions", 0, len(source.sessions))
        async with target.transaction():
            await target.prepare()
            self.existing = await target.sessions(self.app_name)
            self.held = await target.event_counts(self.app_name)
            _refuse_conflicts(source, self.held)
            await self.artifacts.prepare()
            self.copied.sessions = await target.insert_sessions(
                [row for key, row in source.sessions.items() if key not in self.existing]
            )
            await self._write_states()
        self.notify("sessions", len(source.sessions), len(source.sessions))

    async def _write_states(self) -> None:
        source, target = self.source, self.target
        app_target = await target.app_states(self.app_name)
        app_rows = [
            (app, state, when)
            for app, (state, when) in source.app_states.items()
            if app_target.get(app) != state
        ]
        user_target = await target.user_states(self.app_name)
        user_rows = [
            (app, user, state, when)
            for (app, user), (state, when) in source.user_states.items()
            if user_target.get((app, user)) != state
        ]
        await target.upsert_app_states(app_rows)
        await target.upsert_user_states(user_rows)
        self.copied.app_states, self.copied.user_states = len(app_rows), len(user_rows)

    async def copy_events(self, batch_size: int) -> None:
        """Reads every event once (checksumming it) and copies what the target lacks.

        One transaction per batch. Progress counts events read whose copies
        (if any were needed) are committed.
        """
        source = self.source
        total = sum(source.counts.values())
        done = unreported = 0
        buffer: list[tuple[Any, ...]] = []
        self.notify("events", 0, total)
        stream = self.snapshot.events(self.app_name, batch_size, source.sessions.keys(), self.held)
        async with contextlib.aclosing(stream):
            async for read, rows in stream:
                buffer.extend(rows)
                unreported += read
                if len(buffer) >= batch_size:
                    await self._insert(buffer)
                    buffer = []
                if not buffer:
                    done, unreported = done + unreported, 0
                    self.notify("events", done, total)
        if buffer:
            await self._insert(buffer)
        if unreported:
            self.notify("events", done + unreported, total)
        source.digests = {
            key: (digest.events, digest.hexdigest())
            for key, digest in self.snapshot.digests.items()
        }

    async def _insert(self, records: list[tuple[Any, ...]]) -> None:
        async with self.target.transaction():
            self.copied.events += await self.target.insert_events(records)

    async def verify(self, *, source_name: str, target_name: str, started: float) -> ExportReport:
        """Brings synced sessions' rows up to date, then compares everything."""
        source, target = self.source, self.target
        self.notify("verify", 0, 2)
        after = await target.event_digests(self.app_name)
        outdated = [
            row
            for key, row in source.sessions.items()
            if key in self.existing
            and self.existing[key] != row
            and source.digest(key) == after.get(key, (0, EMPTY_DIGEST))
        ]
        async with target.transaction():
            self.copied.sessions += await target.update_sessions(outdated)
        self.notify("verify", 1, 2)
        report = await self._report(after, source_name, target_name, started)
        self.notify("verify", 2, 2)
        if not report.verified:
            raise ExportVerificationError(
                _mismatch_message(report, source, after),
                sessions=report.mismatched,
                report=report,
            )
        return report

    async def _report(
        self,
        digests: Mapping[SessionKey, tuple[int, str]],
        source_name: str,
        target_name: str,
        started: float,
    ) -> ExportReport:
        source, target, copied = self.source, self.target, self.copied
        artifacts, mismatched_artifacts, artifact_checksums = await self.artifacts.verify()
        memories, watermarks, mismatched_memories, memory_checksums = await self.memories.verify()
        sessions = await target.sessions(self.app_name)
        app_states = await target.app_states(self.app_name)
        user_states = await target.user_states(self.app_name)

        def events_match(key: SessionKey) -> bool:
            return digests.get(key, (0, EMPTY_DIGEST)) == source.digest(key)

        names = target.table_names
        tables = (
            ExportTableReport(
                names.sessions,
                len(source.sessions),
                copied.sessions,
                sum(1 for key, row in source.sessions.items() if sessions.get(key) == row),
            ),
            ExportTableReport(
                names.events,
                sum(source.digest(key)[0] for key in source.sessions),
                copied.events,
                sum(source.digest(key)[0] for key in source.sessions if events_match(key)),
            ),
            ExportTableReport(
                names.app_states,
                len(source.app_states),
                copied.app_states,
                sum(1 for app, (s, _) in source.app_states.items() if app_states.get(app) == s),
            ),
            ExportTableReport(
                names.user_states,
                len(source.user_states),
                copied.user_states,
                sum(1 for k, (s, _) in source.user_states.items() if user_states.get(k) == s),
            ),
        )
        mismatched = tuple(
            sorted(
                key
                for key, row in source.sessions.items()
                if sessions.get(key) != row or not events_match(key)
            )
        )
        return ExportReport(
            source=source_name,
            target=target_name,
            app_name=self.app_name,
            verified=not mismatched
            and not mismatched_artifacts
            and not mismatched_memories
            and watermarks.verified_rows == watermarks.source_rows
            and all(table.verified_rows == table.source_rows for table in tables),
            sessions=tables[0],
            events=tables[1],
            app_states=tables[2],
            user_states=tables[3],
            mismatched=mismatched,
            checksums=tuple(
                SessionChecksum(*key, *source.digest(key)) for key in sorted(source.sessions)
            ),
            seconds=time.perf_counter() - started,
            artifacts=artifacts,
            mismatched_artifacts=mismatched_artifacts,
            artifact_checksums=artifact_checksums,
            memories=memories,
            memory_watermarks=watermarks,
            mismatched_memories=mismatched_memories,
            memory_checksums=memory_checksums,
            archived_sessions=self.snapshot.archived_sessions,
        )


def _refuse_conflicts(source: _Source, held: Mapping[SessionKey, int]) -> None:
    ahead = sorted(
        key
        for key, events in held.items()
        if key in source.sessions and events > source.counts.get(key, 0)
    )
    if ahead:
        raise ExportConflictError(
            f"{len(ahead)} session(s) hold more events on the target than in the source, so"
            f" they were written to on the target: {_name(ahead)}. Nothing was written;"
            " delete them from the target (or export another app) to go on",
            sessions=tuple(ahead),
        )


def _mismatch_message(
    report: ExportReport, source: _Source, digests: Mapping[SessionKey, tuple[int, str]]
) -> str:
    lines = [f"the target differs from the source after copying ({report.target}):"]
    for key in report.mismatched[:_NAMED_IN_MESSAGES]:
        events, checksum = source.digest(key)
        found = digests.get(key, (0, EMPTY_DIGEST))
        if found != (events, checksum):
            lines.append(
                f"  session {key!r}: {found[0]} event(s) with checksum {found[1][:12]}… on the"
                f" target, {events} with {checksum[:12]}… in the source"
            )
        else:
            lines.append(f"  session {key!r}: its row (state, times or revision) differs")
    if len(report.mismatched) > _NAMED_IN_MESSAGES:
        lines.append(f"  ... and {len(report.mismatched) - _NAMED_IN_MESSAGES} more session(s)")
    for table in (report.app_states, report.user_states):
        if table.verified_rows != table.source_rows:
            lines.append(
                f"  table {table.table!r}: {table.source_rows - table.verified_rows} state row(s)"
                " differ"
            )
    lines.extend(mismatch_lines(report.mismatched_artifacts))
    lines.extend(memory_mismatch_lines(report.mismatched_memories, report.memory_watermarks))
    return "\n".join(lines)


def _name(keys: list[SessionKey]) -> str:
    named = ", ".join(repr(key) for key in keys[:_NAMED_IN_MESSAGES])
    more = len(keys) - _NAMED_IN_MESSAGES
    return named + (f" and {more} more" if more > 0 else "")
