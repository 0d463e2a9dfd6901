"""Reading many rows on a worker thread without keeping the event loop's thread waiting.

A long read that left the event loop (`adk_sqlite.sqlite.shared_file.store`'s off-loop
reads, every read with ``inline_io=False``) still holds the GIL while Python turns its
rows into records: about 1 µs a row, so 10 ms for a 10,000-event session. The event
loop's thread, woken meanwhile (a timer, a socket), waits for the GIL, and CPython
takes it back from a busy thread only after its switch interval (5 ms by default, a
process-wide setting that is the application's). Measured here with a heartbeat on the
loop while a thread read a 10,000-event session over and over: the loop's wake-ups were
late by 8.6-9.2 ms at the 99th percentile with one ``fetchall``, 2.1-2.4 ms when the
rows were read and converted 256 at a time with a ``time.sleep(0)`` between chunks,
which lets a waiting thread take the GIL at once. A chunk costs the reader one system
call (a few µs), and nothing when no thread is waiting.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["FETCH_CHUNK", "fetch_converted"]

T = TypeVar("T")

FETCH_CHUNK = 256
"""Rows read and converted between two chances for another thread to take the GIL."""


def fetch_converted(
    cursor: sqlite3.Cursor,
    convert: Callable[[list[tuple[Any, ...]]], list[T]],
    *,
    chunk: int = FETCH_CHUNK,
) -> list[T]:
    """Every row of ``cursor``, ``convert``-ed ``chunk`` rows at a time, in order.

    Between two chunks the GIL is released (``time.sleep(0)``), so that another
    thread waiting for it, the event loop's above all, runs now rather than after
    the interpreter's switch interval.
    """
    converted: list[T] = []
    while rows := cursor.fetchmany(chunk):
        converted += convert(rows)
        if len(rows) < chunk:
            break
        time.sleep(0)
    return converted
