"""Pausing the cyclic garbage collector while a read builds thousands of live objects.

Reading a long session allocates tens of thousands of containers (row tuples,
records, models and their dicts), every one of them kept. Left running, the
collector is triggered by those allocations over and over, traverses the new
objects again and again as they age through its generations, and promotes
them to the oldest one, whose growth then triggers full collections of the
whole process. Nothing allocated in these blocks is garbage, so the collector
is switched off for their duration (docs/performance.md has the figures).

The pause is scoped: ``gc.disable()`` then ``gc.enable()``, nothing else. It
does not move any object between generations (as ``gc.freeze()`` would, with
every object of the process, the application's young garbage included), so
the first young collection after a read reclaims the application's garbage
as it would have without the read, and also traverses the read's objects once.

Reads may run on worker threads as well as on the event loop's, and pauses
nest, while the collector's switch is one for the whole process. So pauses are
counted, under a lock: the first to begin records whether the collector was on
and turns it off; the last to end turns it back on only if it was on when the
first began. A collector the application had disabled stays disabled.

A read decoding in slices holds one pause across a few slices and the turns of
the loop between them (`HeldPause`): the collector's rhythm (one young
collection per ~2 ms of decoding) is then set apart from how often the read lets
other tasks run. Such a pause spans other tasks' turns, so it is bounded twice:
by the read (it releases after a set amount of its own decoding) and for the
whole process (`paused_for`: a read releases once the collector has been off for
`MAX_HELD_SECONDS`, whoever keeps it off), so that overlapping reads cannot keep
the collector off for good.
"""

from __future__ import annotations

import gc
import threading
import time
from types import TracebackType

__all__ = ["MAX_HELD_SECONDS", "HeldPause", "paused_for", "paused_gc"]

MAX_HELD_SECONDS = 0.02
"""How long the collector may stay off, pauses overlapping, before a `HeldPause` is let go
at its holder's next turn of the loop."""

_lock = threading.Lock()
_pauses = 0  # pauses in progress, on every thread
_resume = False  # whether the last pause to end turns the collector back on
_off_since = 0.0  # when the first of the pauses in progress began (perf_counter)


def _begin() -> None:
    global _pauses, _resume, _off_since
    with _lock:
        if _pauses == 0:
            _off_since = time.perf_counter()
            _resume = gc.isenabled()
            if _resume:
                gc.disable()
        _pauses += 1


def _end() -> None:
    global _pauses, _resume
    with _lock:
        _pauses -= 1
        if _pauses == 0 and _resume:
            _resume = False
            gc.enable()


def paused_for() -> float:
    """Seconds since pauses of this module turned the collector off; 0.0 when none is on."""
    with _lock:
        return time.perf_counter() - _off_since if _pauses else 0.0


class paused_gc:  # noqa: N801 - used as a function: ``with paused_gc(): ...``
    """Disables the cyclic collector for the block, if it was enabled, and restores it."""

    __slots__ = ()

    def __enter__(self) -> None:
        _begin()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        _end()


class HeldPause:
    """A pause held from `hold` to `release`, across awaits: one per long read.

    Both are idempotent, so a read calls `hold` before each slice and `release`
    when its share of decoding under one pause is done (and in a ``finally``).
    """

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held = False

    @property
    def held(self) -> bool:
        """Whether this pause is in progress."""
        return self._held

    def hold(self) -> None:
        """Begins the pause, unless it is in progress."""
        if not self._held:
            _begin()
            self._held = True

    def release(self) -> None:
        """Ends the pause, if it is in progress."""
        if self._held:
            self._held = False
            _end()
