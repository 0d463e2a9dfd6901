from __future__ import annotations

import sqlite3

import pytest

from adk_sqlite.codec.events import julian_day_from_unix, unix_from_julian_day


@pytest.mark.parametrize("seconds", [0.0, 1700000000.123, 1730613600.0, 2000000000.5])
def test_julian_day_matches_sqlite_julianday(seconds: float) -> None:
    (expected,) = (
        sqlite3.connect(":memory:")
        .execute("SELECT julianday(?, 'unixepoch')", (seconds,))
        .fetchone()
    )
    assert julian_day_from_unix(seconds) == pytest.approx(expected, abs=1e-9)


def test_unix_epoch_is_julian_day_2440587_5() -> None:
    assert julian_day_from_unix(0.0) == 2440587.5


def test_julian_day_round_trip_is_within_tens_of_microseconds() -> None:
    seconds = 1727500000.1234567
    assert unix_from_julian_day(julian_day_from_unix(seconds)) == pytest.approx(seconds, abs=5e-5)
