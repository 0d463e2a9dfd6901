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
the collector off for good. Both bounds need the holder to run again; one that
never does (its task left suspended on a loop that was stopped and never
closed) would leave the collector off for the whole process. So a watchdog
thread, started by the first `HeldPause.hold`, ends any held pause older than
`ABANDONED_AFTER_SECONDS` and logs a warning; its holder's release is then a
no-op.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time
from types import TracebackType

__all__ = ["ABANDONED_AFTER_SECONDS", "MAX_HELD_SECONDS", "HeldPause", "paused_for", "paused_gc"]

MAX_HELD_SECONDS = 0.02
"""How long the collector may stay off, pauses overlapping, before a `HeldPause` is let go
at its holder's next turn of the loop."""

ABANDONED_AFTER_SECONDS = 5.0
"""How old a held pause is when the watchdog ends it (a read holds one for milliseconds)."""

_logger = logging.getLogger("adk_sqlite.codec.fast")

_lock = threading.Lock()
_pauses = 0  # pauses in progress, on every thread
_resume = False  # whether the last pause to end turns the collector back on
_off_since = 0.0  # when the first of the pauses in progress began (perf_counter)
_held: dict[HeldPause, float] = {}  # the held pauses in progress, and when each began
_watching = threading.Event()  # set while _held has entries
_watchdog: threading.Thread | None = None


def _begin() -> None:
    with _lock:
        _begin_locked()


def _begin_locked() -> None:
    global _pauses, _resume, _off_since
    if _pauses == 0:
        _off_since = time.perf_counter()
        _resume = gc.isenabled()
        if _resume:
            gc.disable()
    _pauses += 1


def _end() -> None:
    with _lock:
        _end_locked()


def _end_locked() -> None:
    global _pauses, _resume
    _pauses -= 1
    if _pauses == 0 and _resume:
        _resume = False
        gc.enable()


def _watch() -> None:
    """The watchdog's loop: ends held pauses whose holders never came back."""
    while True:
        _watching.wait()
        time.sleep(ABANDONED_AFTER_SECONDS / 4)
        with _lock:
            now = time.perf_counter()
            abandoned = [
                pause for pause, since in _held.items() if now - since > ABANDONED_AFTER_SECONDS
            ]
            for pause in abandoned:
                del _held[pause]
                _end_locked()
            if not _held:
                _watching.clear()
        if abandoned:
            _logger.warning(
                "ended %d pause(s) of the garbage collector held for over %g s by reads"
                " that never resumed (a task left suspended on a stopped event loop?)",
                len(abandoned),
                ABANDONED_AFTER_SECONDS,
            )


def _forget_watchdog_in_child() -> None:
    # A forked child has none of its parent's threads (its watchdog included), and the
    # tasks that held pauses do not run there: their pauses end now, and a holder that
    # does run again finds its release a no-op.
    global _watchdog, _lock
    _watchdog = None
    _lock = threading.Lock()
    for _ in range(len(_held)):
        _end_locked()
    _held.clear()
    _watching.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_watchdog_in_child)


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

    Both are idempotent, so a read calls `hold` before each turn of the loop it
    yields and `release` when its share of decoding under one pause is done (and in
    a ``finally``).
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
        global _watchdog
        if self._held:
            return
        with _lock:
            _begin_locked()
            _held[self] = time.perf_counter()
            _watching.set()
            if _watchdog is None:
                _watchdog = threading.Thread(
                    target=_watch, name="adk-sqlite-gc-watchdog", daemon=True
                )
                _watchdog.start()
        self._held = True

    def release(self) -> None:
        """Ends the pause, if it is in progress (and the watchdog has not ended it)."""
        if not self._held:
            return
        self._held = False
        with _lock:
            if _held.pop(self, None) is not None:
                _end_locked()
