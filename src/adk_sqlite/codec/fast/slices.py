"""Decoding a long read a slice at a time, each slice bounded in events and in time.

`SessionService` decodes a long session between turns of the event loop, so that
one user's read does not hold up a server's other requests. A slice of a fixed
number of events is not enough on its own: events differ in size by orders of
magnitude. A hundred plain text events decode in about a millisecond; a hundred
events each carrying a 40 KiB tool response took 35-40 ms here (decoding costs
roughly 10 µs per KiB of JSON). So a slice also ends once it has run for
`SLICE_SECONDS`, whatever its event count; the one event in progress then is
finished, since an event is the smallest unit of decoding.

The collector stays paused over `PAUSE_SECONDS` of a read's decoding, across the
slices that take and the turns of the loop between them (`gc_pause.HeldPause`), then
may run in the turn that follows. Its collections follow the decoding time, one young
collection per pause, whatever the slices' length or their count of events, so slices
can be short, for the other tasks' sake, without making the collector run more often.
How many young collections a read causes matters beyond their own cost: every hundred
of them the collector considers a full collection of the whole process, which it makes
whenever the objects promoted since its last one outnumber a quarter of those it kept
then, as a long read's always do. (Ending a pause after ``decode_slice`` events as well,
as before, made reads of agent turns, 100 events in about 1.2 ms, collect 1.4-1.8 times
as often, and make up to twice the full collections.) A pause held while other tasks
run keeps the collector off for them too, briefly: for `PAUSE_SECONDS` of this read's
decoding at most, and it is let go at the next turn once the collector has been off
for `gc_pause.MAX_HELD_SECONDS`, whatever other reads hold.

Between two slices the read lets the loop run (`let_others_run`): one turn, and more
(up to three) while other tasks keep them busy, so that on a busy server a long read
takes at most one turn of the loop in four.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from google.adk.events.event import Event

from adk_sqlite.codec.fast.gc_pause import MAX_HELD_SECONDS, HeldPause, paused_for, paused_gc
from adk_sqlite.records import EventRecord

__all__ = [
    "BUSY_TURNS",
    "BUSY_TURN_SECONDS",
    "PAUSE_SECONDS",
    "SLICE_SECONDS",
    "MaybeEventDecoder",
    "decode_slice",
    "decoded_in_slices",
    "let_others_run",
]

Stored = TypeVar("Stored")
Built = TypeVar("Built")

SLICE_SECONDS = 0.0005
"""The time after which a slice of decoding (or of freeing) ends and lets the loop run."""

PAUSE_SECONDS = 0.002
"""A read's decoding time over which the collector stays paused (see the module's docstring):
about 160 events of agent turns, whose young collection then takes about 0.3 ms here."""

BUSY_TURN_SECONDS = 0.0005
"""Other tasks' work in one turn of the loop past which `let_others_run` counts the loop
as busy and gives it another turn."""

BUSY_TURNS = 3
"""The most turns `let_others_run` gives a busy loop before the read's next slice."""

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
    pause = HeldPause()
    paused_seconds = 0.0  # this read's decoding under the pause in progress
    clock = time.perf_counter
    try:
        while True:
            started = clock()
            kept = decode_slice(pending, decode, built, most=most)  # paused, held or not
            paused_seconds += clock() - started
            if slice_sizes is not None:
                slice_sizes.append(kept)
            if not pending:
                return built  # a read of one slice holds nothing across a turn
            if paused_seconds >= PAUSE_SECONDS or paused_for() >= MAX_HELD_SECONDS:
                pause.release()  # the collector may run in the turn below
                paused_seconds = 0.0
            else:
                pause.hold()  # kept off across the turn below, until the next slice
            await let_others_run()
    finally:
        pause.release()


async def let_others_run() -> None:
    """Gives the event loop's other tasks one turn, and up to `BUSY_TURNS` while they keep
    each busy (more than `BUSY_TURN_SECONDS`).

    A long read calls it between two slices. On a quiet loop the turn comes straight
    back; a further turn, when taken, costs microseconds (a collection that ran in the
    turn also counts as busy). On a busy loop the read takes at most one turn in four,
    and the turns between go to shorter requests. With twenty sessions appending beside
    a task reading a 10,000-event session back to back (H3 of ``benchmarks.heartbeat``,
    docs/performance.md), the appends were 2.0-2.2 times slower than alone with one turn
    per slice, 2.0-2.1 times with up to two, and 1.9 times with up to three and slices
    of 0.5 ms; the reader's pace did not fall with the last change (about 4 reads/s).
    """
    for _ in range(BUSY_TURNS):
        yielded = time.perf_counter()
        await asyncio.sleep(0)
        if time.perf_counter() - yielded <= BUSY_TURN_SECONDS:
            return
