"""`Instant`: a moment as exact epoch seconds plus ISO-8601 UTC text.

The inspection and maintenance functions return times as `Instant` so that one
value serves Python callers (``.unix``, ``.to_datetime()``) and the command
line's ``--json`` output (both forms, encoded as they are) alike. No time ever
passes through local time here; the CLI converts to local time only to display.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

__all__ = ["Instant", "instant_from_unix"]


class Instant(msgspec.Struct, frozen=True, kw_only=True):
    """A moment in time.

    Attributes:
        unix: Seconds since 1970-01-01 UTC, exactly as stored.
        iso: The same moment as ISO-8601 text in UTC, to the microsecond
            (``2026-03-01T09:30:00.123456Z``).
    """

    unix: float
    iso: str

    def to_datetime(self) -> datetime:
        """The moment as a timezone-aware `datetime` in UTC (microsecond precision)."""
        return datetime.fromtimestamp(self.unix, tz=UTC)


def instant_from_unix(seconds: float) -> Instant:
    """Builds an `Instant` from epoch seconds."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return Instant(unix=seconds, iso=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
