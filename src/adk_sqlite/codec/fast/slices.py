"""Decoding a long read a slice at a time, each slice bounded in events and in time.

`SessionService` decodes a long session between turns of the event loop, so that
one user's read does not hold up a server's other requests. A slice of a fixed
number of events is not enough on its own: events differ in size by orders of
magnitude. A hundred plain text events decode in about a millisecond; a hundred
events each carrying a 40 KiB tool response took 35-40 ms here (decoding costs
roughly 10 µs per KiB of JSON). So a slice also ends once it has run for
`SLICE_SECONDS`, whatever its event count; the one event in progress then is
finished, since an event is the smallest unit of decoding.

The collector is paused for each slice, not across slices (see `gc_pause`): a
pause held while the loop runs other tasks would keep it off for all of them.

Between two slices the read lets the loop run (`let_others_run`): one turn, and a
second one when other tasks kept the first busy, so that on a busy server a long read
takes at most every other turn of the loop.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from google.adk.events.event import Event

from adk_sqlite.codec.fast.gc_pause import paused_gc
from adk_sqlite.records import EventRecord

__all__ = [
    "BUSY_TURN_SECONDS",
    "SLICE_SECONDS",
    "MaybeEventDecoder",
    "decode_slice",
    "decoded_in_slices",
    "let_others_run",
]

Stored = TypeVar("Stored")
Built = TypeVar("Built")

SLICE_SECONDS = 0.002
"""The time after which a slice of decoding (or of freeing) ends and lets the loop run."""

BUSY_TURN_SECONDS = 0.0005
"""Other tasks' work in one turn of the loop past which `let_others_run` counts the loop
as busy and gives it a second turn."""

MaybeEventDecoder = Callable[[EventRecord], Event | None]
"""Decodes one record; None leaves the event out (a damaged one, logged by the decoder)."""


def decode_slice(
    pending: deque[Stored],
    decode: Callable[[Stored], Built | None],
    built: list[Built],
    *,
    most: int,
) -> int:
    """Decodes records (of events, or of listed sessions) from the front of ``pending``
    onto ``built``, with the collector paused, until ``most`` records are done,
    ``pending`` is empty, or `SLICE_SECONDS` have passed; returns how many it kept. A
    None that ``decode`` returns (a damaged event left out) is not kept.

    Each record leaves ``pending`` as it is decoded, so the slice's records are
    released as it goes, not all at the end of the read.
    """
    clock = time.perf_counter
    deadline = clock() + SLICE_SECONDS
    take = pending.popleft
    keep = built.append
    before = len(built)
    with paused_gc():  # everything built is kept, live: nothing to collect (see gc_pause)
        for _ in range(min(most, len(pending))):
            item = decode(take())
            if item is not None:
                keep(item)
            if clock() >= deadline:
                break
    return len(built) - before


async def decoded_in_slices(
    pending: deque[Stored],
    decode: Callable[[Stored], Built | None],
    *,
    most: int,
    slice_sizes: list[int] | None = None,
) -> list[Built]:
    """Everything in ``pending`` decoded, in order, a `decode_slice` per turn of the event
    loop; other tasks run between two slices. ``pending`` ends empty. ``slice_sizes``,
    when given, gets how many items each slice kept (see `release.free_events_later`)."""
    built: list[Built] = []
    while True:
        kept = decode_slice(pending, decode, built, most=most)
        if slice_sizes is not None:
            slice_sizes.append(kept)
        if not pending:
            return built
        await let_others_run()


async def let_others_run() -> None:
    """Gives the event loop's other tasks one turn, and a second when they kept the first
    busy (more than `BUSY_TURN_SECONDS`).

    A long read calls it between two slices. On a quiet loop the turn comes straight
    back, and a second one, when taken, costs microseconds (a collection that ran in the
    first turn also counts as busy). On a busy loop the read takes at most every other
    turn, and the turns between go to shorter requests: with twenty sessions appending
    beside a task reading a 10,000-event session back to back, the appends were 2.0-2.2
    times slower than alone with one turn per slice, and 1.75-1.8 times with this; the
    reader's pace fell from 2.75 to 2.4 reads/s (H3 of ``benchmarks.heartbeat``,
    docs/performance.md).
    """
    yielded = time.perf_counter()
    await asyncio.sleep(0)
    if time.perf_counter() - yielded > BUSY_TURN_SECONDS:
        await asyncio.sleep(0)
