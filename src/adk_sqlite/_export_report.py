"""The report types of `adk_sqlite.export_to_postgres` (importable without asyncpg)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ExportProgress",
    "ExportReport",
    "ExportTableReport",
    "Phase",
    "SessionChecksum",
    "SessionKey",
]

Phase = Literal["sessions", "events", "verify"]
# (app_name, user_id, session_id)
SessionKey = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class ExportProgress:
    """Where a running export is, as passed to the ``progress`` callback.

    Attributes:
        phase: ``"sessions"`` (creating the tables, comparing with the
            target, writing new session and state rows; units are sessions),
            ``"events"`` (reading every source event once, checksumming it and
            copying the ones the target lacks; units are events read) or
            ``"verify"`` (units are steps).
        done: Units finished so far in this phase.
        total: Units in this phase (``done == total`` when it ends).
    """

    phase: Phase
    done: int
    total: int


@dataclass(frozen=True, slots=True)
class ExportTableReport:
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


@dataclass(frozen=True, slots=True)
class SessionChecksum:
    """One session's events as verified: their number and SHA-256 (hex)."""

    app_name: str
    user_id: str
    session_id: str
    events: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ExportReport:
    """The outcome of `export_to_postgres`.

    Attributes:
        source: The SQLite database read.
        target: The PostgreSQL database written (password masked).
        app_name: The app the export was limited to, or None for every app.
        sessions: The sessions table.
        events: The events table.
        app_states: The ``app:`` state table.
        user_states: The ``user:`` state table.
        checksums: Every exported session's event count and checksum, as
            computed on the source and found on the target.
        mismatched: Sessions (app, user, id) the target does not hold identically;
            empty when the export is verified.
        seconds: Wall time of the run.
    """

    source: str
    target: str
    app_name: str | None
    sessions: ExportTableReport
    events: ExportTableReport
    app_states: ExportTableReport
    user_states: ExportTableReport
    checksums: tuple[SessionChecksum, ...] = field(repr=False)
    mismatched: tuple[SessionKey, ...]
    seconds: float

    @property
    def tables(self) -> tuple[ExportTableReport, ...]:
        return (self.sessions, self.events, self.app_states, self.user_states)

    @property
    def verified(self) -> bool:
        """Whether the target holds every exported row identically."""
        return not self.mismatched and all(
            table.verified_rows == table.source_rows for table in self.tables
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return {
            "source": self.source,
            "target": self.target,
            "app_name": self.app_name,
            "verified": self.verified,
            "seconds": self.seconds,
            "tables": [
                {
                    "table": table.table,
                    "source_rows": table.source_rows,
                    "copied_rows": table.copied_rows,
                    "verified_rows": table.verified_rows,
                }
                for table in self.tables
            ],
            "mismatched": [list(key) for key in self.mismatched],
            "checksums": [
                {
                    "app_name": checksum.app_name,
                    "user_id": checksum.user_id,
                    "session_id": checksum.session_id,
                    "events": checksum.events,
                    "sha256": checksum.sha256,
                }
                for checksum in self.checksums
            ],
        }
