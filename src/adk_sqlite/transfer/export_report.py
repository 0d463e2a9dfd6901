"""The report types of `adk_sqlite.export_to_postgres` (importable without asyncpg).

They are msgspec Structs like the library's other results, so
``msgspec.json.encode(report)`` (and ``adk-sqlite export --json``) gives every
field as it is.
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "ArtifactChecksum",
    "ArtifactVersionKey",
    "ExportProgress",
    "ExportReport",
    "ExportTableReport",
    "MemoryChecksum",
    "MemoryKey",
    "Phase",
    "SessionChecksum",
    "SessionKey",
]

Phase = Literal["sessions", "events", "artifacts", "memories", "verify"]
# (app_name, user_id, session_id)
SessionKey = tuple[str, str, str]
# (app_name, user_id, session_id ('' for a user-scoped artifact), filename, version)
ArtifactVersionKey = tuple[str, str, str, str, int]
# (app_name, user_id, session_id ('' for none), event_id)
MemoryKey = tuple[str, str, str, str]


class ExportProgress(msgspec.Struct, frozen=True):
    """Where a running export is, as passed to the ``progress`` callback.

    Attributes:
        phase: ``"sessions"`` (creating the tables, comparing with the
            target, writing new session and state rows; units are sessions),
            ``"events"`` (reading every source event once, checksumming it and
            copying the ones the target lacks; units are events read),
            ``"artifacts"`` (the same for artifact versions; units are versions
            read), ``"memories"`` (writing the memories the target lacks or holds
            otherwise; units are memories) or ``"verify"`` (units are steps).
        done: Units finished so far in this phase.
        total: Units in this phase (``done == total`` when it ends).
    """

    phase: Phase
    done: int
    total: int


class ExportTableReport(msgspec.Struct, frozen=True):
    """What happened to one table.

    Attributes:
        table: The target table's name.
        source_rows: Rows of the exported scope in the source.
        copied_rows: Rows this run inserted or updated in the target.
        verified_rows: Source rows the target holds identically after the run.
    """

    table: str
    source_rows: int
    copied_rows: int
    verified_rows: int


class SessionChecksum(msgspec.Struct, frozen=True):
    """One session's events as verified: their number and SHA-256 (hex).

    The checksum is defined in `adk_sqlite.codec.event_digest` (and in
    docs/postgresql.md), so it can be recomputed independently.
    """

    app_name: str
    user_id: str
    session_id: str
    events: int
    sha256: str


class ArtifactChecksum(msgspec.Struct, frozen=True):
    """One artifact version as verified, computed on the source and compared with the target's.

    Attributes:
        app_name: The artifact's app.
        user_id: Its user.
        session_id: Its session, or ``""`` for a user-scoped (``user:``) artifact.
        filename: Its name.
        version: The version number.
        size: The content's size in bytes, as stored.
        sha256: SHA-256 (hex) of the version's bytes, or None when it holds none
            (text, a ``file_data`` pointer).
        metadata_sha256: SHA-256 (hex) of its part JSON, mime type, custom
            metadata and create time, as `adk_sqlite.transfer.export_artifacts`
            defines it.
    """

    app_name: str
    user_id: str
    session_id: str
    filename: str
    version: int
    size: int
    sha256: str | None
    metadata_sha256: str


class MemoryChecksum(msgspec.Struct, frozen=True):
    """One user's memories as verified, computed on the source and compared with the target's.

    Attributes:
        app_name: The app.
        user_id: The user.
        memories: How many memories the user has in the exported scope.
        sha256: SHA-256 (hex) of their digests (`adk_sqlite.transfer.export_memories`
            defines a memory's), concatenated as bytes in key order (session id, then
            event id).
    """

    app_name: str
    user_id: str
    memories: int
    sha256: str


def _no_table() -> ExportTableReport:
    return ExportTableReport("", 0, 0, 0)


class ExportReport(msgspec.Struct, frozen=True):
    """The outcome of `export_to_postgres`.

    Attributes:
        source: The SQLite database read.
        target: The PostgreSQL database written (password masked).
        app_name: The app the export was limited to, or None for every app.
        verified: Whether the target holds every exported row identically
            (always true for a report `export_to_postgres` returns; a failed
            verification raises `ExportVerificationError` carrying the report).
        sessions: The sessions table.
        events: The events table.
        app_states: The ``app:`` state table.
        user_states: The ``user:`` state table.
        mismatched: Sessions ``[app, user, id]`` the target does not hold
            identically; empty when verified.
        checksums: Every exported session's event count and checksum, as
            computed on the source and compared with the target's.
        seconds: Wall time of the run.
        artifacts: The artifacts table (rows are versions); all zero when the
            source holds no artifacts table.
        mismatched_artifacts: Artifact versions ``[app, user, session, name,
            version]`` the target does not hold identically; empty when verified.
        artifact_checksums: Every exported artifact version's size and checksums.
        memories: The memories table (rows are memories); all zero when the source
            holds no memories table.
        memory_watermarks: The table of how far each session is indexed
            (``{memories}_sessions``).
        mismatched_memories: Memories ``[app, user, session, event id]`` the target
            does not hold identically; empty when verified.
        memory_checksums: Per user, the exported memories' number and checksum.
        archived_sessions: With a one-file-per-session folder: its archived sessions
            (``archive/``) in the exported scope, which are not exported (their
            artifacts and memories, kept in the catalog, are); 0 for a file.
    """

    source: str
    target: str
    app_name: str | None
    verified: bool
    sessions: ExportTableReport
    events: ExportTableReport
    app_states: ExportTableReport
    user_states: ExportTableReport
    mismatched: tuple[SessionKey, ...]
    checksums: tuple[SessionChecksum, ...]
    seconds: float
    artifacts: ExportTableReport
    mismatched_artifacts: tuple[ArtifactVersionKey, ...]
    artifact_checksums: tuple[ArtifactChecksum, ...]
    memories: ExportTableReport = msgspec.field(default_factory=_no_table)
    memory_watermarks: ExportTableReport = msgspec.field(default_factory=_no_table)
    mismatched_memories: tuple[MemoryKey, ...] = ()
    memory_checksums: tuple[MemoryChecksum, ...] = ()
    archived_sessions: int = 0

    @property
    def tables(self) -> tuple[ExportTableReport, ...]:
        return (
            self.sessions,
            self.events,
            self.app_states,
            self.user_states,
            self.artifacts,
            self.memories,
            self.memory_watermarks,
        )

    def __repr__(self) -> str:
        # A report may hold a checksum per session: keep its repr short.
        return (
            f"ExportReport(source={self.source!r}, target={self.target!r},"
            f" app_name={self.app_name!r}, verified={self.verified!r},"
            f" tables={self.tables!r}, mismatched={len(self.mismatched)},"
            f" checksums=<{len(self.checksums)} sessions>,"
            f" mismatched_artifacts={len(self.mismatched_artifacts)},"
            f" artifact_checksums=<{len(self.artifact_checksums)} versions>,"
            f" mismatched_memories={len(self.mismatched_memories)},"
            f" seconds={self.seconds:.2f})"
        )
