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
"""

from __future__ import annotations

import gc
import threading
from types import TracebackType

__all__ = ["paused_gc"]

_lock = threading.Lock()
_pauses = 0  # pauses in progress, on every thread
_resume = False  # whether the last pause to end turns the collector back on


class paused_gc:  # noqa: N801 - used as a function: ``with paused_gc(): ...``
    """Disables the cyclic collector for the block, if it was enabled, and restores it."""

    __slots__ = ()

    def __enter__(self) -> None:
        global _pauses, _resume
        with _lock:
            if _pauses == 0:
                _resume = gc.isenabled()
                if _resume:
                    gc.disable()
            _pauses += 1

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        global _pauses, _resume
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                _resume = False
                gc.enable()
