"""Pausing the cyclic garbage collector around bulk allocation of live objects.

Reading a long session allocates tens of thousands of containers (row tuples,
models, their dicts), every one of them kept. With google-adk loaded a process
holds about a million objects, and those allocations trigger collections that
traverse them all: measured on a 2,000-event session, half the time of
`get_session`. Nothing allocated in these loops is garbage, so the collector is
paused for their duration and runs normally afterwards.

Re-enabled, the collector would at once traverse everything the block
allocated as one huge young generation (another ~3 ms for 2,000 events, all of
it live). Instead the block's objects are moved straight to the oldest
generation (``gc.freeze()`` then ``gc.unfreeze()``, two list splices), where
only full collections visit them, as they would visit any long-lived data. The
move is skipped when the application keeps frozen objects of its own (a
pre-fork server, say), since ``unfreeze`` would release those too.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["paused_gc"]


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Disables the collector for the block, if it was enabled, and restores it."""
    # The switch is process-wide: only the caller that turned it off turns it
    # back on, so nested or concurrent pauses never leave it disabled.
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
